"""Chat limits: one test per limit, first contact for new accounts, join waves, the shield,
flooding (4008) and what happens when the limiter's Redis is unreachable.

These run on the per-process bucket (no Redis in unit tests); the same code path on the
shared Redis bucket is tested in tests/accounts/test_throttling_redis.py and across two
server processes in tests/reliability/.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import AgeBand
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts import throttling
from core.errors import PhareError
from accounts.models import AbusePolicy, RateLimitRule
from chat import protection
from chat import services as chat_services
from chat.models import Membership, Message, Room
from moderation.models import Case
from tests.conftest import connect_ws

pytestmark = pytest.mark.django_db(transaction=True)


def set_rate(name: str, limit: int, period: int, new_account_limit: int | None = None) -> None:
    RateLimitRule.objects.update_or_create(
        name=name, defaults={"limit": limit, "period_seconds": period, "new_account_limit": new_account_limit}
    )
    throttling.bump_policy_version()


def set_policy(**fields) -> None:
    row = AbusePolicy.objects.filter(pk=1).first() or AbusePolicy(pk=1)
    for key, value in fields.items():
        setattr(row, key, value)
    row.save()
    throttling.bump_policy_version()


@pytest.fixture
def new_user(make_user):
    def make(band=AgeBand.ADULT, **fields):
        return make_user(band, date_joined=timezone.now() - dt.timedelta(minutes=5), **fields)

    return make


def post(user, room, body="bonjour"):
    return chat_services.post_room_message(author=user, room=room, body=body)


def refusal(call) -> PhareError:
    with pytest.raises(PhareError) as caught:
        call()
    return caught.value


# --- Room messages -------------------------------------------------------------------------

def test_room_messages_per_account_are_limited_with_retry_after(make_user, adults_room):
    set_rate("room_message_account", 3, 30)
    author = make_user()
    for i in range(3):
        assert post(author, adults_room, f"m{i}").status == "delivered"
    error = refusal(lambda: post(author, adults_room, "one too many"))
    assert error.code == "rate_limited"
    assert error.extra["reason"] == "room_message_account"
    assert 1 <= error.retry_after <= 10  # one token back every 30/3 s
    assert Message.objects.filter(author=author).count() == 3


def test_the_account_limit_holds_across_rooms(make_user, adults_room):
    set_rate("room_message_account", 2, 60)
    other_room = chat_services.create_room(slug="terrasse", name="Terrasse", audience="adults")
    author = make_user()
    post(author, adults_room)
    post(author, other_room)
    assert refusal(lambda: post(author, other_room)).code == "rate_limited"


def test_new_accounts_get_the_tighter_message_limit(make_user, new_user, adults_room):
    set_rate("room_message_account", 4, 60, new_account_limit=1)
    newcomer, regular = new_user(), make_user()
    post(newcomer, adults_room)
    assert refusal(lambda: post(newcomer, adults_room)).code == "rate_limited"
    for _ in range(4):
        post(regular, adults_room)


def test_messages_per_room_are_limited_for_all_authors_together(make_user, adults_room):
    set_rate("room_message_room", 3, 60)
    authors = [make_user() for _ in range(4)]
    for author in authors[:3]:
        post(author, adults_room)
    error = refusal(lambda: post(authors[3], adults_room))
    assert error.code == "rate_limited" and error.extra["reason"] == "room_message_room"


def test_moderators_are_not_held_back_by_a_busy_room(make_user, adults_room):
    set_rate("room_message_room", 1, 60)
    post(make_user(), adults_room)
    moderator = make_user(is_moderator=True)
    assert post(moderator, adults_room).status == "delivered"


def test_direct_messages_per_account_are_limited(make_user):
    set_rate("dm_message_account", 2, 60)
    ann, ben = make_user(), make_user()
    conversation = chat_services.open_conversation(sender=ann, to=str(ben.pk), body="salut")
    chat_services.accept_conversation(user=ben, conversation_id=conversation["id"])
    for body in ("un", "deux"):
        chat_services.send_direct_message(sender=ann, conversation_id=conversation["id"], body=body)
    error = refusal(lambda: chat_services.send_direct_message(
        sender=ann, conversation_id=conversation["id"], body="trois"))
    assert error.code == "rate_limited" and error.extra["reason"] == "dm_message_account"


# --- First contact -------------------------------------------------------------------------

def test_dm_requests_per_sender_per_hour_are_capped(make_user):
    set_rate("dm_request_hour", 2, 3600)
    sender = make_user()
    for _ in range(2):
        chat_services.open_conversation(sender=sender, to=str(make_user().pk), body="bonjour")
    error = refusal(lambda: chat_services.open_conversation(sender=sender, to=str(make_user().pk), body="bonjour"))
    assert error.code == "rate_limited" and error.extra["reason"] == "dm_request_hour"
    assert error.retry_after > 60


def test_dm_requests_per_sender_per_day_are_capped(make_user):
    set_rate("dm_request_day", 3, 86400)
    set_rate("dm_request_hour", 50, 3600)
    sender = make_user()
    for _ in range(3):
        chat_services.open_conversation(sender=sender, to=str(make_user().pk), body="bonjour")
    error = refusal(lambda: chat_services.open_conversation(sender=sender, to=str(make_user().pk), body="bonjour"))
    assert error.code == "rate_limited" and error.extra["reason"] == "dm_request_day"


def test_a_refused_request_spends_no_request_from_the_cap(make_user):
    set_rate("dm_request_hour", 1, 3600)
    sender, nobody = make_user(), make_user(dm_policy="nobody")
    assert refusal(lambda: chat_services.open_conversation(sender=sender, to=str(nobody.pk), body="hé")).code \
        == "not_found"
    chat_services.open_conversation(sender=sender, to=str(make_user().pk), body="bonjour")


def test_new_accounts_in_minors_bands_cannot_send_dm_requests(new_user, make_user):
    newcomer, target = new_user(band=AgeBand.YOUNG_TEEN), make_user(AgeBand.YOUNG_TEEN, dm_policy="anyone_in_band")
    error = refusal(lambda: chat_services.open_conversation(sender=newcomer, to=str(target.pk), body="salut"))
    assert error.code == "forbidden" and error.extra["reason"] == "new_account"
    assert 0 < error.extra["wait_seconds"] <= 24 * 3600


def test_new_adult_accounts_may_send_requests_unless_the_operator_bans_all(new_user, make_user):
    chat_services.open_conversation(sender=new_user(), to=str(make_user().pk), body="salut")
    set_policy(first_contact_ban_scope="everyone")
    error = refusal(lambda: chat_services.open_conversation(sender=new_user(), to=str(make_user().pk), body="salut"))
    assert error.code == "forbidden" and error.extra["reason"] == "new_account"


def test_first_contacts_are_paused_while_an_automated_restriction_awaits_a_moderator(make_user):
    sender = make_user()
    case = Case.objects.create(subject_type="user", subject_id=sender.pk, subject_user=sender,
                               interim_restricted=True)
    error = refusal(lambda: chat_services.open_conversation(sender=sender, to=str(make_user().pk), body="salut"))
    assert error.code == "forbidden" and error.extra["reason"] == "first_contacts_paused"
    # Decided (whatever the outcome), the pause is over.
    Case.objects.filter(pk=case.pk).update(status="decided")
    chat_services.open_conversation(sender=sender, to=str(make_user().pk), body="salut")


def test_the_new_account_age_is_operator_policy(new_user, make_user):
    set_policy(new_account_hours=0)
    chat_services.open_conversation(sender=new_user(band=AgeBand.YOUNG_TEEN),
                                    to=str(make_user(AgeBand.YOUNG_TEEN, dm_policy="anyone_in_band").pk), body="salut")


def test_new_accounts_cannot_send_links(new_user, make_user, adults_room):
    newcomer = new_user()
    error = refusal(lambda: post(newcomer, adults_room, "regardez www.exemple.com"))
    assert error.code == "blocked_by_policy" and error.extra["reasons"] == ["new_account_link"]
    assert not Message.objects.filter(author=newcomer).exists()
    assert post(newcomer, adults_room, "bonjour tout le monde").status == "delivered"
    assert post(make_user(), adults_room, "regardez www.exemple.com").status in ("delivered", "held")


# --- Room joins ----------------------------------------------------------------------------

def test_room_joins_per_account_are_limited(make_user):
    set_rate("room_join_account", 2, 60)
    user = make_user()
    for slug in ("a1", "a2", "a3"):
        chat_services.create_room(slug=slug, name=slug, audience="adults")
    chat_services.join_room(user=user, slug="a1")
    chat_services.join_room(user=user, slug="a2")
    error = refusal(lambda: chat_services.join_room(user=user, slug="a3"))
    assert error.code == "rate_limited" and error.extra["reason"] == "room_join_account"
    assert not Membership.objects.filter(user=user, room__slug="a3").exists()


# --- Join waves, lockdown, shield ------------------------------------------------------------

@pytest.fixture
def moderator_events(monkeypatch):
    sent = []
    monkeypatch.setattr(protection.events, "send_to_moderators", lambda payload: sent.append(payload))
    return sent


def test_a_join_wave_of_new_accounts_locks_the_room_down_and_alerts_moderators(
    new_user, make_user, adults_room, moderator_events
):
    set_policy(join_wave_accounts=3, join_wave_window_seconds=60)
    regular = make_user()
    chat_services.join_room(user=regular, slug="cafe")
    newcomers = [new_user() for _ in range(3)]
    for newcomer in newcomers[:2]:
        chat_services.join_room(user=newcomer, slug="cafe")
    assert not Room.objects.get(pk=adults_room.pk).established_only
    chat_services.join_room(user=newcomers[2], slug="cafe")
    room = Room.objects.get(pk=adults_room.pk)
    assert room.established_only and room.lockdown_reason == "join_wave"
    assert [e["kind"] for e in moderator_events] == ["room_lockdown"]
    assert moderator_events[0]["room"]["slug"] == "cafe" and moderator_events[0]["new_accounts"] == 3
    error = refusal(lambda: post(newcomers[0], room))
    assert error.code == "room_locked" and error.extra["reason"] == "established_only"
    assert post(regular, room).status == "delivered"


def test_the_same_account_joining_again_is_not_a_wave(new_user, adults_room, moderator_events):
    set_policy(join_wave_accounts=2, join_wave_window_seconds=60)
    newcomer = new_user()
    for _ in range(3):
        chat_services.join_room(user=newcomer, slug="cafe")
        chat_services.leave_room(user=newcomer, slug="cafe")
    assert not Room.objects.get(pk=adults_room.pk).established_only
    assert moderator_events == []


def test_a_moderator_lifts_a_lockdown(new_user, make_user, adults_room, moderator_events):
    protection.lock_down_room(room_id=adults_room.pk, reason="join_wave", actor=None, data={})
    with pytest.raises(PhareError) as caught:
        protection.lift_room_lockdown(actor=make_user(), slug="cafe")
    assert caught.value.code == "not_found"
    protection.lift_room_lockdown(actor=make_user(is_moderator=True), slug="cafe")
    room = Room.objects.get(pk=adults_room.pk)
    assert not room.established_only and room.lockdown_reason == ""
    assert post(new_user(), room).status == "delivered"
    assert [e["kind"] for e in moderator_events] == ["room_lockdown", "room_lockdown_lifted"]


def test_the_shield_preset_raises_slow_mode_and_lifting_restores_it(new_user, make_user, adults_room):
    set_policy(shield_slow_mode_seconds=45)
    moderator = make_user(is_moderator=True)
    room = protection.shield_room(actor=moderator, slug="cafe")
    assert room.established_only and room.lockdown_reason == "shield" and room.slow_mode_seconds == 45
    assert refusal(lambda: post(new_user(), room)).code == "room_locked"
    regular = make_user()
    post(regular, room)
    slowed = refusal(lambda: post(regular, room))
    assert slowed.code == "rate_limited" and slowed.extra["reason"] == "slow_mode"
    room = protection.lift_room_lockdown(actor=moderator, slug="cafe")
    assert room.slow_mode_seconds == 0 and room.shield_previous_slow_mode is None


def test_lockdowns_and_shields_are_audited(make_user, adults_room):
    from moderation.models import AuditEntry

    moderator = make_user(is_moderator=True)
    protection.shield_room(actor=moderator, slug="cafe")
    protection.lift_room_lockdown(actor=moderator, slug="cafe")
    entries = AuditEntry.objects.filter(action__startswith="room.").order_by("seq")
    assert [(e.action, e.actor_id) for e in entries] == [
        ("room.shield", moderator.pk), ("room.lockdown_lifted", moderator.pk)]


# --- Redis unreachable -------------------------------------------------------------------------

@pytest.fixture
def limiter_redis_down(settings):
    # A port nothing listens on: every Redis call fails at once.
    settings.PHARE_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:9/0"
    settings.PHARE_RATE_LIMIT_REDIS_TIMEOUT = 0.2
    throttling.reset_local_state()
    yield
    throttling.reset_local_state()


def test_without_redis_room_messages_fall_back_to_per_process_limits(make_user, adults_room, limiter_redis_down):
    set_rate("room_message_account", 2, 60)
    author = make_user()
    post(author, adults_room)
    post(author, adults_room)
    assert refusal(lambda: post(author, adults_room)).code == "rate_limited"


def test_without_redis_dm_requests_are_refused_with_unavailable(make_user, limiter_redis_down):
    error = refusal(lambda: chat_services.open_conversation(
        sender=make_user(), to=str(make_user().pk), body="bonjour"))
    assert error.code == "unavailable" and error.http_status == 503
    assert error.retry_after and error.extra["reason"] == "rate_limiter_unavailable"


# --- The WebSocket edge ------------------------------------------------------------------------

async def test_websocket_refusal_carries_rate_limited_and_retry_after(make_user, adults_room, ws_client):
    await sync_to_async(set_rate)("room_message_account", 1, 60)
    author = await sync_to_async(make_user)()
    client = await ws_client(author)
    await client.request("room.join", room="cafe")
    assert (await client.request("room.send", room="cafe", body="un"))["type"] == "ack"
    answer = await client.request("room.send", room="cafe", body="deux")
    assert answer["type"] == "error"
    assert answer["error"]["code"] == "rate_limited"
    assert answer["error"]["retry_after"] >= 1
    assert answer["error"]["reason"] == "room_message_account"
    assert (await client.request("dm.list"))["type"] == "ack"  # the socket stays open
    await client.close()


async def test_sustained_flooding_closes_the_socket_with_4008(make_user, adults_room, ws_client):
    await sync_to_async(set_rate)("room_message_account", 1, 60)
    await sync_to_async(set_policy)(flood_refusals=5, flood_window_seconds=30)
    author = await sync_to_async(make_user)()
    client = await ws_client(author)
    await client.request("room.join", room="cafe")
    for i in range(10):
        await client.communicator.send_json_to({"type": "room.send", "id": f"f{i}", "room": "cafe", "body": "spam"})
    outputs = []
    while True:
        output = await client.communicator.receive_output(timeout=5)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert outputs[-1]["code"] == 4008
    refusals = [o for o in outputs if o["type"] == "websocket.send" and "rate_limited" in o.get("text", "")]
    assert len(refusals) == 5
    assert await sync_to_async(Message.objects.filter(author=author).count)() == 1


async def test_frames_per_socket_are_limited(make_user, ws_client):
    await sync_to_async(set_rate)("ws_frames_socket", 3, 60)
    client = await ws_client(await sync_to_async(make_user)())
    for _ in range(3):
        assert (await client.request("dm.list"))["type"] == "ack"
    answer = await client.request("dm.list")
    assert answer["error"]["code"] == "rate_limited" and answer["error"]["reason"] == "ws_frames_socket"
    await client.close()


async def test_connection_attempts_per_ip_are_limited(make_user):
    await sync_to_async(set_rate)("connect_ip", 2, 60)
    user = await sync_to_async(make_user)()
    first, ok1 = await connect_ws(user)
    second, ok2 = await connect_ws(user)
    assert ok1 and ok2
    third, _ = await connect_ws(user)
    error = await third.receive_json_from(timeout=3)
    assert error["error"]["code"] == "rate_limited" and error["error"]["reason"] == "connect_ip"
    assert (await third.receive_output(timeout=3))["code"] == 4008
    for communicator in (first, second):
        await communicator.disconnect()


# --- Admin and live sockets ------------------------------------------------------------------

def test_the_shield_is_one_click_in_the_admin_and_lifts_the_same_way(make_user, adults_room):
    from django.test import Client

    client = Client()
    client.force_login(make_user(is_operator=True, is_staff=True))
    response = client.post("/admin/chat/room/", {"action": "raise_shield", "_selected_action": [adults_room.pk]})
    assert response.status_code == 302
    room = Room.objects.get(pk=adults_room.pk)
    assert room.established_only and room.lockdown_reason == "shield" and room.slow_mode_seconds > 0
    client.post("/admin/chat/room/", {"action": "lift_lockdown", "_selected_action": [adults_room.pk]})
    room = Room.objects.get(pk=adults_room.pk)
    assert not room.established_only and room.slow_mode_seconds == 0


async def test_sockets_in_the_room_learn_of_a_lockdown_at_once(new_user, adults_room, ws_client):
    newcomer = await sync_to_async(new_user)()
    client = await ws_client(newcomer)
    await client.request("room.join", room="cafe")
    assert (await client.request("room.send", room="cafe", body="avant"))["type"] == "ack"
    await sync_to_async(protection.lock_down_room)(room_id=adults_room.pk, reason="join_wave", actor=None, data={})
    answer = None
    for _ in range(20):  # the room_updated event reaches the socket asynchronously
        answer = await client.request("room.send", room="cafe", body="après")
        if answer["type"] == "error":
            break
    assert answer["error"]["code"] == "room_locked"
    await client.close()
