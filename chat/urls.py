from django.urls import path

from chat import trusted_views, uploads, views

urlpatterns = [
    path("rooms", views.rooms, name="api-rooms"),
    path("me/trusted", trusted_views.trusted_connections, name="api-me-trusted"),
    path("me/trusted/<str:connection_id>", trusted_views.trusted_connection, name="api-me-trusted-one"),
    path("me/trusted/<str:connection_id>/accept", trusted_views.accept_trusted_connection,
         name="api-me-trusted-accept"),
    path("uploads", uploads.create_upload, name="api-uploads"),
    path("uploads/<str:upload_id>", uploads.upload_detail, name="api-upload"),
    path("uploads/<str:upload_id>/image", uploads.upload_image, name="api-upload-image"),
    path("moderation/uploads/<str:upload_id>/image", uploads.moderator_upload_image,
         name="api-moderation-upload-image"),
]
