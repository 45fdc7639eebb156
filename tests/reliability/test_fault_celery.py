"""The Celery worker killed with SIGKILL in the middle of a task: the task runs again (late
acknowledgement; the broker redelivers it after the visibility timeout, lowered here with
CELERY_VISIBILITY_TIMEOUT) and takes effect exactly once. Delivering it twice more changes
nothing (idempotent tasks).

"In the middle" is made certain, not hoped for: the test holds a row lock on the report, so
the worker's triage blocks inside its transaction until the worker is killed.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import psycopg
import pytest

from tests.integration.conftest import manage
from tests.reliability import figures
from tests.reliability.faults import phare_env, prepare_database

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT = 5

_FILE_A_REPORT = """
import datetime as dt, json
from accounts.services import sign_up
from chat import services as chat
from moderation.services.report import file_report
reporter = sign_up(pseudonym="{tag}rep", password="correct horse battery", birthdate=dt.date(1990, 1, 1), ip=None)
author = sign_up(pseudonym="{tag}aut", password="correct horse battery", birthdate=dt.date(1990, 1, 1), ip=None)
room = chat.create_room(slug="{tag}", name="Kitchen", audience="adults")
chat.join_room(user=author, slug=room.slug)
message = chat.post_room_message(author=author, room=room, body="buy cheap followers now")
report = file_report(reporter=reporter, target={{"message": str(message.message["id"])}},
                     category="spam", details="", good_faith=True)
print(json.dumps({{"report": report.pk, "case": report.case_id}}))
"""


def _connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgres://", "postgresql://"), **kwargs)


def triage_effects(url: str, report_id: int) -> tuple[int, object]:
    """(audit entries of this report's triage, its triaged_at)."""
    with _connect(url, autocommit=True) as conn:
        audits = conn.execute("SELECT count(*) FROM moderation_auditentry WHERE action = 'case.triaged' "
                              "AND data->>'report' = %s", (str(report_id),)).fetchone()[0]
        triaged_at = conn.execute("SELECT triaged_at FROM moderation_report WHERE id = %s",
                                  (report_id,)).fetchone()[0]
    return audits, triaged_at


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.timeout(300)
def test_worker_killed_mid_task_runs_it_again_and_it_takes_effect_once(private_redis, shared_pg_database,
                                                                         processes):
    env = phare_env(database_url=shared_pg_database, redis_url=private_redis.url,
                    CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT), CELERY_UNACKED_RESTORE_INTERVAL="1")
    prepare_database(env)
    tag = f"k{uuid.uuid4().hex[:5]}"
    filed = json.loads(manage(env, "shell", "-c", _FILE_A_REPORT.format(tag=tag)).strip().splitlines()[-1])
    report_id = filed["report"]
    assert triage_effects(shared_pg_database, report_id) == (0, None)

    # Hold the report's row: the worker's triage will block inside its transaction.
    lock = _connect(shared_pg_database)
    lock.execute("SELECT id FROM moderation_report WHERE id = %s FOR UPDATE", (report_id,))
    first = processes["worker"](env)

    def worker_is_blocked() -> bool:
        with _connect(shared_pg_database, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND wait_event_type = 'Lock'").fetchone()[0] > 0

    wait_for(worker_is_blocked, 60, "the worker to start the triage task")
    assert "moderation.tasks.triage_report" in first.log()
    killed_at = time.monotonic()
    first.kill()
    lock.rollback()
    lock.close()
    assert triage_effects(shared_pg_database, report_id) == (0, None)  # the killed run left nothing

    second = processes["worker"](env)
    wait_for(lambda: triage_effects(shared_pg_database, report_id)[1] is not None, 60,
             "the task to run again on another worker")
    recovery = time.monotonic() - killed_at
    audits, triaged_at = triage_effects(shared_pg_database, report_id)
    assert audits == 1
    assert "moderation.tasks.triage_report" in second.log()

    # Delivered twice more (a duplicate delivery, the sweeper's re-enqueue): nothing changes.
    manage(env, "shell", "-c", f"from moderation import tasks; tasks.triage_report.delay({report_id}); "
                               f"tasks.triage_report.delay({report_id})")
    succeeded = re.compile(r"moderation\.tasks\.triage_report\[[^\]]+\] succeeded")
    wait_for(lambda: len(succeeded.findall(second.log())) >= 3, 30, "the duplicate deliveries to run")
    final_audits, final_triaged_at = triage_effects(shared_pg_database, report_id)
    with _connect(shared_pg_database, autocommit=True) as conn:
        reports_for_case = conn.execute("SELECT count(*) FROM moderation_report WHERE case_id = %s",
                                        (filed["case"],)).fetchone()[0]
    duplicates = final_audits - 1
    figures.record(
        "Celery worker killed (SIGKILL) mid-task", recovery_seconds=recovery, sent=1, acknowledged=1,
        lost=0 if final_triaged_at else 1, duplicates=duplicates,
        detail=(f"triage of one report blocked on a row lock, worker killed; redelivered after the "
                f"visibility timeout ({VISIBILITY_TIMEOUT} s here, 600 s by default) to a new worker; "
                f"then delivered twice more: {final_audits} triage audit entry"),
    )
    assert final_audits == 1, "a task run twice had a second effect"
    assert final_triaged_at == triaged_at
    assert reports_for_case == 1


def _children(pid: int) -> list[int]:
    from pathlib import Path

    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", text, re.M):
            found.append(int(status.parent.name))
    return found


@pytest.mark.timeout(300)
def test_pool_child_killed_mid_task_is_requeued_at_once_and_takes_effect_once(private_redis, shared_pg_database,
                                                                                processes):
    """With the prefork pool, only the child running the task dies: reject-on-worker-lost puts
    the task back at once (no visibility timeout to wait for), and it takes effect once."""
    import os
    import signal

    env = phare_env(database_url=shared_pg_database, redis_url=private_redis.url)  # the default 600 s timeout
    prepare_database(env)
    tag = f"p{uuid.uuid4().hex[:5]}"
    filed = json.loads(manage(env, "shell", "-c", _FILE_A_REPORT.format(tag=tag)).strip().splitlines()[-1])
    report_id = filed["report"]
    lock = _connect(shared_pg_database)
    lock.execute("SELECT id FROM moderation_report WHERE id = %s FOR UPDATE", (report_id,))
    worker = processes["worker"](env, pool="prefork")

    def blocked_child() -> int | None:
        with _connect(shared_pg_database, autocommit=True) as conn:
            waiting = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock'").fetchone()[0]
        children = _children(worker.process.pid)
        return children[0] if waiting and len(children) == 1 else None

    child = wait_for(blocked_child, 60, "the pool child to start the triage task")
    killed_at = time.monotonic()
    os.kill(child, signal.SIGKILL)
    lock.rollback()
    lock.close()
    wait_for(lambda: triage_effects(shared_pg_database, report_id)[1] is not None, 60,
             "the task to run again in a new pool child")
    recovery = time.monotonic() - killed_at
    audits, _ = triage_effects(shared_pg_database, report_id)
    figures.record(
        "Celery pool child killed (SIGKILL) mid-task", recovery_seconds=recovery, sent=1, acknowledged=1,
        lost=0, duplicates=audits - 1,
        detail="prefork pool, visibility timeout left at 600 s: re-queued at once by reject-on-worker-lost",
    )
    assert audits == 1
    assert recovery < 30, "the task waited for the visibility timeout instead of being re-queued"
