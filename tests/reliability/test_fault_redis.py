"""Redis (channel layer, cache, broker) killed with SIGKILL and restarted empty, while clients
chat through two server processes and one of them files reports.

Afterwards: every acknowledged message is in the database and in every client's resynced
history, no message is stored twice, every acknowledged report is stored and gets triaged,
no request got a 500, and every client was chatting again within 10 s of Redis coming back.
No acknowledged message was lost without a signal: each client received every other client's
acknowledged message live, or was told to fetch history after it (a `resync` frame, or a
re-join).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import psycopg
import pytest

from tests.integration.conftest import HttpUser, manage
from tests.reliability import figures
from tests.reliability.chatters import (ChatterLog, adult_signup, assert_blocked_never_seen, chatter,
                                         delivery, first_ack_after, lost_without_signal, room_history,
                                         run_through_fault, stored_rows)
from tests.reliability.faults import phare_env, prepare_database

pytestmark = pytest.mark.integration

CLIENTS = 4
OUTAGE_SECONDS = 2.0
RECOVERY_BUDGET = 10.0
# After the clients stop sending their sockets stay open this long, for the last events.
DRAIN_SECONDS = 1.0


def rows(database_url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.mark.timeout(300)
def test_redis_killed_and_restarted_loses_nothing_acknowledged(private_redis, shared_pg_database, processes):
    env = phare_env(database_url=shared_pg_database, redis_url=private_redis.url,
                    CELERY_VISIBILITY_TIMEOUT="30")
    room = "lobby"
    prepare_database(env, room)
    servers = [processes["server"](env) for _ in range(2)]
    processes["worker"](env)
    tag = uuid.uuid4().hex[:4]
    users = [HttpUser(servers[i % 2].http) for i in range(CLIENTS)]
    for i, user in enumerate(users):
        adult_signup(user, f"rd{tag}{i}")
    ws_urls = [s.ws for s in servers]
    logs = [ChatterLog(f"rd{tag}{i}") for i in range(CLIENTS)]
    report_statuses: Counter = Counter()
    reports_acked: list[str] = []
    timeline: dict[str, float] = {}

    async def reporter(stop: asyncio.Event) -> None:
        reported: set[str] = set()
        while not stop.is_set():
            targets = [mid for mid in logs[1].acked.values() if mid not in reported]
            if targets:
                reported.add(targets[0])
                status, body = await asyncio.to_thread(users[0].call, "POST", "/api/v1/reports", {
                    "target": {"message": targets[0]}, "category": "spam", "details": "fault test",
                    "good_faith": True})
                report_statuses[status] += 1
                if status == 201:
                    reports_acked.append(body["report"]["id"])
                else:
                    assert "error" in body, (status, body)
            await asyncio.sleep(0.5)

    def clients(stop: asyncio.Event) -> list:
        chatters = [chatter(users[i], ws_urls[i % 2:] + ws_urls[:i % 2], room, stop, logs[i], interval=0.25,
                            drain=DRAIN_SECONDS)
                    for i in range(CLIENTS)]
        return [*chatters, reporter(stop)]

    async def restart_redis_empty() -> None:
        timeline["killed"] = time.monotonic()
        private_redis.kill()
        await asyncio.sleep(OUTAGE_SECONDS)
        private_redis.start()
        timeline["restarted"] = time.monotonic()

    asyncio.run(run_through_fault(clients, restart_redis_empty, recovery_budget=RECOVERY_BUDGET))

    # What the database holds.
    outcome = delivery(logs, stored_rows(shared_pg_database, room))
    # Every client resyncs: its history holds every acknowledged message.
    histories = asyncio.run(_histories(users, ws_urls, room))
    missing_from_history = {log.name: outcome.missing_from(history) for log, history in zip(logs, histories)}
    # Reports: stored, then triaged (beat's sweeper re-enqueues what the outage lost; run here).
    stored_reports = {r[0] for r in rows(shared_pg_database, "SELECT id::text FROM moderation_report")}
    reports_lost = sorted(set(reports_acked) - stored_reports)
    manage(env, "shell", "-c", "from moderation.services.triage import sweep_untriaged; sweep_untriaged(older_than_seconds=0)")
    deadline = time.monotonic() + 30
    untriaged = None
    while time.monotonic() < deadline:
        untriaged = rows(shared_pg_database, "SELECT count(*) FROM moderation_report WHERE triaged_at IS NULL")[0][0]
        if untriaged == 0:
            break
        time.sleep(0.5)
    # The clients stopped sending RECOVERY_BUDGET + 2 s after the restart (run_through_fault).
    signals = lost_without_signal(logs, acked_before=timeline["restarted"] + RECOVERY_BUDGET + 2 - 0.5)
    recovery = first_ack_after(logs, timeline["restarted"])
    unanswered = sum(len(log.unanswered) for log in logs)
    refused = Counter(code for log in logs for _, code in log.refused)
    counts = outcome.counts()
    counts["lost"] += len(reports_lost)  # an acknowledged report lost counts as much
    counts["lost"] += signals.lost_count  # and so does one a client was never told of
    figures.record(
        "Redis killed (SIGKILL) for 2 s, restarted empty", recovery_seconds=recovery, **counts,
        detail=(f"{CLIENTS} clients on 2 servers; of {signals.considered} (client, others' acknowledged message) "
                f"pairs: {signals.received_live} received live, {signals.resynced} told by a resync frame, "
                f"{signals.rejoined} by a re-join, {signals.lost_count} lost without a signal; "
                f"{unanswered} sends unanswered while down (not acknowledged, "
                f"so not lost); refusals {dict(refused)}; reports {len(reports_acked)} acknowledged, "
                f"HTTP statuses {dict(report_statuses)}, {untriaged} untriaged after the sweep"),
    )

    assert_blocked_never_seen(logs, shared_pg_database, room, [m for h in histories for m in h])
    assert outcome.lost == [], f"acknowledged messages missing from the database: {outcome.lost}"
    assert signals.lost == {}, f"acknowledged messages a client never received nor was told of: {signals.lost}"
    assert outcome.duplicates == 0, [b for b, n in outcome.by_body.items() if n > 1]
    assert all(not missing for missing in missing_from_history.values()), missing_from_history
    assert reports_lost == [], reports_lost
    assert untriaged == 0
    assert 500 not in report_statuses, report_statuses
    assert recovery is not None and recovery <= RECOVERY_BUDGET, (recovery, [log.disconnects for log in logs])
    assert len(outcome.acked) > 20 and len(reports_acked) > 3  # the run did exercise the system
    assert any(log.disconnects for log in logs) or refused, "the fault was not felt at all?"


async def _histories(users: list[HttpUser], ws_urls: list[str], room: str) -> list[list[dict]]:
    return [await room_history(user, ws_urls[i % len(ws_urls)], room) for i, user in enumerate(users)]
