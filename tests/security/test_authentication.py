"""Log-in limits: the admin's login page is limited like the API's log-in, by one
function (accounts.throttling.limit_login); failures count per address *and* pseudonym, so a
stranger's wrong passwords never lock the owner out, while the stranger himself is stopped."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts import throttling
from accounts.models import AgeBand, RateLimitRule

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
STRANGER, OWNER_HOME = "203.0.113.66", "198.51.100.20"


def set_rate(name: str, limit: int, period: int) -> None:
    RateLimitRule.objects.update_or_create(name=name, defaults={"limit": limit, "period_seconds": period})
    throttling.bump_policy_version()


def api_login(pseudonym: str, password: str, ip: str):
    return Client().post("/api/v1/accounts/login", json.dumps({"pseudonym": pseudonym, "password": password}),
                         content_type="application/json", REMOTE_ADDR=ip)


def admin_login(pseudonym: str, password: str, ip: str):
    return Client().post("/admin/login/", {"username": pseudonym, "password": password, "next": "/admin/"},
                         REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def operator(make_user):
    user = make_user(AgeBand.ADULT, "opal_op")
    user.is_operator = user.is_staff = True
    user.save(update_fields=["is_operator", "is_staff"])
    return user


def test_admin_login_is_refused_with_429_after_the_same_failures_as_the_api(operator):
    # The defaults: ten failures per pseudonym from one address (60 guesses in 15 seconds
    # used to pass; they now stop at ten).
    for _ in range(10):
        response = admin_login("opal_op", "guess", STRANGER)
        assert response.status_code == 200 and b"errornote" in response.content
    refused = admin_login("opal_op", PASSWORD, STRANGER)  # not even the right password is tried
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    page = refused.content.decode()
    assert 'id="login-form"' in page and "Too many log-in attempts" in page
    assert "_auth_user_id" not in refused.wsgi_request.session


def test_admin_and_api_failures_are_counted_together(operator):
    set_rate("login_account", 3, 900)
    assert api_login("opal_op", "guess", STRANGER).status_code == 401
    assert admin_login("opal_op", "guess", STRANGER).status_code == 200
    assert api_login("opal_op", "guess", STRANGER).status_code == 401
    assert admin_login("opal_op", PASSWORD, STRANGER).status_code == 429
    response = api_login("opal_op", PASSWORD, STRANGER)
    assert response.status_code == 429 and response.json()["error"]["reason"] == "login_account"


def test_admin_login_per_address_limit(operator):
    set_rate("login_ip", 3, 600)
    for name in ("someone_a", "someone_b", "someone_c"):
        admin_login(name, "guess", STRANGER)
    refused = admin_login("opal_op", PASSWORD, STRANGER)
    assert refused.status_code == 429
    # Another address is not concerned.
    assert admin_login("opal_op", PASSWORD, OWNER_HOME).status_code == 302


def test_admin_login_still_signs_operators_in(operator):
    response = admin_login("opal_op", PASSWORD, OWNER_HOME)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_strangers_failures_do_not_lock_the_owner_out(make_user, operator):
    make_user(AgeBand.ADULT, "owner_ad")
    # Thirty wrong passwords from one stranger's address (they used to lock the owner out).
    for _ in range(30):
        assert api_login("owner_ad", "guess", STRANGER).status_code in {401, 429}
        assert admin_login("opal_op", "guess", STRANGER).status_code in {200, 429}
    assert api_login("owner_ad", PASSWORD, OWNER_HOME).status_code == 200
    assert admin_login("opal_op", PASSWORD, OWNER_HOME).status_code == 302


def test_the_stranger_himself_is_limited(make_user):
    make_user(AgeBand.ADULT, "owner_ad")
    set_rate("login_ip", 13, 600)
    answers = [api_login("owner_ad", "guess", STRANGER) for _ in range(12)]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert answers[10].status_code == 429 and answers[10].json()["error"]["reason"] == "login_account"
    # Look-alike spellings of the pseudonym are the same account, and count together.
    look_alike = api_login("owner_\u0430d", PASSWORD, STRANGER)
    assert look_alike.status_code == 429
    # From the same address, guessing other accounts runs into the per-address limit.
    refused = api_login("someone_else", "guess", STRANGER)
    assert refused.status_code == 429 and refused.json()["error"]["reason"] == "login_ip"


def test_an_ipv6_stranger_cannot_escape_by_changing_address_within_his_64(make_user):
    make_user(AgeBand.ADULT, "owner_ad")
    set_rate("login_account", 2, 900)
    assert api_login("owner_ad", "guess", "2001:db8:1:2::1").status_code == 401
    assert api_login("owner_ad", "guess", "2001:db8:1:2::2").status_code == 401
    assert api_login("owner_ad", PASSWORD, "2001:db8:1:2::3").status_code == 429
    assert api_login("owner_ad", PASSWORD, "2001:db8:1:3::1").status_code == 200


def test_a_malformed_client_address_is_never_a_server_error(operator):
    assert api_login("opal_op", "guess", "not-an-ip").status_code == 401
    assert admin_login("opal_op", "guess", "not-an-ip").status_code == 200
    assert admin_login("opal_op", PASSWORD, "not-an-ip").status_code == 302
