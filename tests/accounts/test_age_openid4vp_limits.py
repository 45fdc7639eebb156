"""The wallet endpoints of openid4vp under the table's limits (`age_wallet_ip`,
`age_wallet_account`: docs/rate-limits.md), and their answers to bodies Django itself cannot
read: always a code, never an HTML page or a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.age_assurance.base import AgeBand
from tests.accounts.test_age_openid4vp import (  # noqa: F401 (fixtures)
    holder_key,
    issuer_key,
    post,
    signed_in,
    start,
    trust_list_file,
    wallet_presentation,
)
from tests.accounts.test_throttling import set_rate

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/age-assurance/openid4vp/requests"
RESPONSE = "/api/v1/age-assurance/openid4vp/response"


def ask(client: Client, ip: str = "198.51.100.40"):
    return client.post(REQUESTS, data="{}", content_type="application/json", REMOTE_ADDR=ip)


def assert_rate_limited(response, reason: str) -> None:
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and error["reason"] == reason
    assert error["retry_after"] >= 1 and int(response["Retry-After"]) == error["retry_after"]


def test_presentation_requests_are_limited_per_account(make_user, trust_list_file):
    set_rate("age_wallet_account", 2, 3600)
    client = signed_in(make_user(AgeBand.ADULT))
    assert ask(client).status_code == 201
    assert ask(client, ip="198.51.100.41").status_code == 201
    # Another address does not reset an account's count.
    assert_rate_limited(ask(client, ip="203.0.113.50"), "age_wallet_account")
    # Someone else, from the same address, still may.
    assert ask(signed_in(make_user(AgeBand.ADULT))).status_code == 201


def test_presentation_requests_are_limited_per_address(make_user, trust_list_file):
    set_rate("age_wallet_ip", 2, 3600)
    assert ask(signed_in(make_user(AgeBand.ADULT))).status_code == 201
    assert ask(signed_in(make_user(AgeBand.ADULT))).status_code == 201
    assert_rate_limited(ask(signed_in(make_user(AgeBand.ADULT))), "age_wallet_ip")
    assert ask(signed_in(make_user(AgeBand.ADULT)), ip="203.0.113.51").status_code == 201


def test_wallet_answers_are_limited_per_address_before_anything_is_verified(
    make_user, trust_list_file, issuer_key, holder_key
):
    set_rate("age_wallet_ip", 3, 3600)
    client = signed_in(make_user(AgeBand.ADULT))
    request = start(client)["request"]  # from 127.0.0.1, exempt like the suite's servers
    for _ in range(3):
        junk = Client().post(RESPONSE, data={"state": "A" * 43, "vp_token": "{}"}, REMOTE_ADDR="198.51.100.60")
        assert junk.json()["error"]["code"] == "vp_request_unknown"
    form = {"vp_token": json.dumps({"age_attestation": [wallet_presentation(issuer_key, holder_key, request)]}),
            "state": request["state"]}
    assert_rate_limited(Client().post(RESPONSE, data=form, REMOTE_ADDR="198.51.100.60"), "age_wallet_ip")
    # Refused before it was read: the transaction still waits for its one answer.
    status = client.get(f"{REQUESTS}/{request['state']}").json()
    assert status["status"] == "pending"
    assert Client().post(RESPONSE, data=form, REMOTE_ADDR="203.0.113.61").status_code == 200
    assert client.get(f"{REQUESTS}/{request['state']}").json()["status"] == "verified"


def test_a_refused_request_names_the_limit_in_the_users_language(make_user, trust_list_file):
    set_rate("age_wallet_account", 1, 3600)
    client = signed_in(make_user(AgeBand.ADULT))
    assert ask(client).status_code == 201
    refused = client.post(REQUESTS, data="{}", content_type="application/json", REMOTE_ADDR="198.51.100.40",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert_rate_limited(refused, "age_wallet_account")
    assert refused.json()["error"]["message"]


def test_without_redis_wallet_checks_are_refused_with_unavailable(make_user, trust_list_file, cache_down):
    client = signed_in(make_user(AgeBand.ADULT))
    for response in (ask(client),
                     Client().post(RESPONSE, data={"state": "A" * 43}, REMOTE_ADDR="198.51.100.70")):
        assert response.status_code == 503, response.content
        error = response.json()["error"]
        assert error["code"] == "unavailable" and error["reason"] == "rate_limiter_unavailable"
        assert "Retry-After" in response


# --- bodies Django cannot read: a code, not Django's HTML 400 page ---------------------------

@pytest.mark.parametrize("body, content_type, status, code, reason", [
    (b"--x\r\n", "multipart/form-data", 400, "bad_request", "invalid_form"),  # no boundary
    ("&".join(f"f{i}=1" for i in range(1200)).encode(), "application/x-www-form-urlencoded",
     400, "bad_request", "invalid_form"),  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    (b"state=" + b"x" * 3_000_000, "application/x-www-form-urlencoded", 413, "too_large", None),
    (b"state=" + b"x" * 100_000, "application/x-www-form-urlencoded", 413, "too_large", None),
    (b"[1]", "application/json", 400, "bad_request", "expected_object"),
    (b"\xff\xfe", "application/json", 400, "bad_request", "invalid_json"),
    (json.dumps({"state": ["A" * 43]}).encode(), "application/json", 404, "vp_request_unknown", None),
])
def test_the_wallet_endpoint_answers_unreadable_bodies_with_a_code(trust_list_file, body, content_type,
                                                                    status, code, reason):
    response = Client().post(RESPONSE, data=body, content_type=content_type)
    assert response.status_code == status and response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error.get("reason") == reason


@pytest.mark.parametrize("body, status, code", [
    (b"x" * 3_000_000, 413, "too_large"),
    (b"[]", 400, "bad_request"),
    (json.dumps({"age_band": 18}).encode(), 400, "bad_request"),
    (json.dumps({"age_band": "12-"}).encode(), 400, "payload_invalid"),
])
def test_the_request_endpoint_answers_bad_bodies_with_a_code(make_user, trust_list_file, body, status, code):
    client = signed_in(make_user(AgeBand.ADULT))
    response = client.post(REQUESTS, data=body, content_type="application/json")
    assert response.status_code == status and response.json()["error"]["code"] == code
