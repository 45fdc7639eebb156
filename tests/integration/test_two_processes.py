"""A message sent through one ASGI process reaches a client of another, via Redis."""

import asyncio
import json

import pytest
import websockets

from tests.integration.conftest import HttpUser, adult_birthdate, manage, ws_request

pytestmark = pytest.mark.integration


def test_message_crosses_from_one_server_process_to_another(asgi_servers, service_env):
    first, second = asgi_servers(2)
    manage(service_env, "createroom", "--slug", "lobby", "--name", "Lobby", "--audience", "adults")
    alice, bob = HttpUser(first.http), HttpUser(second.http)
    assert alice.call("POST", "/api/v1/accounts/signup",
                      {"pseudonym": "alice_it", "password": "correct horse battery", "birthdate": adult_birthdate()})[0] == 201
    assert bob.call("POST", "/api/v1/accounts/signup",
                    {"pseudonym": "bob_it", "password": "correct horse battery", "birthdate": adult_birthdate()})[0] == 201

    async def scenario() -> dict:
        async with websockets.connect(first.ws, additional_headers=alice.ws_headers()) as a, \
                websockets.connect(second.ws, additional_headers=bob.ws_headers()) as b:
            assert (await ws_request(a, {"type": "room.join", "id": "1", "room": "lobby"}))["type"] == "ack"
            assert (await ws_request(b, {"type": "room.join", "id": "1", "room": "lobby"}))["type"] == "ack"
            ack = await ws_request(a, {"type": "room.send", "id": "2", "room": "lobby", "body": "across processes"})
            assert ack["type"] == "ack", ack
            event = json.loads(await asyncio.wait_for(b.recv(), timeout=10))
            return event

    event = asyncio.run(scenario())
    assert event["type"] == "room.message"
    assert event["message"]["body"] == "across processes"
    assert event["message"]["author"]["pseudonym"] == "alice_it"
    assert first.process.pid != second.process.pid


def test_dm_request_crosses_processes_and_waits_for_consent(asgi_servers, service_env):
    first, second = asgi_servers(2)
    ann, ben = HttpUser(first.http), HttpUser(second.http)
    ann.call("POST", "/api/v1/accounts/signup",
             {"pseudonym": "ann_it", "password": "correct horse battery", "birthdate": adult_birthdate()})
    status, body = ben.call("POST", "/api/v1/accounts/signup",
                            {"pseudonym": "ben_it", "password": "correct horse battery", "birthdate": adult_birthdate()})
    assert status == 201
    ben_id = body["user"]["id"]
    # New accounts may not send DM requests (docs/rate-limits.md): make ann an established one.
    manage(service_env, "shell", "-c", "import datetime as dt; from django.utils import timezone; "
           "from accounts.models import User; User.objects.filter(pseudonym_key='ann_it')"
           ".update(date_joined=timezone.now() - dt.timedelta(days=30))")

    async def scenario() -> list[dict]:
        async with websockets.connect(first.ws, additional_headers=ann.ws_headers()) as a, \
                websockets.connect(second.ws, additional_headers=ben.ws_headers()) as b:
            opened = await ws_request(a, {"type": "dm.open", "id": "1", "to": ben_id, "body": "Bonjour !"})
            assert opened["type"] == "ack", opened
            got = [json.loads(await asyncio.wait_for(b.recv(), timeout=10))]
            pending = await ws_request(a, {"type": "dm.send", "id": "2", "conversation": opened["conversation"]["id"], "body": "encore"})
            assert pending["error"]["code"] == "dm_request_pending"
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(b.recv(), timeout=0.5)
            await ws_request(b, {"type": "dm.accept", "id": "3", "conversation": opened["conversation"]["id"]})
            await ws_request(a, {"type": "dm.send", "id": "4", "conversation": opened["conversation"]["id"], "body": "merci"})
            while True:
                event = json.loads(await asyncio.wait_for(b.recv(), timeout=10))
                got.append(event)
                if event["type"] == "dm.message":
                    return got

    events = asyncio.run(scenario())
    assert events[0]["type"] == "dm.request" and events[0]["preview"] == "Bonjour !"
    assert events[-1]["message"]["body"] == "merci"
