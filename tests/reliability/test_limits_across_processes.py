"""The limits hold in total across two ASGI server processes sharing Redis, not per process."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
import websockets

from tests.integration.conftest import ws_request
from tests.reliability.conftest import HttpUser, make_accounts, manage, ws_headers

pytestmark = pytest.mark.integration


def test_room_message_limit_holds_in_total_across_two_processes(asgi_servers, service_env, policy):
    policy({"room_message_account": (6, 3600)})
    first, second = asgi_servers(2)
    slug = f"r{uuid.uuid4().hex[:8]}"
    manage(service_env, "createroom", "--slug", slug, "--name", "Across", "--audience", "adults")
    (author,) = make_accounts(service_env, [f"across_{uuid.uuid4().hex[:6]}"])

    async def scenario() -> list[dict]:
        async with websockets.connect(first.ws, additional_headers=ws_headers(first, author["session"])) as a, \
                websockets.connect(second.ws, additional_headers=ws_headers(second, author["session"])) as b:
            for ws in (a, b):
                assert (await ws_request(ws, {"type": "room.join", "id": "j", "room": slug}))["type"] == "ack"
            answers = []
            # Alternate processes: a per-process limit would let twelve through.
            for i in range(20):
                ws = a if i % 2 == 0 else b
                answers.append(await ws_request(ws, {"type": "room.send", "id": f"s{i}", "room": slug, "body": f"m{i}"}))
            return answers

    answers = asyncio.run(scenario())
    acks = [a for a in answers if a["type"] == "ack"]
    refusals = [a["error"] for a in answers if a["type"] == "error"]
    assert len(acks) == 6
    assert len(refusals) == 14 and {r["code"] for r in refusals} == {"rate_limited"}
    assert all(r["retry_after"] >= 1 for r in refusals)
    stored = manage(service_env, "shell", "-c",
                    f"from chat.models import Message; print(Message.objects.filter(room__slug='{slug}').count())")
    assert stored.strip().splitlines()[-1] == "6"


def test_signup_limit_per_ip_holds_in_total_across_two_processes(strict_asgi_servers, service_env, policy):
    policy({"signup_ip": (3, 3600)})
    first, second = strict_asgi_servers(2)
    statuses = []
    for i in range(8):
        server = first if i % 2 == 0 else second
        status, body = HttpUser(server.http).call("POST", "/api/v1/accounts/signup", {
            "pseudonym": f"su{uuid.uuid4().hex[:8]}", "password": "correct horse battery",
            "birthdate": (dt.date.today() - dt.timedelta(days=30 * 365)).isoformat()})
        statuses.append((status, body.get("error", {}).get("code")))
    assert statuses.count((201, None)) == 3
    assert statuses.count((429, "rate_limited")) == 5
