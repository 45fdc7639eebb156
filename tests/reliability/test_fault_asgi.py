"""One of two ASGI server processes killed with SIGKILL under chatting clients: its clients
reconnect to the other, nothing acknowledged is lost, and the survivors never notice."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import time
import uuid
from collections import Counter

import psycopg
import pytest

from tests.integration.conftest import HttpUser
from tests.reliability import figures
from tests.reliability.chatters import (ChatterLog, chatter, first_ack_after, room_history,
                                         stored_bodies_and_history, visible_rows)
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
        status, body = user.call("POST", "/api/v1/accounts/signup", {
            "pseudonym": f"as{tag}{i}", "password": "correct horse battery",
            "birthdate": (dt.date.today() - dt.timedelta(days=30 * 365)).isoformat()})
        assert status == 201, body
    # Even clients start on the doomed server, odd ones on the survivor; each falls back to the other.
    orders = [[doomed.ws, survivor.ws] if i % 2 == 0 else [survivor.ws, doomed.ws] for i in range(CLIENTS)]
    logs = [ChatterLog(f"as{tag}{i}") for i in range(CLIENTS)]
    timeline: dict[str, float] = {}

    async def scenario() -> None:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(chatter(users[i], orders[i], room, stop, logs[i], interval=0.25))
                 for i in range(CLIENTS)]
        await asyncio.sleep(4)
        timeline["killed"] = time.monotonic()
        doomed.process.send_signal(signal.SIGKILL)
        await asyncio.sleep(RECOVERY_BUDGET + 2)
        stop.set()
        await asyncio.gather(*tasks)

    asyncio.run(scenario())

    with psycopg.connect(shared_pg_database.replace("postgres://", "postgresql://")) as conn:
        stored = dict(conn.execute("SELECT m.id::text, m.body FROM chat_message m JOIN chat_room r "
                                   "ON r.id = m.room_id WHERE r.slug = %s", (room,)).fetchall())
    acked = {mid: body for log in logs for body, mid in log.acked.items()}
    lost = sorted(mid for mid in acked if mid not in stored)
    duplicates = sum(n - 1 for n in Counter(stored.values()).values() if n > 1)
    history = asyncio.run(room_history(users[0], survivor.ws, room))
    missing_from_history = sorted(set(acked) - {m["id"] for m in history})
    recovery = first_ack_after(logs, timeline["killed"])
    moved = [log.name for log, order in zip(logs, orders)
             if order[0] == doomed.ws and log.connects and log.connects[-1][1] == survivor.ws]
    survivors_interrupted = [log.name for log, order in zip(logs, orders)
                             if order[0] == survivor.ws and any(t > timeline["killed"] for t in log.disconnects)]
    figures.record(
        "One of two ASGI processes killed (SIGKILL)", recovery_seconds=recovery,
        sent=sum(len(log.sent) for log in logs), acknowledged=len(acked), lost=len(lost), duplicates=duplicates,
        detail=(f"{CLIENTS} clients, {len(moved)} moved to the other process; "
                f"{sum(len(log.unanswered) for log in logs)} sends unanswered at the kill; "
                f"{len(survivors_interrupted)} clients of the surviving process interrupted"),
    )

    seen = {m["body"] for m in stored_bodies_and_history(visible_rows(shared_pg_database, room),
                                                        history)}
    seen |= set().union(*(log.received_bodies for log in logs))
    blocked_seen = [b for log in logs for b in log.blocked_but_seen(seen)]
    blocked = sum(1 for log in logs for code in log.refused_bodies.values() if code == "blocked_by_policy")
    assert blocked > 0, "no message was refused by the gate: the check below would prove nothing"
    assert blocked_seen == [], f"blocked messages delivered or stored: {blocked_seen}"
    assert lost == [] and duplicates == 0
    assert missing_from_history == []
    assert len(moved) == CLIENTS // 2, moved
    assert survivors_interrupted == []
    assert recovery is not None and recovery <= RECOVERY_BUDGET, recovery
    assert len(acked) > 30
