"""One of two ASGI server processes killed with SIGKILL under chatting clients: its clients
reconnect to the other, nothing acknowledged is lost, and the survivors never notice."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import pytest

from tests.integration.conftest import HttpUser
from tests.reliability import figures
from tests.reliability.chatters import (ChatterLog, adult_signup, assert_blocked_never_seen, chatter,
                                         delivery, first_ack_after, room_history, run_through_fault,
                                         stored_rows)
from tests.reliability.faults import phare_env, prepare_database

pytestmark = pytest.mark.integration

CLIENTS = 6
RECOVERY_BUDGET = 10.0


@pytest.mark.timeout(300)
def test_asgi_process_killed_its_clients_reconnect_to_another(private_redis, shared_pg_database, processes):
    env = phare_env(database_url=shared_pg_database, redis_url=private_redis.url)
    room = "hall"
    prepare_database(env, room)
    doomed, survivor = processes["server"](env), processes["server"](env)
    tag = uuid.uuid4().hex[:4]
    users = [HttpUser(survivor.http) for _ in range(CLIENTS)]
    for i, user in enumerate(users):
        adult_signup(user, f"as{tag}{i}")
    # Even clients start on the doomed server, odd ones on the survivor; each falls back to the other.
    orders = [[doomed.ws, survivor.ws] if i % 2 == 0 else [survivor.ws, doomed.ws] for i in range(CLIENTS)]
    logs = [ChatterLog(f"as{tag}{i}") for i in range(CLIENTS)]
    timeline: dict[str, float] = {}

    def clients(stop: asyncio.Event) -> list:
        return [chatter(users[i], orders[i], room, stop, logs[i], interval=0.25) for i in range(CLIENTS)]

    async def kill_one_server() -> None:
        timeline["killed"] = time.monotonic()
        doomed.process.send_signal(signal.SIGKILL)

    asyncio.run(run_through_fault(clients, kill_one_server, recovery_budget=RECOVERY_BUDGET))

    outcome = delivery(logs, stored_rows(shared_pg_database, room))
    history = asyncio.run(room_history(users[0], survivor.ws, room))
    missing_from_history = outcome.missing_from(history)
    recovery = first_ack_after(logs, timeline["killed"])
    moved = [log.name for log, order in zip(logs, orders)
             if order[0] == doomed.ws and log.connects and log.connects[-1][1] == survivor.ws]
    survivors_interrupted = [log.name for log, order in zip(logs, orders)
                             if order[0] == survivor.ws and any(t > timeline["killed"] for t in log.disconnects)]
    figures.record(
        "One of two ASGI processes killed (SIGKILL)", recovery_seconds=recovery, **outcome.counts(),
        detail=(f"{CLIENTS} clients, {len(moved)} moved to the other process; "
                f"{sum(len(log.unanswered) for log in logs)} sends unanswered at the kill; "
                f"{len(survivors_interrupted)} clients of the surviving process interrupted"),
    )

    assert_blocked_never_seen(logs, shared_pg_database, room, history)
    assert outcome.lost == [] and outcome.duplicates == 0
    assert missing_from_history == []
    assert len(moved) == CLIENTS // 2, moved
    assert survivors_interrupted == []
    assert recovery is not None and recovery <= RECOVERY_BUDGET, recovery
    assert len(outcome.acked) > 30
