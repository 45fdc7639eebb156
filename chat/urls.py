from django.urls import path

from chat import views

urlpatterns = [
    path("rooms", views.rooms, name="api-rooms"),
]
