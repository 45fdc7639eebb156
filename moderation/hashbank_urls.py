from django.urls import path

from moderation import hashbank_views

urlpatterns = [
    path("moderation/uploads/<str:upload_id>/bank", hashbank_views.bank_upload, name="api-mod-upload-bank"),
]
