from django.urls import path

from chat import uploads, views

urlpatterns = [
    path("rooms", views.rooms, name="api-rooms"),
    path("uploads", uploads.create_upload, name="api-uploads"),
    path("uploads/<str:upload_id>", uploads.upload_detail, name="api-upload"),
    path("uploads/<str:upload_id>/image", uploads.upload_image, name="api-upload-image"),
    path("moderation/uploads/<str:upload_id>/image", uploads.moderator_upload_image,
         name="api-moderation-upload-image"),
]
