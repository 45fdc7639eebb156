import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.models import AgeBand
from chat.models import Room

pytestmark = pytest.mark.django_db


def test_users_see_only_rooms_of_their_own_audience(make_user, adults_room, minors_room):
    Room.objects.create(slug="proposed", name="Proposed", audience="minors", status=Room.Status.PENDING)
    teen, grown = Client(), Client()
    teen.force_login(make_user(AgeBand.OLDER_TEEN))
    grown.force_login(make_user(AgeBand.ADULT))
    assert [r["slug"] for r in teen.get("/api/v1/rooms").json()["rooms"]] == ["college"]
    assert [r["slug"] for r in grown.get("/api/v1/rooms").json()["rooms"]] == ["cafe"]


def test_room_shape_follows_the_protocol(adult, adults_room):
    client = Client()
    client.force_login(adult)
    room = client.get("/api/v1/rooms").json()["rooms"][0]
    assert {"slug", "name", "description", "audience", "min_assurance", "slow_mode_seconds",
            "media_allowed"} <= room.keys()


def test_rooms_need_sign_in():
    assert Client().get("/api/v1/rooms").status_code == 401


def test_createroom_command():
    call_command("createroom", "--slug", "jeux", "--name", "Jeux vidéo", "--audience", "minors",
                 "--min-assurance", "estimated")
    room = Room.objects.get(slug="jeux")
    assert (room.audience, room.min_assurance, room.status) == ("minors", "estimated", "approved")


def test_createroom_refuses_images_in_minors_rooms():
    with pytest.raises(CommandError):
        call_command("createroom", "--slug", "x", "--name", "X", "--audience", "minors", "--media")


def test_rooms_the_user_can_enter_are_listed_first(adult):
    from chat import services as chat_services

    chat_services.create_room(slug="apres", name="Après minuit", audience="adults", min_assurance="verified")
    chat_services.create_room(slug="zen", name="Zen", audience="adults")
    chat_services.create_room(slug="cine", name="Cinéma", audience="adults", min_assurance="estimated")
    client = Client()
    client.force_login(adult)
    assert [r["slug"] for r in client.get("/api/v1/rooms").json()["rooms"]] == ["zen", "cine", "apres"]
