from django.urls import path

from moderation import console

urlpatterns = [
    path("", console.queue_page, name="moderation-queue"),
    path("cases/<int:case_id>/", console.case_page, name="moderation-case"),
    path("rooms/", console.rooms_page, name="moderation-rooms"),
    path("rooms/<slug:slug>/lift/", console.lift_lockdown, name="moderation-room-lift"),
    path("overview/", console.overview_page, name="moderation-overview"),
    path("transparency/", console.transparency_page, name="moderation-transparency"),
]
