"""Real servers for reliability tests: the integration fixtures, plus accounts made in bulk
(sign-up over HTTP is itself rate-limited per IP, and every test client shares 127.0.0.1)."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import (  # noqa: F401  (fixtures re-exported)
    HttpUser,
    asgi_servers,
    manage,
    pg_database_url,
    redis_url,
    service_env,
    start_asgi_server,
)

# One password hash for every account (the same password): PBKDF2 costs 0.58 s per account on
# a slow machine, and a flood test makes sixty. It is a real hash of that password, so the
# servers verify it like any other.
_MAKE_ACCOUNTS = """
import datetime as dt, json
from unittest import mock
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from accounts.models import User
from accounts.services import sign_up
out = []
encoded = make_password("correct horse battery")
for name in {names!r}:
    with mock.patch("django.contrib.auth.base_user.make_password", lambda raw: encoded):
        user = sign_up(pseudonym=name, password="correct horse battery",
                       birthdate=dt.date(1990, 1, 1), ip="127.0.0.1")
    # Established accounts: the flood is about rate limits, not the new-account rules.
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(days=30))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    out.append({{"id": str(user.pk), "pseudonym": name, "session": session.session_key}})
print(json.dumps(out))
"""

_SET_POLICY = """
from accounts.models import AbusePolicy, RateLimitRule
from accounts import throttling
RateLimitRule.objects.all().delete()
AbusePolicy.objects.all().delete()
for name, (limit, period) in {rates!r}.items():
    RateLimitRule.objects.create(name=name, limit=limit, period_seconds=period)
if {abuse!r}:
    AbusePolicy.objects.create(pk=1, **{abuse!r})
throttling.bump_policy_version()
"""


def make_accounts(env: dict[str, str], names: list[str]) -> list[dict[str, str]]:
    return json.loads(manage(env, "shell", "-c", _MAKE_ACCOUNTS.format(names=names)).strip().splitlines()[-1])


def set_policy(env: dict[str, str], rates: dict[str, tuple[int, int]], abuse: dict | None = None) -> None:
    """Replace the operators' policy (servers notice within ~2 s; start them after this)."""
    manage(env, "shell", "-c", _SET_POLICY.format(rates=rates, abuse=abuse or {}))


@pytest.fixture
def policy(service_env):
    """Set a policy for one test and restore the defaults after it (the database is shared)."""
    yield lambda rates, abuse=None: set_policy(service_env, rates, abuse)
    set_policy(service_env, {})


def ws_headers(server, session: str) -> dict[str, str]:
    return {"Cookie": f"sessionid={session}", "Origin": server.http.replace("127.0.0.1", "localhost")}


# Fault injection (private Redis and PostgreSQL, workers, figures for docs/reliability.md).
from tests.reliability.faults import (  # noqa: E402,F401  (fixtures re-exported)
    private_postgres,
    private_redis,
    processes,
    reliability_figures,
    shared_pg_database,
)


@pytest.fixture
def strict_asgi_servers(service_env, tmp_path):
    """Servers that count 127.0.0.1 like any other address (tests of per-IP limits; the test
    session exempts it otherwise, tests/conftest.py)."""
    env = {**service_env, "PHARE_RATE_LIMIT_EXEMPT_IPS": ""}
    servers = []

    def start(count: int):
        for _ in range(count):
            servers.append(start_asgi_server(env, tmp_path))
        return servers

    yield start
    for server in servers:
        server.stop()
