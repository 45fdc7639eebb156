"""The console lists rooms under a join-wave lockdown or the shield and lifts them in one click:
moderators only, CSRF-checked, audited by the service, announced to moderators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from chat import protection
from chat import services as chat_services
from chat.models import Room
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db

ROOMS = "/moderation/rooms/"
LIFT = "/moderation/rooms/{slug}/lift/"


@pytest.fixture
def locked_room(adults_room) -> Room:
    protection.lock_down_room(room_id=adults_room.pk, reason="join_wave", actor=None,
                              data={"new_accounts": 8, "window_seconds": 120})
    return Room.objects.get(pk=adults_room.pk)


@pytest.fixture
def moderator_events(monkeypatch) -> list[dict]:
    sent: list[dict] = []
    monkeypatch.setattr(protection.events, "send_to_moderators", sent.append)
    return sent


def _signed_in(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _csrf_post(client: Client, path: str):
    """A browser's form post: the token comes from the page (cookie set by the console)."""
    assert client.get(ROOMS).status_code == 200
    return client.post(path, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_rooms_page_lists_locked_rooms_with_a_lift_form(locked_room, moderator):
    chat_services.create_room(slug="calme", name="Calme", audience="adults")  # not locked: not listed
    html = _signed_in(moderator).get(ROOMS).content.decode()
    assert 'data-room="cafe"' in html and 'data-room="calme"' not in html
    assert f'action="{LIFT.format(slug="cafe")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_queue_page_points_to_locked_rooms(locked_room, moderator):
    html = _signed_in(moderator).get("/moderation/").content.decode()
    assert 'id="lockdown-banner"' in html and "Café" in html and f'href="{ROOMS}"' in html


def test_queue_page_has_no_banner_without_lockdown(adults_room, moderator):
    assert 'id="lockdown-banner"' not in _signed_in(moderator).get("/moderation/").content.decode()


def test_lift_button_ends_the_lockdown_audits_and_alerts(locked_room, moderator, moderator_events):
    client = _signed_in(moderator, csrf=True)
    response = _csrf_post(client, LIFT.format(slug="cafe"))
    assert response.status_code == 302 and response["Location"] == ROOMS
    room = Room.objects.get(pk=locked_room.pk)
    assert not room.established_only and room.lockdown_reason == "" and room.lockdown_started_at is None
    entry = AuditEntry.objects.filter(action="room.lockdown_lifted").get()
    assert entry.actor_id == moderator.pk and entry.target_id == str(room.pk) and entry.data == {"was": "join_wave"}
    assert [e["kind"] for e in moderator_events] == ["room_lockdown_lifted"]
    after = client.get(ROOMS).content.decode()
    assert 'data-room="cafe"' not in after and 'class="flash"' in after


def test_lifting_the_shield_restores_the_previous_slow_mode(adults_room, moderator):
    Room.objects.filter(pk=adults_room.pk).update(slow_mode_seconds=5)
    protection.shield_room(actor=moderator, slug="cafe")
    assert Room.objects.get(pk=adults_room.pk).slow_mode_seconds > 5
    assert _csrf_post(_signed_in(moderator, csrf=True), LIFT.format(slug="cafe")).status_code == 302
    room = Room.objects.get(pk=adults_room.pk)
    assert not room.established_only and room.slow_mode_seconds == 5


def test_lift_without_csrf_token_is_refused(locked_room, moderator):
    response = _signed_in(moderator, csrf=True).post(LIFT.format(slug="cafe"))
    assert response.status_code == 403
    assert Room.objects.get(pk=locked_room.pk).established_only


def test_lift_is_post_only(locked_room, moderator):
    assert _signed_in(moderator).get(LIFT.format(slug="cafe")).status_code == 405
    assert Room.objects.get(pk=locked_room.pk).established_only


@pytest.mark.parametrize("who", ["visitor", "adult", "operator", "suspended_moderator"])
def test_only_moderators_see_the_page_or_lift(locked_room, make_user, who):
    if who == "visitor":
        client = Client()
    else:
        fields = {"adult": {}, "operator": {"is_operator": True},
                  "suspended_moderator": {"is_moderator": True,
                                          "suspended_until": timezone.now() + dt.timedelta(days=1)}}[who]
        client = _signed_in(make_user(pseudonym=f"not_{who}"[:32], **fields))
    # A visitor is shown the way to sign in; a signed-in non-moderator learns nothing.
    refused = 401 if who == "visitor" else 404
    assert client.get(ROOMS).status_code == refused
    assert client.post(LIFT.format(slug="cafe")).status_code == refused
    assert Room.objects.get(pk=locked_room.pk).established_only
    assert not AuditEntry.objects.filter(action="room.lockdown_lifted").exists()


def test_lifting_a_room_no_longer_locked_says_so(adults_room, moderator):
    response = _signed_in(moderator).post(LIFT.format(slug="cafe"), follow=True)
    assert response.status_code == 200
    assert 'class="flash"' in response.content.decode()
    assert not AuditEntry.objects.filter(action="room.lockdown_lifted").exists()


def test_lifting_an_unknown_room_is_404(moderator):
    assert _signed_in(moderator).post(LIFT.format(slug="nowhere")).status_code == 404
