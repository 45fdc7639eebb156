"""Log-out and sanctions end sockets on every server process, the sanction even when
no event is sent at all: each process's watcher (chat.realtime.watcher) reads the database."""

import asyncio
import time

import psycopg
import pytest
import websockets

from tests.integration.conftest import HttpUser, adult_birthdate

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


async def close_code(ws, *, within: float) -> int | None:
    async def closed() -> int | None:
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as error:
            return error.rcvd.code if error.rcvd else None

    return await asyncio.wait_for(closed(), timeout=within)


def test_logout_closes_the_account_s_sockets_on_every_process(asgi_servers):
    first, second = asgi_servers(2)
    laptop, phone = HttpUser(first.http), HttpUser(second.http)
    assert laptop.call("POST", "/api/v1/accounts/signup",
                       {"pseudonym": "bye_it", "password": PASSWORD, "birthdate": adult_birthdate()})[0] == 201
    assert phone.call("POST", "/api/v1/accounts/login", {"pseudonym": "bye_it", "password": PASSWORD})[0] == 200

    async def scenario() -> list[int | None]:
        async with websockets.connect(first.ws, additional_headers=laptop.ws_headers()) as a, \
                websockets.connect(second.ws, additional_headers=phone.ws_headers()) as b:
            assert (await asyncio.to_thread(laptop.call, "POST", "/api/v1/accounts/logout"))[0] == 204
            return [await close_code(a, within=5), await close_code(b, within=5)]

    assert asyncio.run(scenario()) == [4001, 4001]
    assert phone.call("GET", "/api/v1/me")[0] == 401


def test_a_ban_written_without_any_event_closes_sockets_on_every_process_within_5_seconds(
        asgi_servers, service_env):
    first, second = asgi_servers(2)
    here, there = HttpUser(first.http), HttpUser(second.http)
    assert here.call("POST", "/api/v1/accounts/signup",
                     {"pseudonym": "ban_it", "password": PASSWORD, "birthdate": adult_birthdate()})[0] == 201
    assert there.call("POST", "/api/v1/accounts/login", {"pseudonym": "ban_it", "password": PASSWORD})[0] == 200

    async def scenario() -> tuple[list[int | None], float]:
        async with websockets.connect(first.ws, additional_headers=here.ws_headers()) as a, \
                websockets.connect(second.ws, additional_headers=there.ws_headers()) as b:
            # Straight into the database: no service, no event through Redis.
            with psycopg.connect(service_env["DATABASE_URL"].replace("postgres://", "postgresql://"),
                                 autocommit=True) as connection:
                connection.execute("UPDATE accounts_user SET banned = true WHERE pseudonym = %s", ["ban_it"])
            started = time.monotonic()
            codes = [await close_code(a, within=5), await close_code(b, within=5)]
            return codes, time.monotonic() - started

    codes, took = asyncio.run(scenario())
    assert codes == [4003, 4003] and took < 5
    # Still signed in, for what the statement of reasons and an appeal need only.
    assert there.call("GET", "/api/v1/notices")[0] == 200
    status, body = there.call("GET", "/api/v1/rooms")
    assert status == 403 and body["error"]["code"] == "suspended"
