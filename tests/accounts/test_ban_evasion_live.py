"""Ban-evasion linking reaches an open socket: an account linked while connected is held as a
new account at its next message, without reconnecting."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone

from accounts import evasion
from accounts.models import AgeBand, EvasionLink, User
from chat import services as chat_services
from moderation.models import Case, Decision
from moderation.services.decide import decide_case
from moderation.services.shared import open_case_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

DEVICE = "d" * 32


def banned_ten_days_ago(make_user) -> User:
    moderator = make_user(AgeBand.ADULT, "mod_live", is_moderator=True)
    banned = make_user(AgeBand.ADULT, "darkwolf", date_joined=timezone.now() - dt.timedelta(days=20))
    evasion.record_sign_in(user=banned, device_id=DEVICE, ip=None)
    with transaction.atomic():
        case = open_case_for(subject_type=Case.SubjectType.USER, subject_id=banned.pk,
                             defaults={"subject_user_id": banned.pk, "category": "harassment"})
    decide_case(moderator=moderator, case_id=case.pk, action="ban", reason_code="harassment")
    Decision.objects.filter(case=case).update(created_at=timezone.now() - dt.timedelta(days=10))
    return banned


def established_room():
    room = chat_services.create_room(slug="calme", name="Calme", audience="adults")
    room.established_only = True
    room.save(update_fields=["established_only"])
    return room


def end_cool_down(user: User) -> None:
    """As if the interim cool-down's minutes had passed (its end reaches sockets as any does)."""
    User.objects.filter(pk=user.pk).update(muted_until=timezone.now() - dt.timedelta(seconds=1))
    chat_services.user_sanction_changed(user_id=user.pk, close=False)


async def test_a_link_found_while_connected_holds_the_open_socket(make_user, ws_client):
    banned = await sync_to_async(banned_ten_days_ago)(make_user)
    await sync_to_async(established_room)()
    # Signed up after the ban, three days ago: established by age.
    newcomer = await sync_to_async(make_user)(AgeBand.ADULT, "sunny_kate",
                                              date_joined=timezone.now() - dt.timedelta(days=3))
    client = await ws_client(newcomer)
    await client.request("room.join", room="calme")
    assert (await client.request("room.send", room="calme", body="bonjour"))["type"] == "ack"

    # It signs in elsewhere from the banned account's device: linked, off the request path.
    await sync_to_async(evasion.record_sign_in)(user=newcomer, device_id=DEVICE, ip=None)
    link = await sync_to_async(EvasionLink.objects.get)(user=newcomer)
    assert link.banned_user_id == banned.pk
    await sync_to_async(end_cool_down)(newcomer)

    refused = await client.request("room.send", room="calme", body="encore moi")
    assert refused["error"]["code"] == "room_locked" and refused["error"]["reason"] == "established_only"
    await client.close()
