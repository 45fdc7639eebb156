"""Browser journeys: a real uvicorn server, a real Celery worker and Debian's Chromium.

Everything here lives for the tests/e2e package only (scope="package"): the server and the
worker share the test Redis with tests/integration, and must be gone before those start, or
this worker would take their tasks.

The server runs as in production (DEBUG off, PostgreSQL, Redis, collected static files) on a
free port with its own database. Outside CI a missing service, Chromium or Playwright skips
these tests; in CI (CI=true) it fails them, as for tests/integration.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.integration.conftest import (HttpUser, _unavailable, emptied_redis, free_port, manage,
                                        scratch_database, stop_process)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("PHARE_E2E_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out (docs/ui.md), and this
# network refuses it; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SECRET_KEY = "e2e-test-secret-key-0123456789-abcdefghijklmnopqrstuv"
PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

_names = itertools.count(1)


def birthdate(years: int) -> str:
    """A birthdate `years` years and a few weeks ago, as the date input takes it."""
    today = dt.date.today()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return (day - dt.timedelta(days=40)).isoformat()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}{uuid.uuid4().hex[:4]}"


# --- Services -----------------------------------------------------------------------------

@pytest.fixture(scope="package")
def e2e_redis_url() -> str:
    return emptied_redis(os.environ.get("PHARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))


@pytest.fixture(scope="package")
def e2e_database_url() -> Iterator[str]:
    """A database of its own, named after the run's DATABASE_URL so parallel runs differ."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/phare")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/phare"
    server, _, base_name = base.rpartition("/")
    name = f"{base_name or 'phare'}_browser_{uuid.uuid4().hex[:8]}"
    with scratch_database(f"{server}/postgres", name) as url:
        yield url


@pytest.fixture(scope="package")
def e2e_env(e2e_database_url: str, e2e_redis_url: str, tmp_path_factory) -> dict[str, str]:
    static_root = tmp_path_factory.mktemp("static")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update({
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "DATABASE_URL": e2e_database_url,
        "REDIS_URL": e2e_redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "PHARE_E2E_STATIC_ROOT": str(static_root),
        # Uploaded images (server and worker share it) stay out of the working tree's var/.
        "PHARE_MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        "LOG_LEVEL": "WARNING",
    })
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "seed_demo")
    # A minors' room without an age check, so that a teenager who only declared an age
    # can chat, and a slow room for the rate-limit journey.
    manage(env, "createroom", "--slug", "ados", "--name", "Ados 13-17", "--audience", "minors",
           "--description", "Chat for 13-17 year olds")
    manage(env, "createroom", "--slug", "lent", "--name", "Slow room", "--audience", "adults",
           "--slow-mode", "30")
    # Policies as an operator would set them for this network: every browser of the suite
    # comes from 127.0.0.1 (like a school behind one address), and a score of brand-new
    # accounts join the same few rooms within minutes, which is not the wave the join-wave
    # lockdown is there to stop. Nothing else is relaxed.
    manage(env, "shell", "-c",
           "from accounts.models import AbusePolicy, RateLimitRule; "
           "RateLimitRule.objects.update_or_create(name='signup_ip', defaults={'limit': 500, 'period_seconds': 3600}); "
           "AbusePolicy.objects.update_or_create(pk=1, defaults={'join_wave_accounts': 100})")
    return env


@dataclass
class Process:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        stop_process(self.process, timeout=15)


def _wait_until(check: Callable[[], bool], *, timeout: float, what: Process) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what.process.poll() is not None:
            raise AssertionError(f"{what.name} exited:\n{what.log_tail()}")
        if check():
            return
        time.sleep(0.2)
    what.stop()
    raise AssertionError(f"{what.name} did not start:\n{what.log_tail()}")


@dataclass
class LiveServer:
    port: int
    server: Process
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api_user(self) -> HttpUser:
        return HttpUser(self.url)

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)


@contextmanager
def running_server(env: dict[str, str], log_path: Path, name: str = "uvicorn") -> Iterator[LiveServer]:
    """A Phare server started as the README's by-hand setup starts it, with `env`, until the
    block ends."""
    import socket

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--ws", "websockets-sansio", "--ws-max-size", "1048576",
         "--ws-per-message-deflate", "false", "--no-proxy-headers", "--lifespan", "off"],
        cwd=ROOT, env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
    )
    server = Process(name, process, log_path)

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    _wait_until(listening, timeout=30, what=server)
    try:
        yield LiveServer(port=port, server=server, env=env)
    finally:
        server.stop()


@pytest.fixture(scope="package")
def phare_server(e2e_env, tmp_path_factory) -> Iterator[LiveServer]:
    with running_server(e2e_env, tmp_path_factory.mktemp("logs") / "uvicorn.log") as server:
        yield server


@pytest.fixture(scope="package")
def celery_worker(e2e_env, tmp_path_factory) -> Iterator[Process]:
    """One real worker on both queues, started only by the journeys that need one."""
    log_path = tmp_path_factory.mktemp("worker") / "celery.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "moderation,housekeeping",
         "--pool", "solo", "--concurrency", "1", "--without-gossip", "--without-mingle",
         "--loglevel", "INFO", "--hostname", f"e2e-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=e2e_env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
    )
    worker = Process("celery worker", process, log_path)
    _wait_until(lambda: re.search(r"\bready\.", log_path.read_text(errors="replace")) is not None,
                timeout=60, what=worker)
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture(autouse=True)
def _show_logs_on_failure(request) -> Iterator[None]:
    # Printed output is shown by pytest only for a failed test: the server's last words.
    yield
    if "phare_server" in request.fixturenames:
        print("--- uvicorn ---\n" + request.getfixturevalue("phare_server").server.log_tail())
    if "celery_worker" in request.fixturenames:
        print("--- celery ---\n" + request.getfixturevalue("celery_worker").log_tail())


# --- Browser ------------------------------------------------------------------------------

@pytest.fixture(scope="package")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable("Playwright", exc)
    if not Path(CHROMIUM).exists():
        _unavailable("Chromium", FileNotFoundError(CHROMIUM))
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Person:
    """One person at one browser: their own context (cookies), page and pseudonym."""

    page: "object"
    pseudonym: str
    server: LiveServer

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def open_person_at(browser, server: LiveServer, contexts: list, *, pseudonym: str, locale: str = "en-GB",
                   viewport: dict | None = None) -> Person:
    """A new browser context (a separate person) at `server`'s chat page; its context is added
    to `contexts` for the caller to close."""
    context = browser.new_context(locale=locale, viewport=viewport or DESKTOP)
    context.set_default_timeout(10_000)
    contexts.append(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url + "/")
    person = Person(page=page, pseudonym=pseudonym, server=server)
    person.page_errors = errors  # type: ignore[attr-defined]
    return person


@pytest.fixture
def open_browser(browser, phare_server: LiveServer) -> Iterator[Callable[..., Person]]:
    """Open a new browser context (a separate person) at the chat page."""
    contexts: list = []

    def open_(pseudonym: str = "", *, locale: str = "en-GB", viewport: dict | None = None) -> Person:
        return open_person_at(browser, phare_server, contexts, pseudonym=pseudonym or unique("user"),
                              locale=locale, viewport=viewport)

    yield open_
    for context in contexts:
        context.close()


def sign_up(person: Person, *, age: int) -> None:
    """Fill the sign-up form as a person would and wait for the chat screen."""
    from playwright.sync_api import expect

    page = person.page
    page.get_by_label(re.compile("^(Pseudonym|Pseudonyme)$")).first.fill(person.pseudonym)
    page.locator("#signup-password").fill(PASSWORD)
    page.locator("#signup-birthdate").fill(birthdate(age))
    page.locator("#signup-form button[type=submit]").click()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#whoami")).to_contain_text(person.pseudonym)


def make_established(person: Person, *, days: int = 30) -> None:
    """Backdate an account, as if it had been around for `days`, and come back to the page
    (a socket reads its account once): new accounts may not send DM requests or links
    (chat.protection), and some journeys need a sender who may."""
    from playwright.sync_api import expect

    pseudonym = person.pseudonym
    person.server.manage(
        "shell", "-c",
        "import datetime as dt; from django.utils import timezone; from accounts.models import User; "
        f"n = User.objects.filter(pseudonym={pseudonym!r})"
        f".update(date_joined=timezone.now() - dt.timedelta(days={days})); assert n == 1",
    )
    person.page.reload()
    expect(person.page.locator("#whoami")).to_contain_text(pseudonym)
    expect(person.page.locator("body")).to_have_attribute("data-connected", "true")


def message_action(item, name) -> None:
    """Open a message's actions menu (⋯) and choose the item named `name` (a string or a
    pattern): report, mute or block."""
    item.locator("button.actions").click()
    item.get_by_role("menuitem", name=name).click()
