"""/metrics answers only the operator's bearer token, and is off (404) when none is set
(ops/views.py, docs/operations.md §4)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN = "k3-long-random-prometheus-token-0123456789"


def scrape(authorization: str | None = None, host: str = "10.1.2.3:8000"):
    # By address and over plain HTTP, as Prometheus calls it (answered before host checks).
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client(HTTP_HOST=host).get("/metrics", **extra)


def test_without_a_configured_token_metrics_are_off_for_everyone(settings):
    settings.PHARE_METRICS_TOKEN = ""
    for authorization in (None, "", "Bearer ", "Bearer", "Bearer anything"):
        response = scrape(authorization)
        assert response.status_code == 404, authorization
        assert b"phare_" not in response.content
        assert response.json()["error"]["code"] == "not_found"


def test_with_a_token_only_that_bearer_token_gets_the_metrics(settings):
    settings.PHARE_METRICS_TOKEN = TOKEN
    for authorization in (None, "", "Bearer", "Bearer ", "Bearer nope", TOKEN, f"Basic {TOKEN}",
                          f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Bearer x{TOKEN}", f"Token {TOKEN}",
                          f"Bearer{TOKEN}", "Bearer \u00e9t\u00e9"):
        response = scrape(authorization)
        assert response.status_code == 404, authorization
        assert b"phare_" not in response.content
    for authorization in (f"Bearer {TOKEN}", f"bearer {TOKEN}", f"Bearer  {TOKEN} "):
        response = scrape(authorization)
        assert response.status_code == 200, authorization
        assert b"phare_connected_sockets" in response.content
        assert response["Cache-Control"] == "no-store"


def test_the_token_is_compared_in_constant_time(settings, monkeypatch):
    import hmac

    from ops import views

    settings.PHARE_METRICS_TOKEN = TOKEN
    compared = []
    original = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(views.hmac, "compare_digest", spy)
    assert scrape(f"Bearer {TOKEN}").status_code == 200
    assert compared == [(TOKEN.encode(), TOKEN.encode())]
