"""Settings behave as documented, and docker-compose.yml matches them."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "k" * 20 + "-production-like-key-0123456789"


def run_manage(*args: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env_overrides={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_a_development_key():
    result = run_manage("check", env_overrides={"DEBUG": "0", "SECRET_KEY": "django-insecure-abc"})
    assert result.returncode != 0
    assert "SECRET_KEY is too short" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_overrides={"DEBUG": "0", "SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "phare.example"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _settings_env_names() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', source))


def test_compose_has_the_production_topology_and_only_known_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= services.keys()
    assert "uvicorn" in services["web"]["command"] and "config.asgi:application" in services["web"]["command"]
    # The image runs the same server with the same flags, among them no permessage-deflate
    # (docs/decisions.md: each event would be compressed once per socket).
    dockerfile_cmd = json.loads(re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M).group(1))
    assert services["web"]["command"] == dockerfile_cmd
    flags = services["web"]["command"]
    assert flags[flags.index("--ws-per-message-deflate") + 1] == "false"
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert "beat" in services["beat"]["command"]
    # uvicorn's own, and prometheus-client's multiprocess directory (docs/operations.md)
    known = _settings_env_names() | {"FORWARDED_ALLOW_IPS", "PROMETHEUS_MULTIPROC_DIR"}
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert env["DEBUG"] == "0"
        assert "SECRET_KEY" in env


def test_compose_worker_consumes_every_routed_queue():
    from django.conf import settings

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    # Every routed queue has a worker; `worker` takes moderation alone (ops, docs/operations.md).
    queues = set()
    for service in compose["services"].values():
        command = service.get("command") or []
        if command[:4] == ["celery", "-A", "config", "worker"]:
            queues |= set(command[command.index("-Q") + 1].split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= queues
