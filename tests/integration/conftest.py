"""Real services for integration tests: PostgreSQL, Redis, ASGI server processes, a worker.

Outside CI a missing service skips these tests; in CI (CI=true) it fails them, so they
can never be skipped silently there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("PHARE_TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PHARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET_KEY = "integration-test-secret-key-0123456789-abcdefghijkl"


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable: {error}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message + " (CI must run integration tests against the real services)")
    pytest.skip(message)


def emptied_redis(url: str) -> str:
    """`url`, once Redis answers there and that database is emptied."""
    import redis

    try:
        client = redis.Redis.from_url(url)
        client.ping()
        client.flushdb()
    except Exception as exc:  # any connection failure means the service is not there
        _unavailable("Redis", exc)
    return url


@contextlib.contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """A new database `name` on the server of `admin_url`, dropped afterwards: its URL."""
    import psycopg

    try:
        admin = psycopg.connect(admin_url.replace("postgres://", "postgresql://"), autocommit=True)
    except Exception as exc:  # any connection failure means the service is not there
        _unavailable("PostgreSQL", exc)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return emptied_redis(REDIS_URL)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    with scratch_database(PG_ADMIN_URL, f"phare_it_{uuid.uuid4().hex[:10]}") as url:
        yield url


def stop_process(process: subprocess.Popen, *, timeout: float) -> None:
    """SIGTERM, and SIGKILL if the process has not exited within `timeout` s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def service_env(pg_database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        {
            "SECRET_KEY": SECRET_KEY,
            "DEBUG": "0",
            "DATABASE_URL": pg_database_url,
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    manage(env, "migrate", "--noinput")
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass
class AsgiServer:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


def start_asgi_server(env: dict[str, str], tmp_path: Path, *, python: str = sys.executable) -> AsgiServer:
    """uvicorn as production runs it, from the interpreter `python` (another virtualenv's:
    tests/deploy), once it accepts connections."""
    port = free_port()
    log_path = tmp_path / f"uvicorn-{port}.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
         "--no-proxy-headers", "--lifespan", "off"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"uvicorn exited: {log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return AsgiServer(port=port, process=process, log_path=log_path)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"uvicorn did not start: {log_path.read_text()}")


@pytest.fixture
def asgi_servers(service_env, tmp_path) -> Iterator[list[AsgiServer]]:
    import redis

    # Each test starts from an empty Redis: rate-limit buckets (sign-ups per IP, …) filled by
    # earlier tests from the same 127.0.0.1 must not refuse this one's requests.
    redis.Redis.from_url(service_env["REDIS_URL"]).flushdb()
    servers: list[AsgiServer] = []
    yield_servers = servers

    def start(count: int) -> list[AsgiServer]:
        for _ in range(count):
            servers.append(start_asgi_server(service_env, tmp_path))
        return servers

    yield start  # type: ignore[misc]
    for server in yield_servers:
        server.stop()
        # Shown by pytest when the test failed.
        print(f"--- uvicorn :{server.port} ---\n" + server.log_path.read_text(errors="replace")[-5000:])


@dataclass
class HttpUser:
    """A browser-like HTTP session: cookies, CSRF token."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        for cookie in self.jar:
            if cookie.name == name:
                return cookie.value or ""
        return ""

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        if not self.cookie("csrftoken"):
            self.opener.open(self.base + "/api/v1/session").read()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")},
        )
        try:
            with self.opener.open(request) as response:
                raw = response.read()
                return response.status, (json.loads(raw) if raw else {})
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def ws_headers(self) -> dict[str, str]:
        return {"Cookie": f"sessionid={self.cookie('sessionid')}", "Origin": self.base.replace("127.0.0.1", "localhost")}


# --- A real Celery worker (moderation queue) -------------------------------------------------

@dataclass
class CeleryWorker:
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    # The interpreter it runs on: another virtualenv's in tests/deploy.
    python: str = sys.executable

    def start(self, timeout: float = 60) -> None:
        """Start `celery -A config worker` on both queues and wait until it is ready."""
        assert self.process is None or self.process.poll() is not None
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.python, "-m", "celery", "-A", "config", "worker", "-Q", "moderation,housekeeping",
             "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
             "--hostname", f"it-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"celery worker exited: {self.log_path.read_text(errors='replace')[-3000:]}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise AssertionError(f"celery worker not ready: {self.log_path.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=15)


@pytest.fixture
def celery_worker(service_env, tmp_path) -> Iterator[CeleryWorker]:
    """A worker against the test PostgreSQL and Redis, NOT started: call `.start()`."""
    worker = CeleryWorker(env=dict(service_env), log_path=tmp_path / "celery.log")
    yield worker
    worker.stop()
    print("--- celery worker ---\n" + (worker.log_path.read_text(errors="replace")[-5000:]
                                       if worker.log_path.exists() else ""))


def adult_birthdate() -> str:
    """A birthdate thirty years ago, as the sign-up form takes it."""
    return (dt.date.today() - dt.timedelta(days=30 * 365)).isoformat()


def wait_for(predicate, timeout: float = 30, what: str = "the condition", *, interval: float = 0.3):
    """`predicate()`'s first true value, asked every `interval` s for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout} s (last: {last!r})")


async def ws_request(ws, frame: dict, timeout: float = 15) -> dict:
    """Send a client frame over a real socket and wait for the answer carrying its id."""
    import asyncio

    await ws.send(json.dumps(frame))
    while True:
        answer = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
        if answer.get("id") == frame["id"]:
            return answer


async def ws_event(ws, kind: str, timeout: float = 30, where=lambda event: True) -> dict:
    """The next server event of type `kind` (matching `where`), skipping others."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {kind} event within {timeout} s")
        event = json.loads(await asyncio.wait_for(ws.recv(), timeout=remaining))
        if event.get("type") == kind and where(event):
            return event
