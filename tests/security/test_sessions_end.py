"""Log-out, deletion, suspension and ban end what they must: the HTTP sessions stop
working, open sockets close with the right code within 5 s even when the channel layer's close
event is lost (chat.realtime.watcher reads the database), and a suspended or banned person keeps only
what they need to read the statement of reasons and appeal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AgeBand, User
from chat.realtime import events, watcher
from tests.security.routes import all_routes
from tests.security.test_authorisation_http import MATRIX, fill
from tests.security.world import World

pytestmark = pytest.mark.django_db(transaction=True)

# What a suspended or banned account may still do over the API: everything else is 403
# `suspended`. (The terms are public: a statement of reasons cites them.)
WHILE_SUSPENDED = {
    ("api/v1/session", "GET"), ("api/v1/accounts/login", "POST"), ("api/v1/accounts/logout", "POST"),
    ("api/v1/me", "GET"), ("api/v1/me", "DELETE"), ("api/v1/notices", "GET"), ("api/v1/appeals", "POST"),
    ("api/v1/me/export", "GET"), ("api/v1/terms", "GET"), ("api/v1/me/strikes", "GET"),
}
PASSWORD = "correct horse battery"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def call(client: Client, method: str, path: str, body: dict | None = None):
    return client.generic(method, path, data=json.dumps(body) if body is not None else "",
                          content_type="application/json")


async def socket_of(client: Client) -> WebsocketCommunicator:
    """A socket opened with `client`'s own session (as the browser's page opens it)."""
    from config.asgi import application

    cookie = client.cookies["sessionid"].value
    communicator = WebsocketCommunicator(application, "/ws/", headers=[
        (b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", f"sessionid={cookie}".encode())])
    connected, _ = await communicator.connect()
    assert connected
    # Open for good: a refused socket is accepted, then closed at once.
    assert await communicator.receive_nothing(timeout=0.2)
    return communicator


async def closed_with(communicator: WebsocketCommunicator, *, within: float) -> int:
    """The close code the socket gets within `within` seconds (events before it skipped)."""
    deadline = timezone.now() + dt.timedelta(seconds=within)
    while True:
        remaining = (deadline - timezone.now()).total_seconds()
        assert remaining > 0, "the socket was not closed in time"
        output = await communicator.receive_output(timeout=remaining)
        if output["type"] == "websocket.close":
            return output["code"]


@pytest.fixture
def lost_controls(monkeypatch):
    """The channel layer loses every control event (Redis down, a process behind): closes
    and refreshes then rely on the watcher alone. Returns the controls that were lost."""
    lost: list[tuple[str, dict]] = []
    send = events._send_now

    def send_or_lose(group: str, message: dict) -> None:
        if message.get("type") == "chat.control":
            lost.append((group, message))
            return
        send(group, message)

    monkeypatch.setattr(events, "_send_now", send_or_lose)
    return lost


def _sanction(user: User, action: str) -> None:
    """A moderator's decision on a report about `user`, through the real services."""
    from moderation.services.decide import decide_case
    from moderation.services.report import file_report

    reporter = User.objects.create_user(f"rep_{action}_{user.pk}", PASSWORD, age_band=AgeBand.ADULT,
                                        dm_policy="anyone_in_band",
                                        date_joined=timezone.now() - dt.timedelta(days=60))
    moderator = User.objects.create_user(f"mod_{action}_{user.pk}", PASSWORD, age_band=AgeBand.ADULT,
                                         dm_policy="anyone_in_band", is_moderator=True)
    report = file_report(reporter=reporter, target={"user": str(user.pk)},
                         category="harassment", details="", good_faith=True)
    decide_case(moderator=moderator, case_id=str(report.case_id), action=action,
                reason_code="harassment", duration_seconds=86400 if action == "suspend" else None)


# --- Log-out ------------------------------------------------------------------------------

def test_logout_ends_every_session_of_the_account(make_user):
    user = make_user(AgeBand.ADULT, "leaving_lou")
    laptop, phone = signed_in(user), signed_in(user)
    assert laptop.get("/api/v1/me").status_code == 200 and phone.get("/api/v1/me").status_code == 200
    assert laptop.post("/api/v1/accounts/logout").status_code == 204
    for client in (laptop, phone):
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/api/v1/session").json() == {"authenticated": False, "user": None}
    # Signing in again works, and only the new session does.
    again = Client()
    answer = call(again, "POST", "/api/v1/accounts/login", {"pseudonym": "leaving_lou", "password": PASSWORD})
    assert answer.status_code == 200
    assert again.get("/api/v1/me").status_code == 200
    assert phone.get("/api/v1/me").status_code == 401


def test_raising_the_epoch_fails_django_s_own_session_check(make_user):
    user = make_user(AgeBand.ADULT, "epoch_eve")
    client = signed_in(user)
    before = user.get_session_auth_hash()
    account_services.end_all_sessions(user=user)
    assert user.get_session_auth_hash() != before
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.asyncio
async def test_logout_closes_the_session_s_socket_within_5_seconds_when_the_close_event_is_lost(
        make_user, lost_controls):
    user = await sync_to_async(make_user)(AgeBand.ADULT, "bye_bea")
    client = await sync_to_async(signed_in)(user)
    communicator = await socket_of(client)
    assert (await sync_to_async(client.post)("/api/v1/accounts/logout")).status_code == 204
    assert lost_controls  # the fast path was tried, and lost
    assert await closed_with(communicator, within=5) == 4001


@pytest.mark.asyncio
async def test_logout_closes_the_sockets_of_the_account_s_other_sessions(make_user, lost_controls):
    user = await sync_to_async(make_user)(AgeBand.ADULT, "bye_bob")
    laptop, phone = await sync_to_async(signed_in)(user), await sync_to_async(signed_in)(user)
    phone_socket = await socket_of(phone)
    assert (await sync_to_async(laptop.post)("/api/v1/accounts/logout")).status_code == 204
    await watcher.for_this_loop().tick()
    assert await closed_with(phone_socket, within=1) == 4001


@pytest.mark.asyncio
async def test_a_socket_whose_session_row_is_gone_is_closed(make_user, lost_controls):
    """The session ended without an epoch change (its row deleted: a log-out on the database
    backend, an expiry purge): the watcher sees the row gone."""
    user = await sync_to_async(make_user)(AgeBand.ADULT, "row_rae")
    client, other = await sync_to_async(signed_in)(user), await sync_to_async(signed_in)(user)
    communicator, kept = await socket_of(client), await socket_of(other)
    await sync_to_async(Session.objects.filter(session_key=client.cookies["sessionid"].value).delete)()
    await watcher.for_this_loop().tick()
    assert await closed_with(communicator, within=1) == 4001
    # The socket of the session that still exists stays open.
    assert await kept.receive_nothing(timeout=0.3)
    await kept.disconnect()


@pytest.mark.asyncio
async def test_the_logout_event_closes_sockets_at_once(make_user, monkeypatch):
    monkeypatch.setattr(watcher, "WATCH_INTERVAL_SECONDS", 60)  # the event alone, no watcher
    user = await sync_to_async(make_user)(AgeBand.ADULT, "fast_fay")
    client = await sync_to_async(signed_in)(user)
    communicator = await socket_of(client)
    await sync_to_async(client.post)("/api/v1/accounts/logout")
    assert await closed_with(communicator, within=1) == 4001


@pytest.mark.asyncio
async def test_a_socket_cannot_open_with_a_logged_out_session(make_user):
    user = await sync_to_async(make_user)(AgeBand.ADULT, "late_lea")
    client, other = await sync_to_async(signed_in)(user), await sync_to_async(signed_in)(user)
    await sync_to_async(client.post)("/api/v1/accounts/logout")
    from config.asgi import application

    cookie = other.cookies["sessionid"].value
    communicator = WebsocketCommunicator(application, "/ws/", headers=[
        (b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", f"sessionid={cookie}".encode())])
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4001}


# --- Deletion -----------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_deletion_ends_every_session_and_closes_every_socket_within_5_seconds(make_user, lost_controls):
    user = await sync_to_async(make_user)(AgeBand.ADULT, "gone_gus")
    here, elsewhere = await sync_to_async(signed_in)(user), await sync_to_async(signed_in)(user)
    sockets = [await socket_of(here), await socket_of(elsewhere)]
    assert (await sync_to_async(call)(here, "DELETE", "/api/v1/me")).status_code == 204
    for communicator in sockets:
        assert await closed_with(communicator, within=5) == 4001
    assert (await sync_to_async(elsewhere.get)("/api/v1/me")).status_code == 401


# --- Suspension and ban -------------------------------------------------------------------

@pytest.mark.asyncio
@pytest.mark.parametrize("action", ["suspend", "ban"])
async def test_suspension_and_ban_close_every_socket_within_5_seconds_when_the_event_is_lost(
        make_user, lost_controls, action):
    user = await sync_to_async(make_user)(AgeBand.ADULT, f"bad_{action}")
    sockets = [await socket_of(await sync_to_async(signed_in)(user)) for _ in range(2)]
    await sync_to_async(_sanction)(user, action)
    assert any(m.get("code") == 4003 for _g, m in lost_controls)  # the fast path was tried, and lost
    for communicator in sockets:
        assert await closed_with(communicator, within=5) == 4003


@pytest.mark.asyncio
@pytest.mark.parametrize("action", ["suspend", "ban"])
async def test_suspension_and_ban_close_sockets_at_once(make_user, monkeypatch, action):
    monkeypatch.setattr(watcher, "WATCH_INTERVAL_SECONDS", 60)  # the event alone, no watcher
    user = await sync_to_async(make_user)(AgeBand.ADULT, f"now_{action}")
    communicator = await socket_of(await sync_to_async(signed_in)(user))
    await sync_to_async(_sanction)(user, action)
    assert await closed_with(communicator, within=1) == 4003


@pytest.mark.asyncio
async def test_a_suspension_written_outside_the_services_still_closes_the_socket(make_user, lost_controls):
    """No event at all (a strike suspension whose event was lost, a database edit): the
    watcher reads the suspension."""
    user = await sync_to_async(make_user)(AgeBand.ADULT, "quiet_quin")
    communicator = await socket_of(await sync_to_async(signed_in)(user))
    await sync_to_async(User.objects.filter(pk=user.pk).update)(
        suspended_until=timezone.now() + dt.timedelta(days=1))
    await watcher.for_this_loop().tick()
    assert await closed_with(communicator, within=1) == 4003


@pytest.mark.asyncio
async def test_a_mute_reaches_the_open_socket_without_the_event(make_user, adults_room, lost_controls):
    from tests.conftest import Ws

    user = await sync_to_async(make_user)(AgeBand.ADULT, "loud_lin")
    ws = Ws(await socket_of(await sync_to_async(signed_in)(user)))
    assert (await ws.request("room.join", room="cafe"))["type"] == "ack"
    await sync_to_async(User.objects.filter(pk=user.pk).update)(muted_until=timezone.now() + dt.timedelta(hours=1))
    await watcher.for_this_loop().tick()
    answer = await ws.request("room.send", room="cafe", body="encore moi")
    assert answer["type"] == "error" and answer["error"]["code"] == "muted"
    await ws.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("action", ["suspend", "ban"])
async def test_a_sanctioned_account_cannot_open_a_socket(make_user, action):
    user = await sync_to_async(make_user)(AgeBand.ADULT, f"again_{action}")
    client = await sync_to_async(signed_in)(user)
    await sync_to_async(_sanction)(user, action)
    from config.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/", headers=[
        (b"origin", b"http://localhost"), (b"host", b"localhost"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())])
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4003}


@pytest.mark.parametrize("action", ["suspend", "ban"])
def test_a_sanctioned_person_can_sign_in_read_the_notice_and_appeal(make_user, action):
    user = make_user(AgeBand.ADULT, f"appeal_{action}")
    _sanction(user, action)
    client = Client()
    answer = call(client, "POST", "/api/v1/accounts/login", {"pseudonym": f"appeal_{action}", "password": PASSWORD})
    assert answer.status_code == 200, answer.content
    notices = client.get("/api/v1/notices").json()["notices"]
    notice = next(n for n in notices if n["action"] == action)
    assert notice["appealable_until"]
    appeal = call(client, "POST", "/api/v1/appeals", {"notice": notice["id"], "reason": "I did nothing wrong."})
    assert appeal.status_code == 201, appeal.content
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me/export").status_code == 200
    refused = client.get("/api/v1/rooms")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "suspended"
    assert client.post("/api/v1/accounts/logout").status_code == 204


@pytest.mark.parametrize("how", ["suspended", "banned"])
def test_every_other_api_route_answers_403_suspended(make_user, generous_limits, how):
    sanction = {"suspended_until": timezone.now() + dt.timedelta(days=1)} if how == "suspended" else {"banned": True}
    user = make_user(AgeBand.ADULT, f"only_{how}", is_moderator=True, is_operator=True, **sanction)
    empty = World(users={}, other_adult=None, other_minor=None, adults_room=None, minors_room=None)
    checked = 0
    for route in all_routes():
        if not route.route.startswith("api/v1/") or route.key not in MATRIX:
            continue
        entry = MATRIX[route.key]
        for method in entry.methods:
            if (route.key, method) in WHILE_SUSPENDED:
                continue
            path = route.path(**{name: "1" for name in route.parameters})
            response = call(signed_in(user), method, path, fill(entry.body, empty))
            assert response.status_code == 403, (method, path, response.status_code, response.content[:200])
            assert response.json()["error"]["code"] == "suspended", (method, path)
            checked += 1
    assert checked > 20
    # The routes it keeps answer (those that change nothing are tried here).
    client = signed_in(user)
    for path in ["/api/v1/session", "/api/v1/me", "/api/v1/notices", "/api/v1/me/export", "/api/v1/me/strikes"]:
        assert client.get(path).status_code == 200, path


# --- The watcher's cost -------------------------------------------------------------------

def test_the_watcher_reads_all_sockets_accounts_in_constant_queries(make_user, django_assert_num_queries):
    """One query for the accounts and one for the sessions, however many sockets (the
    benchmark's 1,000 per process); more ids than SQLite takes in one statement still work."""
    users = [make_user(AgeBand.ADULT, f"many_{i}") for i in range(3)]
    keys = {signed_in(u).cookies["sessionid"].value for u in users}
    with django_assert_num_queries(2):
        states = watcher.load_account_states(user_ids={u.pk for u in users}, session_keys=keys)
    assert set(states.users) == {u.pk for u in users} and states.live_sessions == keys
    assert states.users[users[0].pk]["session_epoch"] == 0
    many_ids = {u.pk for u in users} | set(range(10_000_000, 10_001_500))
    many_keys = keys | {f"missing{i:032d}" for i in range(1_500)}
    states = watcher.load_account_states(user_ids=many_ids, session_keys=many_keys)
    assert set(states.users) == {u.pk for u in users} and states.live_sessions == keys
