"""The production install, as shipped, runs Phare's moving parts.

A virtualenv with the runtime dependencies only (tests/deploy/runtime_venv.py) runs the ASGI
server, a Celery worker and Celery beat against the test PostgreSQL and Redis; a report filed
through the server's API is triaged by the worker, and one whose triage task was lost is
triaged once beat's sweep re-enqueues it. Before `celery[redis]`, kombu's Redis transport
could not import `packaging` in such an install: the worker and beat could not start and the
server could not enqueue, while every other test passed with the test extras installed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
import redis

from tests.deploy.runtime_venv import ROOT, clean_env, runtime_python
from tests.integration.conftest import CeleryWorker, HttpUser, start_asgi_server, stop_process, wait_for
from tests.integration.test_moderation_queue import signup

# The first test builds the virtualenv when the cache has none (about 25 s; longer on a
# machine whose pip cache must first build a wheel from source): past the usual 120 s.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def python() -> Path:
    return runtime_python()


def test_the_runtime_install_has_no_test_package_and_consistent_requirements(python):
    env = clean_env()
    pytest_import = subprocess.run([str(python), "-c", "import pytest"], env=env, capture_output=True, text=True)
    assert pytest_import.returncode != 0 and "No module named 'pytest'" in pytest_import.stderr
    check = subprocess.run([str(python), "-m", "pip", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    broker = subprocess.run([str(python), "-c", "import kombu.transport.redis"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert broker.returncode == 0, broker.stderr


def _report(reporter: HttpUser, subject_id: str) -> int:
    status, body = reporter.call("POST", "/api/v1/reports", {"target": {"user": subject_id}, "category": "harassment",
                                                             "details": "insultes", "good_faith": True})
    assert status == 201, body
    return int(body["report"]["id"])


def _triaged(database_url: str, report_id: int) -> bool:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as db:
        row = db.execute("SELECT triaged_at FROM moderation_report WHERE id = %s", (report_id,)).fetchone()
    return row is not None and row[0] is not None


def test_server_worker_and_beat_of_the_runtime_install_triage_reports(python, service_env, tmp_path):
    env = clean_env(service_env)
    database_url = env["DATABASE_URL"]
    server = start_asgi_server(env, tmp_path, python=str(python))
    worker = CeleryWorker(env=env, log_path=tmp_path / "celery-worker.log", python=str(python))
    beat_log = tmp_path / "celery-beat.log"
    beat = None
    try:
        reporter, _ = signup(server.http, "rapporteur_rt")
        _subject, lost_subject_id = signup(server.http, "sujet_perdu_rt")
        _other, subject_id = signup(server.http, "sujet_rt")

        # A report whose triage task is lost: enqueued by the server while no worker runs, then
        # dropped from the broker, and old enough for beat's sweep (sweep_untriaged, 30 s).
        lost = _report(reporter, lost_subject_id)
        broker = redis.Redis.from_url(env["REDIS_URL"])
        queued = list(broker.scan_iter(match="moderation*"))
        assert queued, "the server enqueued no triage task"
        broker.delete(*queued)
        with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as db:
            db.execute("UPDATE moderation_report SET created_at = created_at - interval '5 minutes' WHERE id = %s",
                       (lost,))

        # The server enqueues, the worker triages.
        worker.start()
        filed = _report(reporter, subject_id)
        wait_for(lambda: _triaged(database_url, filed), timeout=60, what="triage of the filed report")
        assert not _triaged(database_url, lost)

        # Beat sends the sweep, which re-enqueues the lost report's triage.
        beat = subprocess.Popen(
            [str(python), "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp_path / "celerybeat-schedule"),
             "--scheduler", "tests.deploy.due_at_start:DueAtStartScheduler"],
            cwd=ROOT, env=env, stdout=open(beat_log, "wb"), stderr=subprocess.STDOUT,
        )
        wait_for(lambda: _triaged(database_url, lost), timeout=60, what="triage of the lost report by beat's sweep")
        assert beat.poll() is None, beat_log.read_text(errors="replace")[-3000:]
        assert "moderation.tasks.sweep_untriaged" in beat_log.read_text(errors="replace")
        assert "triage_report" in worker.log_path.read_text(errors="replace")
    finally:
        if beat is not None:
            stop_process(beat, timeout=10)
        worker.stop()
        server.stop()
        for path in (server.log_path, worker.log_path, beat_log):
            if path.exists():
                print(f"--- {path.name} ---\n" + path.read_text(errors="replace")[-4000:])
