"""No 500 during a Redis or PostgreSQL outage (core/outages.py).

Redis down is simulated by pointing the channel layer, the cache or the limiter at a port
nothing listens on (refused at once); PostgreSQL down by a session read that raises
OperationalError, as psycopg does when the server is gone.
"""

from __future__ import annotations

import json

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connections, transaction
from django.test import Client

from accounts import throttling
from accounts.models import AgeBand, UserBlock, UserMute
from chat import services as chat_services
from chat.models import Membership, Room
from chat.realtime import events
from core.outages import CLOSE_UNAVAILABLE, WebSocketOutageGuard
from moderation.models import Appeal, Case, Notice
from tests.conftest import session_cookie_for

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


@pytest.fixture
def redis_down(settings):
    """Every use of Redis fails: the channel layer (no event loop in this process, so it
    publishes synchronously, as a server that has not yet opened a socket does), the cache
    (nonces) and the rate limiter."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "chat.realtime.fanout.FanoutLayer",
                                           "CONFIG": {"redis_url": UNREACHABLE, "stream": "phare:fanout"}}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": UNREACHABLE}}
    settings.PHARE_RATE_LIMIT_REDIS_URL = UNREACHABLE
    throttling.reset_local_state()
    assert get_channel_layer().redis_url == UNREACHABLE
    yield
    throttling.reset_local_state()  # the limiter's memory of the outage


@pytest.fixture
def moderator(make_user):
    return make_user(AgeBand.ADULT, "alix_v", is_moderator=True)


def _client(user) -> Client:
    # What a server answers (the 500 handler's response), not the exception re-raised.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _post(client: Client, path: str, body: dict):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def _assert_unavailable(response, reason: str) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert (error["code"], error["reason"], error["retry_after"]) == ("unavailable", reason, 5)


# --- Redis down: stored and told so, or refused before anything is stored ---------------------
# Transactional tests: the hooks that need Redis run only after a real commit.

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("control, model, owner", [("mutes", UserMute, "muter"), ("blocks", UserBlock, "blocker")])
def test_a_mute_or_block_is_stored_and_answered_as_stored_while_redis_is_down(
        redis_down, make_user, control, model, owner):
    user, other = make_user(), make_user()
    client = _client(user)
    response = _post(client, f"/api/v1/me/{control}", {"user": str(other.pk)})
    assert response.status_code == 201, response.content
    assert model.objects.filter(**{owner: user}).count() == 1
    assert client.delete(f"/api/v1/me/{control}/{other.pk}").status_code == 204
    assert not model.objects.filter(**{owner: user}).exists()


@pytest.mark.django_db(transaction=True)
def test_a_room_proposal_is_stored_and_answered_as_stored_while_redis_is_down(redis_down, adult):
    # Its limits count in this process meanwhile (their outage rule, docs/rate-limits.md).
    response = _post(_client(adult), "/api/v1/rooms/proposals", {"name": "Coin lecture", "audience": "adults"})
    assert response.status_code == 201, response.content
    assert Room.objects.filter(name="Coin lecture").count() == 1
    assert Case.objects.filter(category="room_proposal", subject_user=adult).count() == 1


@pytest.mark.django_db
def test_the_age_assurance_nonce_is_a_503_while_redis_is_down(redis_down, adult):
    _assert_unavailable(_post(_client(adult), "/api/v1/age-assurance/nonce", {}), "redis")


@pytest.mark.django_db(transaction=True)
def test_a_live_notice_redis_cannot_carry_is_logged_and_the_change_stands(make_user, caplog, monkeypatch):
    ran: list[str] = []

    def fails(group, message) -> None:
        raise redis.exceptions.ConnectionError("refused")

    monkeypatch.setattr(events, "_send_now", fails)
    user = make_user()
    with transaction.atomic():
        UserMute.objects.create(muter=user, muted=make_user())
        events.send_to_user(user.pk, {"type": "notice"})
        transaction.on_commit(lambda: ran.append("second"))
    assert ran == ["second"]  # the hooks after it still run
    assert UserMute.objects.filter(muter=user).exists()
    assert "refused" in caplog.text
    # Outside a transaction too (sent at once): logged, not raised.
    events.control_user(user.pk, {"action": "refresh"})


# --- PostgreSQL down: 503 over HTTP ---------------------------------------------------------

@pytest.fixture
def postgres_down(monkeypatch):
    """Call it to stop PostgreSQL (once the client has signed in): every session read fails."""
    def load(self):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    return lambda: monkeypatch.setattr(SessionStore, "load", load)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/me/mutes", "/moderation/"])
def test_http_answers_503_while_postgres_is_down(adult, moderator, postgres_down, path):
    client = _client(moderator if path.startswith("/moderation/") else adult)
    postgres_down()
    _assert_unavailable(client.get(path), "database")


@pytest.mark.django_db
def test_a_bug_is_still_a_500(adult, monkeypatch):
    monkeypatch.setattr("accounts.views.own_user", lambda user: 1 / 0)
    response = _client(adult).get("/api/v1/me")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


# --- WebSocket handshakes -------------------------------------------------------------------

@pytest.fixture
def site(settings):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_while_postgres_is_down_is_closed_1013_not_a_500(site, adult, postgres_down):
    from config.asgi import application

    cookie = await sync_to_async(session_cookie_for)(adult)
    postgres_down()
    communicator = WebsocketCommunicator(application, "/ws/", headers=[
        (b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", f"sessionid={cookie}".encode())])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close", "code": CLOSE_UNAVAILABLE, "reason": "unavailable"}
    await communicator.wait()
    await sync_to_async(connections.close_all)()  # the sign-in's connection, in its thread


async def _drive(app, inbound: list[dict]) -> list[dict]:
    """Run `app` as a server would, feeding `inbound`; what it sent."""
    sent: list[dict] = []
    queue = list(inbound)

    async def receive() -> dict:
        return queue.pop(0) if queue else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict) -> None:
        sent.append(message)

    await WebSocketOutageGuard(app)({"type": "websocket"}, receive, send)
    return sent


CONNECT = {"type": "websocket.connect"}
CLOSED_UNAVAILABLE = {"type": "websocket.close", "code": CLOSE_UNAVAILABLE, "reason": "unavailable"}


async def test_the_guard_accepts_then_closes_an_outage_before_the_accept():
    async def app(scope, receive, send):
        raise OperationalError("the server closed the connection unexpectedly")

    assert await _drive(app, [CONNECT]) == [{"type": "websocket.accept"}, CLOSED_UNAVAILABLE]


async def test_the_guard_closes_an_outage_after_the_accept_once():
    async def app(scope, receive, send):
        assert await receive() == CONNECT
        await send({"type": "websocket.accept"})
        raise redis.exceptions.ConnectionError("refused")

    assert await _drive(app, [CONNECT]) == [{"type": "websocket.accept"}, CLOSED_UNAVAILABLE]


async def test_the_guard_sends_nothing_to_a_client_that_left():
    async def app(scope, receive, send):
        raise OperationalError("down")

    assert await _drive(app, [{"type": "websocket.disconnect", "code": 1001}]) == []


async def test_the_guard_lets_a_bug_through():
    async def app(scope, receive, send):
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await _drive(app, [CONNECT])


@pytest.mark.django_db(transaction=True)
def test_writes_are_made_and_answered_as_made_while_redis_is_down(redis_down, make_user, adults_room):
    """Writes whose live notices need Redis: a report, a moderator's claim, release and
    decision, an appeal and its decision, a settings change, a log-out, an account deletion:
    each is made and answered as made (never a 500, never a 503 for what was done)."""
    author, reporter = make_user(), make_user()
    moderator = make_user(AgeBand.ADULT, "alix_v", is_moderator=True)
    Membership.objects.get_or_create(room=adults_room, user=author)
    message_id = chat_services.post_room_message(author=author, room=adults_room, body="bonjour").message["id"]
    answers = {"report": _post(_client(reporter), "/api/v1/reports", {
        "target": {"message": str(message_id)}, "category": "spam", "details": "x", "good_faith": True})}
    case = Case.objects.get(subject_type="message", subject_id=int(message_id))
    console = _client(moderator)
    for step, body in (("claim", {}), ("release", {}), ("decide", {"action": "remove_message", "reason_code": "other"})):
        answers[step] = _post(console, f"/api/v1/moderation/cases/{case.pk}/{step}", body)
    notice = Notice.objects.get(recipient=author, kind=Notice.Kind.DECISION)
    answers["appeal"] = _post(_client(author), "/api/v1/appeals", {"notice": str(notice.pk), "reason": "Je conteste."})
    appeal = Appeal.objects.get(notice=notice)
    second = make_user(AgeBand.ADULT, "sam_q", is_moderator=True)
    answers["appeal_decide"] = _post(_client(second), f"/api/v1/moderation/appeals/{appeal.pk}/decide",
                                     {"outcome": "upheld", "note": ""})
    answers["settings"] = _client(author).patch("/api/v1/me/settings", data=json.dumps({"dm_policy": "nobody"}),
                                                content_type="application/json")
    quitter, leaver = make_user(), make_user()
    epoch = quitter.session_epoch
    answers["logout"] = _post(_client(quitter), "/api/v1/accounts/logout", {})
    answers["delete"] = _client(leaver).delete("/api/v1/me")
    quitter.refresh_from_db()
    leaver.refresh_from_db()
    statuses = {step: response.status_code for step, response in answers.items()}
    assert statuses == {"report": 201, "claim": 200, "release": 200, "decide": 200, "appeal": 201,
                        "appeal_decide": 200, "settings": 200, "logout": 204, "delete": 204}
    assert quitter.session_epoch == epoch + 1 and leaver.deleted_at is not None
    case.refresh_from_db()
    appeal.refresh_from_db()
    assert (case.status, appeal.status) == ("decided", "upheld")
