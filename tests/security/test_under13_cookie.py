"""An under-13 refusal is remembered on that browser for a day: a signed cookie,
and any sign-up from the browser within the day gets the same refusal, whatever birthdate
it gives now."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from accounts.models import User
from accounts.views import AGE_REFUSAL_COOKIE
from tests.conftest import birthdate_for_age

pytestmark = pytest.mark.django_db


def signup(client: Client, pseudonym: str, age: int):
    body = {"pseudonym": pseudonym, "password": "correct horse battery",
            "birthdate": birthdate_for_age(age).isoformat()}
    return client.post("/api/v1/accounts/signup", json.dumps(body), content_type="application/json")


def test_a_retry_with_another_year_gets_the_same_refusal():
    browser = Client()
    first = signup(browser, "petit_lou", 11)
    assert first.status_code == 400 and first.json()["error"]["code"] == "age_below_minimum"
    retry = signup(browser, "grand_lou", 30)
    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert not User.objects.exists()


def test_the_cookie_is_signed_http_only_lax_and_lasts_a_day():
    response = signup(Client(), "petit_lou", 12)
    cookie = response.cookies[AGE_REFUSAL_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 24 * 3600
    assert cookie.value != "1" and ":" in cookie.value  # signed and timestamped


def test_the_cookie_is_secure_in_production(settings):
    settings.SESSION_COOKIE_SECURE = True
    assert signup(Client(), "petit_lou", 12).cookies[AGE_REFUSAL_COOKIE]["secure"]


def test_another_browser_is_not_concerned():
    signup(Client(), "petit_lou", 11)
    assert signup(Client(), "grand_lou", 30).status_code == 201


def test_a_forged_cookie_is_ignored():
    browser = Client()
    browser.cookies[AGE_REFUSAL_COOKIE] = "1"
    assert signup(browser, "grand_lou", 30).status_code == 201


def test_the_refusal_is_forgotten_after_a_day(monkeypatch):
    browser = Client()
    signup(browser, "petit_lou", 11)
    later = time.time() + 24 * 3600 + 5
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert signup(browser, "grand_lou", 30).status_code == 201


def test_an_adult_refused_for_another_reason_is_not_remembered():
    browser = Client()
    refused = signup(browser, "admin", 30)
    assert refused.json()["error"]["code"] == "pseudonym_not_allowed"
    assert AGE_REFUSAL_COOKIE not in refused.cookies
    assert signup(browser, "grand_lou", 30).status_code == 201
