"""/healthz and /readyz in process (the Redis outage itself: tests/integration/test_ops.py)."""

import pytest
from django.test import Client

from ops import health

pytestmark = [pytest.mark.django_db]


def test_healthz_answers_ok_even_for_an_unknown_host_name():
    # Load balancers and container checks call by address: no host validation, no redirect.
    response = Client(HTTP_HOST="10.1.2.3:8000").get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert Client(HTTP_HOST="10.1.2.3:8000").get("/api/v1/session").status_code == 400


def test_readyz_is_ok_when_every_service_answers():
    response = Client().get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["channel_layer"] == "ok"
    assert checks["redis"] in ("ok", "skipped")


def test_readyz_answers_503_naming_the_database_when_it_fails(monkeypatch):
    def broken() -> None:
        raise ConnectionError("database down")

    monkeypatch.setattr(health, "_check_database", broken)
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "error: ConnectionError"
    assert body["checks"]["channel_layer"] == "ok"


def test_readyz_answers_503_when_the_channel_layer_fails(monkeypatch):
    async def broken() -> None:
        raise OSError("layer down")

    monkeypatch.setattr(health, "_check_channel_layer", broken)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == "error: OSError"


def test_metrics_need_the_token_when_one_is_configured(settings):
    settings.PHARE_METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert Client().get("/metrics").status_code == 404
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 404
    right = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus")
    assert right.status_code == 200 and b"phare_connected_sockets" in right.content
