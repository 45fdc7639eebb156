"""Shared fixtures: accounts of each band, rooms, and signed-in WebSocket clients."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from accounts.models import AgeBand, User
from accounts.services import add_years, sign_up
from chat import services as chat_services

_counter = itertools.count(1)

# Server processes started by integration, reliability and browser tests inherit this: all
# their clients share 127.0.0.1, so per-IP limits would count the whole run as one person.
# Tests of per-IP limits start their servers without it (tests/reliability/conftest.py).
os.environ.setdefault("PHARE_RATE_LIMIT_EXEMPT_IPS", "127.0.0.1")


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # Tests speak plain HTTP to the test client; production redirects to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    # Passwords of accounts made in this process are hashed with a fast hasher (Django's own
    # advice for tests): PBKDF2's million rounds took 0.58 s per account on a slow machine, and
    # the suite makes hundreds. The usual hashers stay listed, so hashes made by a server
    # process still verify. Server processes started by tests keep the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from django.conf import settings
    from django.utils import translation

    from accounts import throttling
    from chat.services.conversations import forget_answered_conversations
    from chat.services.recent import recent_texts
    from core.versioned import VersionedPolicy

    cache.clear()
    # A request through the test client leaves its language active in the thread: each test
    # starts in the default language, as each request does.
    translation.activate(settings.LANGUAGE_CODE)
    forget_answered_conversations()
    # Per-process rate-limit buckets and the cached policy live outside the cache, and so do
    # the senders' windows of recent texts (ids are reused from one test to the next).
    throttling.reset_local_state()
    recent_texts.clear()
    VersionedPolicy.forget_every_copy()
    yield
    cache.clear()
    VersionedPolicy.forget_every_copy()

BIRTH_AGES = {AgeBand.YOUNG_TEEN: 14, AgeBand.OLDER_TEEN: 16, AgeBand.ADULT: 30}


def birthdate_for_age(years: int, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return add_years(today, -years) - dt.timedelta(days=10)


@pytest.fixture
def make_user(db):
    def make(band: str = AgeBand.ADULT, pseudonym: str | None = None, **fields: Any) -> User:
        name = pseudonym or f"user{next(_counter)}"
        # Established accounts unless a test passes date_joined: new accounts may send neither
        # DM requests nor links (chat/protection.py).
        fields.setdefault("date_joined", timezone.now() - dt.timedelta(days=30))
        user = sign_up(
            pseudonym=name, password="correct horse battery", birthdate=birthdate_for_age(BIRTH_AGES[band]),
            ip="127.0.0.1",
        )
        if fields:
            for key, value in fields.items():
                setattr(user, key, value)
            user.save()
        return user

    return make


@pytest.fixture
def adult(make_user) -> User:
    return make_user(AgeBand.ADULT, "adult_ann")


@pytest.fixture
def minor(make_user) -> User:
    return make_user(AgeBand.YOUNG_TEEN, "tom_k")


@pytest.fixture
def adults_room(db):
    return chat_services.create_room(slug="cafe", name="Café", audience="adults")


@pytest.fixture
def minors_room(db):
    return chat_services.create_room(slug="college", name="Collège", audience="minors")


def session_cookie_for(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect_ws(user: User | None, *, origin: str = "http://localhost") -> tuple[WebsocketCommunicator, bool]:
    from asgiref.sync import sync_to_async

    from config.asgi import application

    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if user is not None:
        cookie = await sync_to_async(session_cookie_for)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


class Ws:
    """A small test client over WebsocketCommunicator: request → ack or error."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    async def request(self, type_: str, **fields: Any) -> dict[str, Any]:
        frame_id = f"t{next(self._ids)}"
        await self.communicator.send_json_to({"type": type_, "id": frame_id, **fields})
        while True:
            frame = await self.communicator.receive_json_from(timeout=5)
            if frame.get("id") == frame_id:
                return frame
            self.events.append(frame)

    async def next_event(self, timeout: float = 3) -> dict[str, Any]:
        if self.events:
            return self.events.pop(0)
        return await self.communicator.receive_json_from(timeout=timeout)

    async def no_event(self, timeout: float = 0.3) -> bool:
        return not self.events and await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
def ws_client():
    opened: list[Ws] = []

    async def open_for(user: User) -> Ws:
        communicator, connected = await connect_ws(user)
        assert connected
        client = Ws(communicator)
        opened.append(client)
        return client

    yield open_for
