"""Fault-injection fixtures (imported by conftest.py): PRIVATE Redis and PostgreSQL instances, Phare's processes, chatting clients.

The machine's shared PostgreSQL and Redis are never stopped or killed: every fault is done to
an instance started here (redis-server on a free port; a PostgreSQL cluster initialised in a
temporary directory and run as the `postgres` OS user). Outside CI a missing binary skips the
fault tests; in CI (CI=true) it fails them, as in tests/integration.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.integration.conftest import (_unavailable, free_port, manage, scratch_database,
                                        start_asgi_server)
from tests.reliability import figures

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "reliability-test-secret-key-0123456789-abcdefghij"
PG_ADMIN_URL = os.environ.get("PHARE_TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def long_runs_enabled() -> bool:
    return os.environ.get("PHARE_RELIABILITY_LONG", "") not in {"", "0"}


def _wait_for_port(port: int, timeout: float) -> bool:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# --- Private Redis ----------------------------------------------------------------------------

# Without persistence: a restart after SIGKILL comes back empty, the worst case.
NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


@dataclass
class PrivateRedis:
    port: int
    workdir: Path
    process: subprocess.Popen | None = None
    # What the server keeps across a restart: none by default; a test of persistence passes
    # the flags docker-compose.yml runs Redis with.
    persistence: tuple[str, ...] = NO_PERSISTENCE

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", *self.persistence,
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        assert _wait_for_port(self.port, 10), "private redis-server did not start"

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, every connection cut; without persistence all data gone."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.kill()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        _unavailable("redis-server", FileNotFoundError("redis-server"))
    redis = PrivateRedis(port=free_port(), workdir=tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


# --- Private PostgreSQL -----------------------------------------------------------------------

def _pg_bin(name: str) -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in versions:
        if (directory / name).exists():
            return directory / name
    found = shutil.which(name)
    return Path(found) if found else None


@dataclass
class PrivatePostgres:
    port: int
    base: Path

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def init(self) -> None:
        result = self._as_postgres(_pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                                   "--no-sync", "-E", "UTF8")
        assert result.returncode == 0, result.stderr

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off " \
                  "-c synchronous_commit=off -c full_page_writes=off"
        result = self._as_postgres(_pg_bin("pg_ctl"), "-D", self.data, "-o", options, "-l", self.base / "log",
                                   "-w", "start")
        assert result.returncode == 0, result.stdout + result.stderr + (self.base / "log").read_text()

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(_pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url().replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if _pg_bin("initdb") is None or _pg_bin("pg_ctl") is None:
        _unavailable("PostgreSQL server binaries", FileNotFoundError("initdb"))
    base = Path(tempfile.mkdtemp(prefix="phare-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, user="postgres")
    postgres = PrivatePostgres(port=free_port(), base=base)
    postgres.init()
    postgres.start()
    try:
        yield postgres
    finally:
        postgres.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def shared_pg_database() -> Iterator[str]:
    """A database of its own on the shared server, for faults that do not touch PostgreSQL,
    named after the test run's own (`DATABASE_URL`'s name, then `_rel_` and a random suffix),
    so that runs sharing a server can tell theirs apart."""
    url = os.environ.get("DATABASE_URL", "")
    base = (url.rsplit("/", 1)[-1].split("?")[0] if url.startswith("postgres") else "") or "phare"
    with scratch_database(PG_ADMIN_URL, f"{base[:30]}_rel_{uuid.uuid4().hex[:10]}") as url:
        yield url


# --- Phare's processes ------------------------------------------------------------------------

GENEROUS_LIMITS = (
    "from accounts import throttling\n"
    "from accounts.models import RateLimitRule\n"
    "for name in throttling.DEFAULT_RATES:\n"
    "    RateLimitRule.objects.update_or_create(name=name, defaults={'limit': 100000, 'period_seconds': 1})\n"
)


def phare_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update({
        "SECRET_KEY": SECRET_KEY, "DEBUG": "0", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING",
        "PHARE_RATE_LIMIT_REDIS_URL": redis_url,
    })
    env.update(extra)
    return env


def prepare_database(env: dict[str, str], *rooms: str) -> None:
    manage(env, "migrate", "--noinput")
    for slug in rooms:
        manage(env, "createroom", "--slug", slug, "--name", slug.title(), "--audience", "adults")
    # The flood guard is not what these tests measure (tests/reliability's flood test is).
    try:
        manage(env, "shell", "-c", GENEROUS_LIMITS)
    except AssertionError:
        pass  # before the rate-limit models exist


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: the main process and any pool child."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(env: dict[str, str], tmp_path: Path, *, pool: str = "solo") -> Worker:
    log_path = tmp_path / f"celery-{uuid.uuid4().hex[:6]}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "moderation,housekeeping",
         "--pool", pool, "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "INFO", "--hostname", f"rel-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    worker = Worker(process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("celery worker exited:\n" + worker.log()[-3000:])
        if re.search(r"\bready\.", worker.log()):
            return worker
        time.sleep(0.2)
    worker.kill()
    raise AssertionError("celery worker did not start:\n" + worker.log()[-3000:])


@pytest.fixture
def processes(tmp_path) -> Iterator[dict]:
    """Start ASGI servers and workers; everything started is stopped at the end and its log
    printed (pytest shows it for a failed test)."""
    started: dict[str, list] = {"servers": [], "workers": []}

    def server(env: dict[str, str]):
        instance = start_asgi_server(env, tmp_path)
        started["servers"].append(instance)
        return instance

    def worker(env: dict[str, str], **kwargs):
        instance = start_worker(env, tmp_path, **kwargs)
        started["workers"].append(instance)
        return instance

    yield {"server": server, "worker": worker}
    for instance in started["servers"]:
        instance.stop()
        print(f"--- uvicorn :{instance.port} ---\n" + instance.log_path.read_text(errors="replace")[-3000:])
    for instance in started["workers"]:
        instance.stop()
        print("--- celery ---\n" + instance.log()[-3000:])


@pytest.fixture(scope="session", autouse=True)
def reliability_figures() -> Iterator[None]:
    """Each fault test records its figures; they are written to docs/reliability.md at the end."""
    yield
    figures.write()
