"""django-ratelimit on reports, appeals and room proposals: per account and per IP."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.accounts.test_throttling import set_rate

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body: dict, ip: str = "198.51.100.20"):
    return client.post(path, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_body(room: str) -> dict:
    return {"target": {"room": room}, "category": "spam", "details": "pub", "good_faith": True}


def test_reports_per_account_are_limited(make_user, adults_room):
    set_rate("report_account", 2, 3600)
    client = signed_in(make_user())
    assert post(client, "/api/v1/reports", report_body("cafe")).status_code == 201
    assert post(client, "/api/v1/reports", report_body("cafe")).status_code == 201
    response = post(client, "/api/v1/reports", report_body("cafe"))
    assert response.status_code == 429
    assert response.json()["error"]["reason"] == "report_account" and "Retry-After" in response
    # Someone else on the same network still reports.
    assert post(signed_in(make_user()), "/api/v1/reports", report_body("cafe")).status_code == 201


def test_reports_per_ip_are_limited(make_user, adults_room):
    set_rate("report_ip", 2, 3600)
    for _ in range(2):
        assert post(signed_in(make_user()), "/api/v1/reports", report_body("cafe")).status_code == 201
    response = post(signed_in(make_user()), "/api/v1/reports", report_body("cafe"))
    assert response.status_code == 429 and response.json()["error"]["reason"] == "report_ip"


def test_appeals_per_account_are_limited(make_user):
    set_rate("appeal_account", 2, 86400)
    client = signed_in(make_user())
    for _ in range(2):
        assert post(client, "/api/v1/appeals", {"notice": "999999", "reason": "r"}).status_code != 429
    response = post(client, "/api/v1/appeals", {"notice": "999999", "reason": "r"})
    assert response.status_code == 429 and response.json()["error"]["reason"] == "appeal_account"


def test_room_proposals_per_account_are_limited(make_user):
    set_rate("room_proposal_account", 1, 86400)
    client = signed_in(make_user())
    first = post(client, "/api/v1/rooms/proposals", {"name": "Jardinage", "description": "", "audience": "adults"})
    assert first.status_code == 201
    response = post(client, "/api/v1/rooms/proposals", {"name": "Cuisine", "description": "", "audience": "adults"})
    assert response.status_code == 429
    assert response.json()["error"]["reason"] == "room_proposal_account"
    assert response.json()["error"]["retry_after"] >= 1


@pytest.mark.parametrize("path, body, name", [
    ("/api/v1/appeals", {"notice": "999999", "reason": "r"}, "appeal_ip"),
    ("/api/v1/rooms/proposals", {"name": "", "description": "", "audience": "adults"}, "room_proposal_ip"),
])
def test_appeals_and_proposals_per_ip_are_limited(make_user, path, body, name):
    set_rate(name, 2, 86400)
    for _ in range(2):
        assert post(signed_in(make_user()), path, body).status_code != 429
    response = post(signed_in(make_user()), path, body)
    assert response.status_code == 429 and response.json()["error"]["reason"] == name
    assert post(signed_in(make_user()), path, body, ip="203.0.113.50").status_code != 429


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_reports_sent_over_the_socket_count_with_those_sent_to_the_api(make_user, adults_room, ws_client):
    from asgiref.sync import sync_to_async

    await sync_to_async(set_rate)("report_account", 2, 3600)
    reporter = await sync_to_async(make_user)()
    # One report through the API, one through the socket: the third, either way, is refused.
    response = await sync_to_async(post)(await sync_to_async(signed_in)(reporter), "/api/v1/reports",
                                         report_body("cafe"))
    assert response.status_code == 201
    ws = await ws_client(reporter)
    ack = await ws.request("report", target={"room": "cafe"}, category="spam", good_faith=True)
    assert ack["type"] == "ack"
    refused = await ws.request("report", target={"room": "cafe"}, category="hate", good_faith=True)
    assert refused["type"] == "error" and refused["error"]["code"] == "rate_limited"
    assert refused["error"]["reason"] == "report_account" and refused["error"]["retry_after"] >= 1
    response = await sync_to_async(post)(await sync_to_async(signed_in)(reporter), "/api/v1/reports",
                                         report_body("cafe"))
    assert response.status_code == 429
    await ws.close()
