"""The safety limits (first contacts, reports, sign-ups) survive Redis killed with SIGKILL and
started again, when Redis runs as docker-compose.yml runs it (its persistence flags, read from
the file); and, as a control, they do not without persistence: the test can tell the two apart.

The counts are spent and read by `manage.py shell` processes (the real limiter, its Redis
bucket and its window counters in the Django cache), so nothing in this process caches them.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import free_port, manage
from tests.reliability import figures
from tests.reliability.faults import NO_PERSISTENCE, PrivateRedis, phare_env, prepare_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# One limit of each kind that guards safety: a first contact (a Redis bucket, refused when
# Redis is away), a report and a sign-up (window counters in the Django cache).
SAFETY_LIMITS = ("dm_request_hour", "report_account", "signup_ip")
LIMIT = 2
TIGHT_LIMITS = (
    "from accounts.models import RateLimitRule\n"
    f"for name in {SAFETY_LIMITS!r}:\n"
    f"    RateLimitRule.objects.update_or_create(name=name, defaults={{'limit': {LIMIT}, 'period_seconds': 3600}})\n"
)
SPEND = """
import json
from accounts import throttling
from core.errors import PhareError
answers = {{}}
for name in {names!r}:
    try:
        throttling.take(name, subject={subject!r})
        answers[name] = "spent"
    except PhareError as error:
        answers[name] = error.code
print(json.dumps(answers))
"""


def compose_redis_persistence() -> tuple[str, ...]:
    """The flags docker-compose.yml starts Redis with (everything after `redis-server`)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    assert command[0] == "redis-server"
    return tuple(command[1:])


def spend(env: dict[str, str], subject: str) -> dict[str, str]:
    out = manage(env, "shell", "-c", SPEND.format(names=SAFETY_LIMITS, subject=subject))
    return json.loads(out.strip().splitlines()[-1])


def spend_kill_restart_and_try_again(redis: PrivateRedis, database_url: str) -> dict[str, str]:
    """Spend every safety limit to the end, SIGKILL Redis, start it again on the same
    directory, and return what one more try of each answers."""
    env = phare_env(database_url=database_url, redis_url=redis.url)
    subject = uuid.uuid4().hex[:8]
    for _ in range(LIMIT):
        assert set(spend(env, subject).values()) == {"spent"}
    assert set(spend(env, subject).values()) == {"rate_limited"}  # the limits hold before the fault
    # appendfsync everysec (Redis' default, kept by docker-compose.yml): a count is on disk
    # within a second; what a SIGKILL can lose is that last second.
    time.sleep(1.5)
    redis.kill()
    redis.start()
    return spend(env, subject)


@pytest.mark.timeout(300)
def test_safety_limits_survive_a_redis_restart_with_compose_s_persistence(shared_pg_database, tmp_path):
    env = phare_env(database_url=shared_pg_database, redis_url="redis://127.0.0.1:1/0")
    prepare_database(env)
    manage(env, "shell", "-c", TIGHT_LIMITS)

    def on_a_redis_with(persistence: tuple[str, ...], name: str) -> dict[str, str]:
        redis = PrivateRedis(port=free_port(), workdir=tmp_path / name, persistence=persistence)
        redis.workdir.mkdir()
        redis.start()
        try:
            return spend_kill_restart_and_try_again(redis, shared_pg_database)
        finally:
            redis.stop()

    after_restart = on_a_redis_with(compose_redis_persistence(), "persisted")
    # The control: the same steps on a Redis without persistence forget every count.
    forgotten = on_a_redis_with(NO_PERSISTENCE, "volatile")

    held = sum(answer == "rate_limited" for answer in after_restart.values())
    figures.record(
        "Redis killed (SIGKILL) with the safety limits spent, restarted with compose's persistence",
        recovery_seconds=None, sent=len(SAFETY_LIMITS), acknowledged=len(SAFETY_LIMITS) - held,
        lost=len(SAFETY_LIMITS) - held, duplicates=0,
        detail=(f"limits {', '.join(SAFETY_LIMITS)} spent to {LIMIT} each, then one more try after the restart: "
                f"{held} of {len(SAFETY_LIMITS)} still refused (redis-server {' '.join(compose_redis_persistence())}); "
                f"without persistence {sum(a == 'spent' for a in forgotten.values())} of {len(SAFETY_LIMITS)} "
                "were let through"),
    )
    assert after_restart == {name: "rate_limited" for name in SAFETY_LIMITS}, after_restart
    assert forgotten == {name: "spent" for name in SAFETY_LIMITS}, forgotten
