"""The age-assurance endpoints: nonce, signed token, demo, and what is stored."""

import json

import pytest
from django.test import Client

from accounts.age_assurance.testing import make_issuer_keypair, sign_token, token_claims
from accounts.models import AgeBand, User

pytestmark = pytest.mark.django_db

ISSUER = "https://age.example"


@pytest.fixture
def issuer(settings):
    private, public = make_issuer_keypair("ES256", kid="k1")
    settings.PHARE_AGE_TOKEN_ISSUERS = {ISSUER: {"keys": [public], "name": "Example age check"}}
    settings.PHARE_SERVICE_ID = "phare-test"
    return private


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def nonce_for(client) -> str:
    response = post(client, "/api/v1/age-assurance/nonce")
    assert response.status_code == 200
    return response.json()["nonce"]


def test_nonce_needs_sign_in():
    assert post(Client(), "/api/v1/age-assurance/nonce").status_code == 401


def test_nonce_lists_the_providers_a_user_can_start(make_user, issuer, settings):
    settings.DEBUG = False
    body = post(signed_in(make_user(AgeBand.OLDER_TEEN)), "/api/v1/age-assurance/nonce").json()
    assert body["nonce"] and body["expires_at"].endswith("Z")
    assert "signed-token" in body["providers"]
    assert "declared" not in body["providers"] and "demo" not in body["providers"]


def test_a_valid_token_verifies_the_account_and_stores_only_the_result(make_user, issuer):
    user = make_user(AgeBand.ADULT)
    client = signed_in(user)
    token = sign_token(token_claims(iss=ISSUER, aud="phare-test", nonce=nonce_for(client), method="verification"), issuer)
    response = post(client, "/api/v1/age-assurance/signed-token", {"token": token})
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["assurance"] == "verified"
    user.refresh_from_db()
    assert (user.assurance_level, user.assurance_method, user.assurance_provider) == ("verified", "verification", "signed-token")
    stored = {f.name for f in User._meta.get_fields()}
    assert not {"token", "document", "birthdate"} & stored


def test_a_replayed_token_is_refused(make_user, issuer):
    client = signed_in(make_user(AgeBand.ADULT))
    token = sign_token(token_claims(iss=ISSUER, aud="phare-test", nonce=nonce_for(client)), issuer)
    assert post(client, "/api/v1/age-assurance/signed-token", {"token": token}).status_code == 200
    again = post(client, "/api/v1/age-assurance/signed-token", {"token": token})
    assert again.status_code in (400, 409)
    assert again.json()["error"]["code"] in ("token_nonce_replayed", "token_nonce_invalid")


def test_a_nonce_from_another_session_is_refused(make_user, issuer):
    user = make_user(AgeBand.ADULT)
    first, second = signed_in(user), signed_in(user)
    token = sign_token(token_claims(iss=ISSUER, aud="phare-test", nonce=nonce_for(first)), issuer)
    response = post(second, "/api/v1/age-assurance/signed-token", {"token": token})
    assert response.status_code == 400 and response.json()["error"]["code"] == "token_nonce_invalid"


def test_wrong_audience_is_refused_with_its_code(make_user, issuer):
    client = signed_in(make_user(AgeBand.ADULT))
    token = sign_token(token_claims(iss=ISSUER, aud="another-site", nonce=nonce_for(client)), issuer)
    response = post(client, "/api/v1/age-assurance/signed-token", {"token": token})
    assert response.json()["error"]["code"] == "token_wrong_audience"


def test_the_demo_estimator_exists_only_with_debug(make_user, settings):
    client = signed_in(make_user(AgeBand.ADULT))
    settings.DEBUG = False
    refused = post(client, "/api/v1/age-assurance/demo", {"age_band": "18+", "nonce": nonce_for(client)})
    assert refused.status_code == 404
    settings.DEBUG = True
    accepted = post(client, "/api/v1/age-assurance/demo", {"age_band": "18+", "nonce": nonce_for(client)})
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["user"]["assurance"] == "estimated"


def test_a_weaker_check_cannot_undo_a_stronger_one(make_user, issuer, settings):
    user = make_user(AgeBand.ADULT)
    client = signed_in(user)
    token = sign_token(token_claims(iss=ISSUER, aud="phare-test", nonce=nonce_for(client), method="verification"), issuer)
    post(client, "/api/v1/age-assurance/signed-token", {"token": token})
    settings.DEBUG = True
    response = post(client, "/api/v1/age-assurance/demo", {"age_band": "13-15", "nonce": nonce_for(client)})
    assert response.status_code == 409 and response.json()["error"]["code"] == "assurance_weaker"
    user.refresh_from_db()
    assert (user.age_band, user.assurance_level) == ("18+", "verified")


def test_declared_cannot_be_used_after_sign_up(make_user):
    client = signed_in(make_user(AgeBand.OLDER_TEEN))
    response = post(client, "/api/v1/age-assurance/declared", {"birthdate": "1990-01-01"})
    assert response.status_code in (403, 404)
