"""The account remembers its language (sign-up, log-in, the language switch), for live pushes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts import services
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_signup_remembers_the_request_language():
    response = Client().post("/api/v1/accounts/signup", data=json.dumps({
        "pseudonym": "nouvelle_en", "password": "correct horse battery", "birthdate": "1990-01-01"}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.8")
    assert response.status_code == 201
    assert User.objects.get(pseudonym_key="nouvelle_en").language == "en"


def test_the_language_cookie_wins_over_accept_language_at_login(make_user, settings):
    user = make_user(pseudonym="cookie_fr")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post("/api/v1/accounts/login", data=json.dumps({
        "pseudonym": "cookie_fr", "password": "correct horse battery"}), content_type="application/json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.language == "fr"


def test_the_switch_remembers_the_choice_for_a_signed_in_account(make_user):
    user = make_user(pseudonym="switcher")
    client = Client()
    client.force_login(user)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})  # unsupported: nothing changes
    user.refresh_from_db()
    assert user.language == "en"


def test_the_switch_still_works_for_visitors(settings):
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_language_of_falls_back_to_the_default(make_user, settings):
    user = make_user(pseudonym="no_lang")
    assert services.language_of(user_id=user.pk) == settings.LANGUAGE_CODE
    services.remember_language(user=user, language="en-gb")
    assert services.language_of(user_id=user.pk) == "en"
