from django.urls import path

from moderation import console

urlpatterns = [
    path("", console.queue_page, name="moderation-queue"),
    path("cases/<int:case_id>/", console.case_page, name="moderation-case"),
    path("transparency/", console.transparency_page, name="moderation-transparency"),
]
