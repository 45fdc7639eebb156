"""PostgreSQL (a private cluster) stopped and started again under chatting clients and HTTP
traffic, without restarting Phare.

Meanwhile requests fail cleanly: JSON errors (never an HTML page, never a crash), WebSocket
frames answered with error frames or the socket closed. Afterwards every acknowledged message
and report is stored exactly once, and everybody is served again without any restart.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter

import pytest

from tests.integration.conftest import HttpUser
from tests.reliability import figures
from tests.reliability.chatters import (ChatterLog, adult_signup, assert_blocked_never_seen, chatter,
                                         delivery, first_ack_after, room_history, run_through_fault,
                                         stored_rows)
from tests.reliability.faults import phare_env, prepare_database

pytestmark = pytest.mark.integration

CLIENTS = 3
OUTAGE_SECONDS = 3.0
RECOVERY_BUDGET = 10.0


def raw_get(user: HttpUser, path: str) -> tuple[int, str, bytes, str]:
    """(status, content type, body, Retry-After) without raising, through the user's cookies."""
    try:
        with user.opener.open(user.base + path, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read(), ""
    except urllib.error.HTTPError as error:
        return (error.code, error.headers.get("Content-Type", ""), error.read(),
                error.headers.get("Retry-After", ""))
    except (urllib.error.URLError, OSError) as error:
        return 0, "", str(error).encode(), ""


@pytest.mark.timeout(300)
def test_postgres_restarted_requests_fail_cleanly_then_recover(private_postgres, private_redis, processes):
    database_url = private_postgres.create_database("phare")
    env = phare_env(database_url=database_url, redis_url=private_redis.url)
    room = "salon"
    prepare_database(env, room)
    server = processes["server"](env)
    tag = uuid.uuid4().hex[:4]
    users = [HttpUser(server.http) for _ in range(CLIENTS)]
    for i, user in enumerate(users):
        adult_signup(user, f"pg{tag}{i}")
    logs = [ChatterLog(f"pg{tag}{i}") for i in range(CLIENTS)]
    http_answers: Counter = Counter()
    bad_answers: list[str] = []
    timeline: dict[str, float] = {}

    async def browser(stop: asyncio.Event) -> None:
        """An HTTP client polling its own account and the room list throughout."""
        while not stop.is_set():
            for path in ("/api/v1/me", "/api/v1/rooms"):
                status, content_type, body, retry_after = await asyncio.to_thread(raw_get, users[0], path)
                http_answers[status] += 1
                if status == 503 and not retry_after:
                    bad_answers.append(f"{path} 503 without Retry-After")
                if status != 200:
                    if not content_type.startswith("application/json"):
                        bad_answers.append(f"{path} {status} {content_type} {body[:120]!r}")
                    elif "error" not in json.loads(body or b"{}"):
                        bad_answers.append(f"{path} {status} without an error object")
            await asyncio.sleep(0.2)

    def clients(stop: asyncio.Event) -> list:
        chatters = [chatter(users[i], [server.ws], room, stop, logs[i], interval=0.25) for i in range(CLIENTS)]
        return [*chatters, browser(stop)]

    async def restart_postgres() -> None:
        timeline["stopped"] = time.monotonic()
        await asyncio.to_thread(private_postgres.stop, "fast")
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(private_postgres.start)
        timeline["restarted"] = time.monotonic()

    asyncio.run(run_through_fault(clients, restart_postgres, recovery_budget=RECOVERY_BUDGET))

    outcome = delivery(logs, stored_rows(database_url, room))
    history = asyncio.run(room_history(users[-1], server.ws, room))
    missing_from_history = outcome.missing_from(history)
    recovery = first_ack_after(logs, timeline["restarted"])
    refused = Counter(code for log in logs for _, code in log.refused)
    # Served again by the same process: nothing was restarted.
    status, _, _, _ = raw_get(users[1], "/api/v1/me")
    figures.record(
        "PostgreSQL stopped for 3 s, started again", recovery_seconds=recovery, **outcome.counts(),
        detail=(f"{CLIENTS} clients, one server never restarted; WebSocket refusals meanwhile {dict(refused)}, "
                f"{sum(len(log.unanswered) for log in logs)} sends unanswered; HTTP answers {dict(http_answers)}; "
                f"{len(bad_answers)} non-JSON or malformed error answers or 503s without Retry-After"),
    )

    assert server.process.poll() is None, "the server process died"
    assert status == 200
    assert bad_answers == [], bad_answers[:5]
    assert 500 not in http_answers, http_answers
    assert set(http_answers) <= {200, 503}, http_answers  # 503 `unavailable`, with Retry-After
    assert set(refused) <= {"unavailable", "blocked_by_policy"}, refused  # the latter: links, on purpose
    assert_blocked_never_seen(logs, database_url, room, history)
    assert outcome.lost == [] and outcome.duplicates == 0
    assert missing_from_history == []
    assert recovery is not None and recovery <= RECOVERY_BUDGET, recovery
    assert len(outcome.acked) > 20
    assert any(s != 200 for s in http_answers) or refused, "the outage was not felt at all?"
