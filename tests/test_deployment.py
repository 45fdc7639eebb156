"""Settings behave as documented, and docker-compose.yml matches them."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from chat.realtime.threads import POST_THREADS

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
    # prometheus-client's multiprocess directory (docs/operations.md); no uvicorn variable:
    # FORWARDED_ALLOW_IPS is not how Phare decides client addresses (core/edge.py).
    known = _settings_env_names() | {"PROMETHEUS_MULTIPROC_DIR"}
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert env["DEBUG"] == "0"
        assert "SECRET_KEY" in env


def _by_hand_setup() -> str:
    """The README's by-hand setup: the paragraph that introduces it and its shell block."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("The same services by hand")
    block_start = readme.index("```sh", start)
    return readme[start:readme.index("```", block_start + 5)]


def test_redis_keeps_the_rate_limits_across_a_restart_in_compose_and_by_hand():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"]), "the AOF must outlive the container"
    assert "redis-cli CONFIG SET appendonly yes" in _by_hand_setup()


def test_connection_settings_agree_in_compose_and_by_hand():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    conn_max_age = compose["x-phare-env"]["DB_CONN_MAX_AGE"]
    assert int(conn_max_age) > 0
    by_hand = _by_hand_setup()
    assert f"export DB_CONN_MAX_AGE={conn_max_age}\n" in by_hand
    command = compose["services"]["db"]["command"]
    max_connections = int(command[command.index("-c") + 1].removeprefix("max_connections="))
    # Ten per ASGI process (the event loop, the database thread, the posting threads).
    assert "at least ten per ASGI process" in by_hand and POST_THREADS + 2 == 10
    assert f"compose's {max_connections}" in by_hand
    assert max_connections >= 10 * (POST_THREADS + 2)


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


# --- Proxies: one rule for the client address (core/edge.py, docs/operations.md §2) -----------

SERVER_FLAGS = ["--ws", "websockets-sansio", "--ws-max-size", "1048576", "--ws-per-message-deflate", "false",
                "--no-proxy-headers", "--lifespan", "off"]


def _dockerfile_cmd() -> list[str]:
    return json.loads(re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M).group(1))


def test_every_server_runs_without_uvicorns_proxy_headers():
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told not to (its default
    # --proxy-headers with FORWARDED_ALLOW_IPS=127.0.0.1): that would be a second rule.
    cmd = _dockerfile_cmd()
    assert cmd[cmd.index("--ws"):] == SERVER_FLAGS
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["web"]["command"] == cmd
    readme = (ROOT / "README.md").read_text().replace("\\\n", " ")
    by_hand = [line for line in readme.splitlines() if "uvicorn config.asgi:application" in line]
    assert len(by_hand) == 2
    makefile = [line for line in (ROOT / "Makefile").read_text().splitlines()
                if "uvicorn config.asgi:application" in line]
    assert makefile
    for line in by_hand + makefile:
        assert "--no-proxy-headers" in line.split() and "--proxy-headers" not in line.split(), line
        assert "--forwarded-allow-ips" not in line
    # The servers the tests start, as production runs them.
    for path in ("tests/integration/conftest.py", "tests/e2e/conftest.py", "bench/fanout.py"):
        source = (ROOT / path).read_text()
        assert '"--no-proxy-headers"' in source and '"--proxy-headers"' not in source, path
    for path in ("Dockerfile", "docker-compose.yml", "Makefile", "README.md"):
        assert "FORWARDED_ALLOW_IPS" not in (ROOT / path).read_text(), path


def test_compose_trusts_only_its_own_proxy_address_never_a_wildcard():
    import ipaddress

    from core.edge import trusted_networks

    text = (ROOT / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    for service in compose["services"].values():
        for name, value in (service.get("environment") or {}).items():
            assert "*" not in str(value), (name, value)
    trusted = compose["services"]["web"]["environment"]["PHARE_TRUSTED_PROXIES"]
    default = re.fullmatch(r"\$\{PHARE_TRUSTED_PROXIES:-([^}]*)\}", trusted).group(1)
    networks = trusted_networks(tuple(default.split(",")))
    # The host's reverse proxy reaches `web` from the gateway of compose's fixed subnet.
    ipam = compose["networks"]["default"]["ipam"]["config"][0]
    subnet = ipaddress.ip_network(ipam["subnet"])
    assert [str(n) for n in networks] == [ipam["gateway"] + "/32"]
    assert ipaddress.ip_address(ipam["gateway"]) in subnet


def test_a_wildcard_or_malformed_trusted_proxy_refuses_to_start():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    for value in ("*", "proxy.internal", "10.0.0.1,::/0"):
        # The ASGI application checks the setting when it is built, before serving anything.
        app = subprocess.run([sys.executable, "-c", "import config.asgi"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env=dict(env, DEBUG="1", PHARE_TRUSTED_PROXIES=value))
        assert app.returncode != 0 and "PHARE_TRUSTED_PROXIES" in app.stderr, (value, app.stderr[-500:])
    ok = subprocess.run([sys.executable, "-c", "import config.asgi"], cwd=ROOT, capture_output=True, text=True,
                        timeout=120, env=dict(env, DEBUG="1", PHARE_TRUSTED_PROXIES="172.29.254.1, 10.8.0.0/16"))
    assert ok.returncode == 0, ok.stderr[-500:]


# --- What an operator meets first (docs/operations.md §1 and §2) ----------------------------

def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_ships_no_working_default_secret():
    # Every place a secret enters: required (`${VAR:?message}`), never a default (`:-`).
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD"):
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses and all(use.startswith(":?") for use in uses), (name, uses)
    compose = _compose()
    assert compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name in ("web", "worker", "worker-housekeeping", "beat", "migrate"):
        url = compose["services"][name]["environment"]["DATABASE_URL"]
        assert re.fullmatch(r"postgres://phare:\$\{POSTGRES_PASSWORD:\?[^}]+\}@db:5432/phare", url), url


def _published(service: dict) -> tuple[str, int]:
    (mapping,) = service["ports"]
    host, port, _container = mapping.split(":")
    return host, int(port)


def _doc_block(language: str) -> str:
    (block,) = re.findall(r"```" + language + r"\n(.*?)```", (ROOT / "docs" / "operations.md").read_text(), re.S)
    return block


def test_the_nginx_and_caddy_examples_reach_composes_web():
    host, port = _published(_compose()["services"]["web"])
    nginx = _doc_block("nginx")
    lines = [line.split("#", 1)[0].strip() for line in nginx.splitlines()]
    upstreams = re.findall(r"upstream (\w+) \{", nginx)
    assert upstreams == ["phare"]
    servers = [line for line in lines if re.fullmatch(r"server \S+;", line)]
    assert servers == [f"server {host}:{port};"]
    passes = {line for line in lines if line.startswith("proxy_pass")}
    assert passes == {f"proxy_pass http://{upstreams[0]};"}
    caddy = [line.split("#", 1)[0].strip() for line in _doc_block("caddy").splitlines()]
    (proxy,) = [line for line in caddy if line.startswith("reverse_proxy")]
    assert proxy.split()[1:-1] == [f"{host}:{port}"]


def _dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    # No exceptions ("!"): the matcher below is then Docker's rule for these patterns.
    assert not any(pattern.startswith("!") for pattern in patterns)
    return patterns


def _dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule for plain patterns: a path is left out when it or a folder above it
    matches; `**/` is any depth, `*` and `?` stay within one name."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    for pattern in patterns:
        regex = "".join(
            "(.*/)?" if token == "**/" else "[^/]*" if token == "*" else "[^/]" if token == "?" else re.escape(token)
            for token in re.findall(r"\*\*/|\*|\?|[^*?]+", pattern.rstrip("/"))
        )
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            return True
    return False


def test_dockerignore_keeps_secrets_state_and_history_out_of_the_image():
    patterns = _dockerignore_patterns()
    kept_out = [".git/HEAD", ".venv/bin/python", ".venv-runtime/0123/bin/python", "var/phare.sqlite3",
                "var/local.env", "var/media/quarantine/a.bin", "var/referrals/r.zip", "media/a.png",
                "phare.sqlite3", "phare.sqlite3-wal", ".env", "deploy/.env", "deploy/prod.env", "tls/server.key",
                "tls/chain.pem", "staticfiles/app.css", "chat/__pycache__/x.pyc", "phare.egg-info/PKG-INFO"]
    assert [path for path in kept_out if not _dockerignored(path, patterns)] == []
    # What the image needs: the code, its translations, static sources, the build files.
    needed = ["manage.py", "pyproject.toml", "README.md", "config/settings.py", "chat/static/chat/client.js",
              "locale/fr/LC_MESSAGES/django.po", "moderation/seeds/__init__.py", "accounts/services.py"]
    assert [path for path in needed if _dockerignored(path, patterns)] == []


def test_every_process_that_touches_files_shares_the_data_volume():
    compose = _compose()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^WORKDIR /app$", dockerfile, re.M)
    # The mount point exists in the image, owned by the app's user: the volume starts writable.
    assert re.search(r"mkdir -p /app/var && chown -R phare /app", dockerfile)
    mounts = {name: compose["services"][name].get("volumes", [])
              for name in ("web", "worker", "worker-housekeeping")}
    assert all("phare-data:/app/var" in volumes for volumes in mounts.values()), mounts
    assert "phare-data" in compose["volumes"]


def test_the_image_installs_what_the_runtime_install_test_installs():
    from tests.deploy.runtime_venv import INSTALLED_FROM

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY " + " ".join(INSTALLED_FROM) + r" \./$", dockerfile, re.M)
    (install,) = re.findall(r"^RUN pip install .*$", dockerfile, re.M)
    assert "[" not in install  # no extra: the runtime dependencies only
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^    "celery\[redis\]==', pyproject, re.M)
