"""Operations against real processes: readiness through a Redis outage, metrics shared by
several ASGI processes, and the logs of a full journey."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests.integration.conftest import (HttpUser, adult_birthdate, free_port, manage, start_asgi_server,
                                        wait_for, ws_request)

pytestmark = pytest.mark.integration

PASSWORD_A = "tangerine-harbour-47-quietly"
PASSWORD_B = "lantern-orchid-93-softly"
# /metrics answers only this bearer token (PHARE_METRICS_TOKEN); the worker's port ignores it.
METRICS_TOKEN = "prometheus-scrape-token-0123456789"


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class ThrowawayRedis:
    """A private redis-server on a free port: the machine's shared Redis is never touched."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        def answers() -> bool:
            try:
                return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
            except redis.RedisError:
                return False

        wait_for(answers, 10, "redis-server start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def throwaway_redis():
    server = ThrowawayRedis()
    server.start()
    yield server
    server.stop()


def test_readiness_goes_to_503_when_redis_stops_and_back_when_it_returns(service_env, throwaway_redis, tmp_path):
    env = dict(service_env, REDIS_URL=throwaway_redis.url, CELERY_BROKER_URL=throwaway_redis.url)
    server = start_asgi_server(env, tmp_path)
    try:
        status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(get_json(server.http + "/readyz")),
                                20, "readiness")
        assert body["checks"] == {"database": "ok", "redis": "ok", "channel_layer": "ok"}

        throwaway_redis.stop()
        status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(get_json(server.http + "/readyz")),
                                20, "readiness to fail")
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"].startswith("error")
        assert body["checks"]["channel_layer"].startswith("error")
        # Liveness does not depend on Redis: the supervisor must not restart a healthy process.
        assert get_json(server.http + "/healthz") == (200, {"status": "ok"})

        throwaway_redis.start()  # same port, empty data
        status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(get_json(server.http + "/readyz")),
                                30, "readiness to come back")
        assert body["checks"] == {"database": "ok", "redis": "ok", "channel_layer": "ok"}
    finally:
        server.stop()
        print("--- uvicorn ---\n" + server.log_path.read_text(errors="replace")[-4000:])


def scrape(base: str) -> str:
    request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def metric_value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_journey_metrics_add_up_across_processes_and_logs_hold_no_text_password_or_ip(
        service_env, tmp_path: Path):
    prom_dir = tmp_path / "prometheus"
    prom_dir.mkdir()
    env = dict(service_env, PROMETHEUS_MULTIPROC_DIR=str(prom_dir), LOG_LEVEL="INFO", PHARE_METRICS_TOKEN=METRICS_TOKEN)
    manage(env, "createroom", "--slug", "ops-lobby", "--name", "Ops lobby", "--audience", "adults")
    first, second = start_asgi_server(env, tmp_path), start_asgi_server(env, tmp_path)
    room_text = "the-violet-submarine-sings-at-dawn"
    report_text = "a-private-note-about-blue-tomatoes"
    try:
        alice, bob = HttpUser(first.http), HttpUser(second.http)
        assert alice.call("POST", "/api/v1/accounts/signup",
                          {"pseudonym": "ops_alice", "password": PASSWORD_A, "birthdate": adult_birthdate()})[0] == 201
        assert bob.call("POST", "/api/v1/accounts/signup",
                        {"pseudonym": "ops_bob", "password": PASSWORD_B, "birthdate": adult_birthdate()})[0] == 201
        assert bob.call("POST", "/api/v1/accounts/logout")[0] == 204
        assert bob.call("POST", "/api/v1/accounts/login", {"pseudonym": "ops_bob", "password": PASSWORD_B})[0] == 200

        async def journey() -> None:
            async with websockets.connect(first.ws, additional_headers=alice.ws_headers()) as a, \
                    websockets.connect(second.ws, additional_headers=bob.ws_headers()) as b:
                assert (await ws_request(a, {"type": "room.join", "id": "1", "room": "ops-lobby"}))["type"] == "ack"
                assert (await ws_request(b, {"type": "room.join", "id": "1", "room": "ops-lobby"}))["type"] == "ack"
                ack = await ws_request(a, {"type": "room.send", "id": "2", "room": "ops-lobby", "body": room_text})
                assert ack["message"]["status"] == "delivered", ack
                event = json.loads(await asyncio.wait_for(b.recv(), timeout=10))
                assert event["message"]["body"] == room_text
                refused = await ws_request(a, {"type": "room.send", "id": "3", "room": "ops-lobby",
                                             "body": "sale bougnoule"})
                assert refused["error"]["code"] == "blocked_by_policy", refused
                report = await ws_request(b, {"type": "report", "id": "4", "category": "harassment",
                                            "target": {"message": ack["message"]["id"]},
                                            "details": report_text, "good_faith": True})
                assert report["type"] == "ack", report
                muted = await ws_request(b, {"type": "user.mute", "id": "5", "user": ack["message"]["author"]["id"]})
                assert muted["type"] == "ack", muted

        asyncio.run(journey())
        status, me = bob.call("GET", "/api/v1/me")
        assert alice.call("POST", "/api/v1/me/blocks", {"user": me["user"]["id"]})[0] == 201
        assert alice.call("GET", "/api/v1/me/export")[0] == 200

        # Metrics: counted in one process, visible from the other (multiprocess mode).
        text = scrape(second.http)
        assert metric_value(text, 'phare_messages_total{context="room",outcome="delivered"}') == 1
        assert metric_value(text, 'phare_messages_total{context="room",outcome="blocked"}') == 1
        assert metric_value(text, "phare_deliveries_total") >= 2  # the room message, to both sockets
        assert metric_value(text, 'phare_verdicts_total{context="room",decision="block"}') == 1
    finally:
        first.stop(), second.stop()

    logs = first.log_path.read_text(errors="replace") + second.log_path.read_text(errors="replace")
    lines = [line for line in logs.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is a JSON object
    for secret in (room_text, report_text, "bougnoule", PASSWORD_A, PASSWORD_B, "127.0.0.1"):
        assert secret not in logs, f"{secret!r} leaked into the logs"
    requests = [r for r in records if r.get("event") == "http.request"]
    assert requests and all(len(r["request_id"]) == 32 for r in requests)
    assert {"/api/v1/accounts/signup", "/api/v1/accounts/login", "/api/v1/me/export"} <= {r["path"] for r in requests}
    sockets = [r for r in records if r.get("event") == "ws.connect"]
    assert len(sockets) == 2 and all(r.get("connection_id") for r in sockets)


def test_a_real_worker_serves_task_duration_and_queue_wait(service_env, tmp_path: Path):
    from celery import Celery

    from tests.integration.conftest import CeleryWorker

    prom_dir = tmp_path / "worker-metrics"
    prom_dir.mkdir()
    port = free_port()
    env = dict(service_env, PHARE_WORKER_METRICS_PORT=str(port), PHARE_WORKER_METRICS_ADDR="127.0.0.1",
               PROMETHEUS_MULTIPROC_DIR=str(prom_dir))
    worker = CeleryWorker(env=env, log_path=tmp_path / "celery.log")
    worker.start()
    try:
        # Published from this process: its before_task_publish hook stamps the enqueue time.
        Celery(broker=service_env["REDIS_URL"]).send_task("moderation.tasks.sweep_untriaged",
                                                          queue="moderation")

        def served() -> str | None:
            try:
                text = scrape(f"http://127.0.0.1:{port}")
            except OSError:
                return None
            done = metric_value(text, 'phare_task_duration_seconds_count{task="moderation.tasks.sweep_untriaged"}')
            return text if done >= 1 else None

        text = wait_for(served, 30, "the worker to report the task")
        assert metric_value(text, 'phare_task_queue_wait_seconds_count{queue="moderation"}') >= 1
    finally:
        worker.stop()
        print("--- celery ---\n" + worker.log_path.read_text(errors="replace")[-3000:])
