"""The openid4vp provider: SD-JWT VC age attestations presented by a wallet (OpenID4VP).

Keys are made here: an attestation issuer, a wallet (holder) key, and strangers' keys. The
wallet is accounts.age_assurance.sd_jwt_testing, which builds real SD-JWT VCs and KB-JWTs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

import cbor2
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from accounts.age_assurance.base import AgeBand, AssuranceError
from accounts.age_assurance.mdoc import verify_device_response
from accounts.age_assurance.mdoc_testing import AV_DOCTYPE, IssuedMdoc, issue_mdoc, present_mdoc
from accounts.age_assurance.openid4vp import age_thresholds_for, band_from_claims
from accounts.age_assurance.sd_jwt_testing import (
    Credential,
    disclosure_for,
    issue_attestation,
    make_certificate_chain,
    present,
)
from accounts.age_assurance.sd_jwt_vc import sd_hash, verify_presentation
from accounts.age_assurance.testing import make_issuer_keypair, sign_token
from accounts.age_assurance.trust_list import load_trust_list, parse_trust_list
from accounts.models import User
from moderation.models import AuditEntry

ISS = "https://av-issuer.example"
VCT = "urn:example:age-attestation:1"
AUD = "redirect_uri:https://phare.test/api/v1/age-assurance/openid4vp/response"
NONCE = "n" * 43


@pytest.fixture(scope="module")
def issuer_key() -> tuple[Any, dict[str, Any]]:
    return make_issuer_keypair("ES256", kid="av-1")


@pytest.fixture(scope="module")
def holder_key() -> tuple[Any, dict[str, Any]]:
    return make_issuer_keypair("ES256")


def trust_list_data(issuer_jwk: dict[str, Any], **entry: Any) -> dict[str, Any]:
    return {"issuers": [{"issuer": ISS, "name": "Test AV", "vcts": [VCT], "keys": [issuer_jwk], **entry}]}


@pytest.fixture
def issuers(issuer_key: Any) -> dict[str, Any]:
    return parse_trust_list(trust_list_data(issuer_key[1]))


def credential(issuer_key: Any, holder_key: Any, **overrides: Any) -> Credential:
    fields: dict[str, Any] = {
        "issuer_key": issuer_key[0], "iss": ISS, "vct": VCT, "holder_jwk": holder_key[1],
        "age_claims": {"age_over_16": True, "age_over_18": True},
    }
    fields.update(overrides)
    return issue_attestation(**fields)


def verify(presentation: str, issuers: dict[str, Any], **overrides: Any) -> Any:
    checks: dict[str, Any] = {
        "issuers": issuers, "audience": AUD, "nonce": NONCE, "now": time.time(),
        "leeway": 30, "max_binding_age": 300,
    }
    checks.update(overrides)
    return verify_presentation(presentation, **checks)


def refused(presentation: str, issuers: dict[str, Any], **overrides: Any) -> str:
    with pytest.raises(AssuranceError) as error:
        verify(presentation, issuers, **overrides)
    return error.value.code


# --- the presentation -------------------------------------------------------------------


def test_a_valid_presentation_reveals_only_what_was_disclosed(issuer_key, holder_key, issuers):
    shown = present(credential(issuer_key, holder_key), holder_key=holder_key[0], nonce=NONCE, aud=AUD,
                    disclose=["age_over_18"])
    verified = verify(shown, issuers)
    assert verified.issuer.issuer == ISS
    assert verified.claims["age_over_18"] is True
    assert "age_over_16" not in verified.claims  # kept back by the wallet: still a digest only
    assert "_sd" not in verified.claims and "_sd_alg" not in verified.claims


def test_a_tampered_issuer_signature_is_refused(issuer_key, holder_key, issuers):
    cred = credential(issuer_key, holder_key)
    head, payload, signature = cred.issuer_jwt.split(".")
    middle = len(signature) // 2
    swapped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]
    forged = Credential(issuer_jwt=f"{head}.{payload}.{swapped}", disclosures=cred.disclosures)
    shown = present(forged, holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_invalid_signature"


def test_a_changed_signed_payload_is_refused(issuer_key, holder_key, issuers):
    genuine = credential(issuer_key, holder_key)
    other = credential(issuer_key, holder_key, vct="urn:other")
    head, _payload, signature = genuine.issuer_jwt.split(".")
    swapped = f"{head}.{other.issuer_jwt.split('.')[1]}.{signature}"
    shown = present(Credential(swapped, other.disclosures), holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_invalid_signature"


def test_an_attestation_signed_by_an_untrusted_key_is_refused(holder_key, issuers):
    stranger = make_issuer_keypair("ES256", kid="av-1")  # same kid, another key
    shown = present(credential(stranger, holder_key), holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_invalid_signature"


def test_an_issuer_not_on_the_trust_list_is_refused(issuer_key, holder_key, issuers):
    shown = present(credential(issuer_key, holder_key, iss="https://elsewhere.example"),
                    holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_wrong_issuer"


def test_a_credential_type_the_issuer_is_not_trusted_for_is_refused(issuer_key, holder_key, issuers):
    shown = present(credential(issuer_key, holder_key, vct="urn:example:pid:1"),
                    holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "vp_credential_type_not_accepted"


def test_a_presentation_for_another_nonce_is_refused(issuer_key, holder_key, issuers):
    shown = present(credential(issuer_key, holder_key), holder_key=holder_key[0], nonce="m" * 43, aud=AUD)
    assert refused(shown, issuers) == "token_nonce_invalid"


def test_a_presentation_for_another_verifier_is_refused(issuer_key, holder_key, issuers):
    shown = present(credential(issuer_key, holder_key), holder_key=holder_key[0], nonce=NONCE,
                    aud="redirect_uri:https://other.example/response")
    assert refused(shown, issuers) == "token_wrong_audience"


def test_an_expired_attestation_is_refused(issuer_key, holder_key, issuers):
    old = time.time() - 10 * 24 * 3600
    shown = present(credential(issuer_key, holder_key, now=old, lifetime_seconds=24 * 3600),
                    holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_expired"


def test_an_attestation_not_yet_valid_is_refused(issuer_key, holder_key, issuers):
    shown = present(credential(issuer_key, holder_key, extra_claims={"nbf": int(time.time()) + 3600}),
                    holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_not_yet_valid"


def test_an_attestation_without_expiry_is_refused(issuer_key, holder_key, issuers):
    cred = credential(issuer_key, holder_key, extra_claims={"exp": None})
    shown = present(cred, holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_claims_invalid"


def test_a_changed_disclosure_is_refused(issuer_key, holder_key, issuers):
    minor = credential(issuer_key, holder_key, age_claims={"age_over_16": True, "age_over_18": False})
    # The wallet swaps in a disclosure it made itself, saying what the issuer did not.
    lie = Credential(minor.issuer_jwt, {**minor.disclosures, "age_over_18": disclosure_for("age_over_18", True)})
    shown = present(lie, holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "vp_disclosure_invalid"


def test_a_repeated_disclosure_is_refused(issuer_key, holder_key, issuers):
    cred = credential(issuer_key, holder_key)
    shown = present(cred, holder_key=holder_key[0], nonce=NONCE, aud=AUD, disclose=["age_over_18", "age_over_18"])
    assert refused(shown, issuers) == "vp_disclosure_invalid"


def test_a_presentation_without_key_binding_is_refused(issuer_key, holder_key, issuers):
    cred = credential(issuer_key, holder_key)
    shown = cred.issuer_jwt + "~" + cred.disclosures["age_over_18"] + "~"
    assert refused(shown, issuers) == "vp_holder_binding_missing"


def test_a_key_binding_signed_by_another_key_is_refused(issuer_key, holder_key, issuers):
    thief = make_issuer_keypair("ES256")
    shown = present(credential(issuer_key, holder_key), holder_key=thief[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "vp_holder_binding_invalid"


def test_a_key_binding_over_other_disclosures_is_refused(issuer_key, holder_key, issuers):
    cred = credential(issuer_key, holder_key)
    bound = present(cred, holder_key=holder_key[0], nonce=NONCE, aud=AUD, disclose=["age_over_18"])
    kb_jwt = bound.rsplit("~", 1)[1]
    # Same KB-JWT, one more disclosure slipped in front of it: sd_hash no longer matches.
    extended = cred.issuer_jwt + "~" + cred.disclosures["age_over_18"] + "~" + cred.disclosures["age_over_16"] + "~" + kb_jwt
    assert refused(extended, issuers) == "vp_holder_binding_invalid"


def test_an_old_key_binding_is_refused(issuer_key, holder_key, issuers):
    shown = present(credential(issuer_key, holder_key), holder_key=holder_key[0], nonce=NONCE, aud=AUD,
                    iat=time.time() - 3600)
    assert refused(shown, issuers) == "vp_holder_binding_invalid"


def test_a_key_binding_with_the_wrong_type_is_refused(issuer_key, holder_key, issuers):
    cred = credential(issuer_key, holder_key)
    shown = cred.issuer_jwt + "~" + cred.disclosures["age_over_18"] + "~"
    kb = sign_token({"iat": int(time.time()), "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(shown)}, holder_key[0])
    assert refused(shown + kb, issuers) == "vp_holder_binding_invalid"  # typ JWT, not kb+jwt


@pytest.mark.parametrize("alg_header", [{"alg": "none"}, {"alg": "HS256"}])
def test_unsafe_algorithms_are_refused(issuer_key, holder_key, issuers, alg_header):
    cred = credential(issuer_key, holder_key)
    _head, payload, signature = cred.issuer_jwt.split(".")
    forged_head = base64.urlsafe_b64encode(json.dumps({**alg_header, "typ": "dc+sd-jwt"}).encode()).rstrip(b"=").decode()
    forged = Credential(f"{forged_head}.{payload}.{signature}", cred.disclosures)
    shown = present(forged, holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_alg_not_allowed"


@pytest.mark.parametrize("garbage", ["", "~", "a.b.c", "not-a-jwt~x~y", "x" * 20000, 42, None])
def test_garbage_is_refused_with_a_code(issuers, garbage):
    assert refused(garbage, issuers) in {
        "payload_invalid", "token_malformed", "vp_format_not_supported",
    }


def test_an_x5c_chain_to_a_listed_certificate_is_trusted(holder_key):
    ca_pem, signer_der, signer_key = make_certificate_chain()
    issuers = parse_trust_list({"issuers": [{"issuer": ISS, "vcts": [VCT], "certificates": [ca_pem]}]})
    cred = credential((signer_key, None), holder_key, headers={"x5c": [signer_der]})
    shown = present(cred, holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert verify(shown, issuers).claims["age_over_18"] is True


def test_an_x5c_chain_to_another_ca_is_refused(holder_key):
    listed_ca, _signer_der, _key = make_certificate_chain()
    _other_ca, stranger_der, stranger_key = make_certificate_chain()
    issuers = parse_trust_list({"issuers": [{"issuer": ISS, "vcts": [VCT], "certificates": [listed_ca]}]})
    cred = credential((stranger_key, None), holder_key, headers={"x5c": [stranger_der]})
    shown = present(cred, holder_key=holder_key[0], nonce=NONCE, aud=AUD)
    assert refused(shown, issuers) == "token_wrong_issuer"


# --- from claims to a band ----------------------------------------------------------------


@pytest.mark.parametrize(("band", "min_age", "asked"), [
    (AgeBand.ADULT, 13, (18,)),
    (AgeBand.OLDER_TEEN, 13, (16, 18)),
    (AgeBand.YOUNG_TEEN, 13, (13, 16)),
    (AgeBand.YOUNG_TEEN, 15, (15, 16)),
])
def test_a_request_asks_only_the_thresholds_that_place_the_band(band, min_age, asked):
    assert age_thresholds_for(band, min_age=min_age) == asked


@pytest.mark.parametrize(("claims", "asked", "outcome"), [
    ({"age_over_18": True}, (18,), AgeBand.ADULT),
    ({"age_over_16": True, "age_over_18": False}, (16, 18), AgeBand.OLDER_TEEN),
    ({"age_over_16": True, "age_over_18": True}, (16, 18), AgeBand.ADULT),
    ({"age_over_13": True, "age_over_16": False}, (13, 16), AgeBand.YOUNG_TEEN),
    ({"age_over_18": False}, (18,), "vp_age_not_proven"),
    ({"age_over_13": True, "age_over_16": True}, (13, 16), "vp_age_not_proven"),
    ({"age_over_16": True}, (16, 18), "vp_age_claim_missing"),
    ({}, (18,), "vp_age_claim_missing"),
    ({"age_over_18": "yes"}, (18,), "token_claims_invalid"),
    ({"age_over_16": False, "age_over_18": True}, (16, 18), "token_claims_invalid"),
])
def test_the_band_comes_only_from_the_claims_asked(claims, asked, outcome):
    if isinstance(outcome, AgeBand):
        assert band_from_claims(claims, asked) is outcome
    else:
        with pytest.raises(AssuranceError) as error:
            band_from_claims(claims, asked)
        assert error.value.code == outcome


# --- over HTTP: request, wallet, status, completion ----------------------------------------


@pytest.fixture
def trust_list_file(tmp_path, settings, issuer_key):
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(trust_list_data(issuer_key[1], level="verified")))
    settings.PHARE_OPENID4VP_TRUST_LIST = str(path)
    return path


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, path: str, body: dict[str, Any] | None = None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def start(client: Client, **body: Any) -> dict[str, Any]:
    response = post(client, "/api/v1/age-assurance/openid4vp/requests", body)
    assert response.status_code == 201, response.json()
    return response.json()


def wallet_answers(request: dict[str, Any], presentation: str, **form: str):
    """The wallet's direct_post: form-encoded, no cookies."""
    body = {"vp_token": json.dumps({"age_attestation": [presentation]}), "state": request["state"], **form}
    return Client().post(request["response_uri"], data=body)


def wallet_presentation(issuer_key, holder_key, request, *, age_claims=None) -> str:
    claims = age_claims or {"age_over_16": True, "age_over_18": True}
    cred = credential(issuer_key, holder_key, age_claims=claims)
    asked = [c["path"][0] for c in request["dcql_query"]["credentials"][0]["claims"]]
    return present(cred, holder_key=holder_key[0], nonce=request["nonce"], aud=request["client_id"],
                   disclose=[name for name in asked if name in cred.disclosures])


@pytest.mark.django_db
def test_an_adult_proves_their_age_with_a_wallet(make_user, trust_list_file, issuer_key, holder_key):
    user = make_user(AgeBand.ADULT)
    client = signed_in(user)
    started = start(client)
    request = started["request"]
    assert request["response_mode"] == "direct_post" and request["response_type"] == "vp_token"
    assert request["client_id"] == "redirect_uri:" + request["response_uri"]
    query = request["dcql_query"]["credentials"][0]
    assert query["format"] == "dc+sd-jwt" and query["meta"]["vct_values"] == [VCT]
    assert query["claims"] == [{"path": ["age_over_18"]}]  # nothing more than the band needs
    assert started["wallet_url"].startswith("openid4vp://?")

    status_path = f"/api/v1/age-assurance/openid4vp/requests/{started['transaction']}"
    assert client.get(status_path).json()["status"] == "pending"
    early = post(client, "/api/v1/age-assurance/openid4vp", {"transaction": started["transaction"]})
    assert early.status_code == 409 and early.json()["error"]["code"] == "vp_response_pending"

    answered = wallet_answers(request, wallet_presentation(issuer_key, holder_key, request))
    assert answered.status_code == 200, answered.json()
    assert client.get(status_path).json()["status"] == "verified"

    done = post(client, "/api/v1/age-assurance/openid4vp", {"transaction": started["transaction"]})
    assert done.status_code == 200, done.json()
    assert done.json()["user"]["assurance"] == "verified"
    user.refresh_from_db()
    assert (user.age_band, user.assurance_level, user.assurance_method, user.assurance_provider) == (
        "18+", "verified", "verification", "openid4vp")
    entry = AuditEntry.objects.filter(action="age_assurance_passed").latest("pk")
    assert entry.data["issuer"] == ISS and entry.data["provider"] == "openid4vp"
    assert not any("~" in str(value) for value in entry.data.values())  # no presentation kept

    again = post(client, "/api/v1/age-assurance/openid4vp", {"transaction": started["transaction"]})
    assert again.status_code in (404, 409)


@pytest.mark.django_db
def test_a_minor_is_asked_both_edges_of_their_band(make_user, trust_list_file, settings, issuer_key, holder_key, tmp_path):
    trust_list_file.write_text(json.dumps(trust_list_data(issuer_key[1])))  # default level
    user = make_user(AgeBand.OLDER_TEEN)
    client = signed_in(user)
    request = start(client)["request"]
    asked = [c["path"] for c in request["dcql_query"]["credentials"][0]["claims"]]
    assert asked == [["age_over_16"], ["age_over_18"]]
    presentation = wallet_presentation(issuer_key, holder_key, request,
                                       age_claims={"age_over_16": True, "age_over_18": False})
    assert wallet_answers(request, presentation).status_code == 200
    done = post(client, "/api/v1/age-assurance/openid4vp", {"transaction": request["state"]})
    assert done.status_code == 200, done.json()
    user.refresh_from_db()
    # The level above a declaration unless the operator trusts the issuer for more.
    assert (user.age_band, user.assurance_level) == ("16-17", "estimated")


@pytest.mark.django_db
def test_an_adult_account_whose_wallet_says_under_18_is_not_assured(make_user, trust_list_file, issuer_key, holder_key):
    user = make_user(AgeBand.ADULT)
    client = signed_in(user)
    request = start(client)["request"]
    presentation = wallet_presentation(issuer_key, holder_key, request,
                                       age_claims={"age_over_16": True, "age_over_18": False})
    answered = wallet_answers(request, presentation)
    assert answered.status_code == 400 and answered.json()["error"]["code"] == "vp_age_not_proven"
    status = client.get(f"/api/v1/age-assurance/openid4vp/requests/{request['state']}").json()
    assert status["status"] == "refused" and status["error"]["code"] == "vp_age_not_proven"
    done = post(client, "/api/v1/age-assurance/openid4vp", {"transaction": request["state"]})
    assert done.status_code == 400 and done.json()["error"]["code"] == "vp_age_not_proven"
    user.refresh_from_db()
    assert user.assurance_level == "declared"


@pytest.mark.django_db
def test_a_wallet_that_leaves_out_the_age_claim_is_refused(make_user, trust_list_file, issuer_key, holder_key):
    client = signed_in(make_user(AgeBand.ADULT))
    request = start(client)["request"]
    cred = credential(issuer_key, holder_key)
    presentation = present(cred, holder_key=holder_key[0], nonce=request["nonce"], aud=request["client_id"],
                           disclose=["age_over_16"])
    answered = wallet_answers(request, presentation)
    assert answered.status_code == 400 and answered.json()["error"]["code"] == "vp_age_claim_missing"


@pytest.mark.django_db
def test_a_replayed_answer_is_refused(make_user, trust_list_file, issuer_key, holder_key):
    client = signed_in(make_user(AgeBand.ADULT))
    request = start(client)["request"]
    presentation = wallet_presentation(issuer_key, holder_key, request)
    assert wallet_answers(request, presentation).status_code == 200
    replayed = wallet_answers(request, presentation)
    assert replayed.status_code == 409 and replayed.json()["error"]["code"] == "token_nonce_replayed"
    # Nor can it answer a fresh request: that one has another nonce.
    fresh = start(client)["request"]
    elsewhere = Client().post(fresh["response_uri"], data={
        "vp_token": json.dumps({"age_attestation": [presentation]}), "state": fresh["state"]})
    assert elsewhere.status_code == 400 and elsewhere.json()["error"]["code"] == "token_nonce_invalid"


@pytest.mark.django_db
def test_only_the_session_that_asked_can_collect(make_user, trust_list_file, issuer_key, holder_key):
    user = make_user(AgeBand.ADULT)
    mine, other = signed_in(user), signed_in(make_user(AgeBand.ADULT))
    request = start(mine)["request"]
    assert wallet_answers(request, wallet_presentation(issuer_key, holder_key, request)).status_code == 200
    peek = other.get(f"/api/v1/age-assurance/openid4vp/requests/{request['state']}")
    assert peek.status_code == 404 and peek.json()["error"]["code"] == "vp_request_unknown"
    stolen = post(other, "/api/v1/age-assurance/openid4vp", {"transaction": request["state"]})
    assert stolen.status_code == 400 and stolen.json()["error"]["code"] == "token_nonce_invalid"
    assert post(mine, "/api/v1/age-assurance/openid4vp", {"transaction": request["state"]}).status_code == 200


@pytest.mark.django_db
def test_a_wallet_that_declines_is_told_apart(make_user, trust_list_file):
    client = signed_in(make_user(AgeBand.ADULT))
    request = start(client)["request"]
    declined = Client().post(request["response_uri"], data={"error": "access_denied", "state": request["state"]})
    assert declined.status_code == 400 and declined.json()["error"]["code"] == "vp_wallet_declined"


@pytest.mark.django_db
@pytest.mark.parametrize("form", [
    {},
    {"state": "nope", "vp_token": "{}"},
    {"state": "A" * 43, "vp_token": "{}"},
])
def test_the_wallet_endpoint_answers_bad_input_with_a_code(trust_list_file, form):
    response = Client().post("/api/v1/age-assurance/openid4vp/response", data=form)
    assert response.status_code == 404 and response.json()["error"]["code"] == "vp_request_unknown"


@pytest.mark.django_db
@pytest.mark.parametrize("vp_token", ["not json", "[]", '{"other": ["x"]}', '{"age_attestation": []}',
                                      '{"age_attestation": [42]}', '{"age_attestation": ["a~b"]}',
                                      '{"age_attestation": ["omQ..mdoc-like"]}'])
def test_a_malformed_vp_token_is_refused_with_a_code(make_user, trust_list_file, vp_token):
    client = signed_in(make_user(AgeBand.ADULT))
    request = start(client)["request"]
    response = Client().post(request["response_uri"], data={"vp_token": vp_token, "state": request["state"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"payload_invalid", "token_malformed", "vp_format_not_supported"}


@pytest.mark.django_db
def test_the_provider_is_off_without_a_trust_list(make_user, settings):
    settings.PHARE_OPENID4VP_TRUST_LIST = ""
    client = signed_in(make_user(AgeBand.ADULT))
    response = post(client, "/api/v1/age-assurance/openid4vp/requests")
    assert response.status_code == 404 and response.json()["error"]["code"] == "provider_unavailable"
    providers = post(client, "/api/v1/age-assurance/nonce").json()["providers"]
    assert "openid4vp" not in providers


@pytest.mark.django_db
def test_a_request_for_an_unknown_band_is_refused(make_user, trust_list_file):
    client = signed_in(make_user(AgeBand.ADULT))
    response = post(client, "/api/v1/age-assurance/openid4vp/requests", {"age_band": "12-"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "payload_invalid"


# --- mdoc (ISO/IEC 18013-5): the EU age-verification app's format -------------------------

RESPONSE_URI = "https://phare.test/api/v1/age-assurance/openid4vp/response"


@pytest.fixture(scope="module")
def mdoc_ca() -> tuple[str, str, Any]:
    return make_certificate_chain()


@pytest.fixture
def mdoc_issuers(mdoc_ca) -> dict[str, Any]:
    return parse_trust_list({"issuers": [{"issuer": "av-ca", "doctypes": [AV_DOCTYPE], "certificates": [mdoc_ca[0]]}]})


def mdoc_for(mdoc_ca, holder_key, **overrides: Any) -> IssuedMdoc:
    fields: dict[str, Any] = {"signer_key": mdoc_ca[2], "signer_der": mdoc_ca[1], "holder_key": holder_key[0],
                              "age_claims": {"age_over_16": True, "age_over_18": True}}
    fields.update(overrides)
    return issue_mdoc(**fields)


def mdoc_shown(issued: IssuedMdoc, holder_key, **overrides: Any) -> str:
    fields: dict[str, Any] = {"holder_key": holder_key[0], "client_id": AUD, "nonce": NONCE,
                              "response_uri": RESPONSE_URI, "disclose": ["age_over_18"]}
    fields.update(overrides)
    return present_mdoc(issued, **fields)


def mdoc_refused(encoded: str, issuers: dict[str, Any], **overrides: Any) -> str:
    checks: dict[str, Any] = {"issuers": issuers, "doctype": AV_DOCTYPE, "client_id": AUD, "nonce": NONCE,
                              "response_uri": RESPONSE_URI, "now": time.time(), "leeway": 30}
    checks.update(overrides)
    with pytest.raises(AssuranceError) as error:
        verify_device_response(encoded, **checks)
    return error.value.code


def test_a_valid_mdoc_reveals_only_what_was_disclosed(mdoc_ca, holder_key, mdoc_issuers):
    verified = verify_device_response(
        mdoc_shown(mdoc_for(mdoc_ca, holder_key), holder_key), issuers=mdoc_issuers, doctype=AV_DOCTYPE,
        client_id=AUD, nonce=NONCE, response_uri=RESPONSE_URI, now=time.time(), leeway=30)
    assert verified.issuer.issuer == "av-ca"
    assert verified.claims == {"age_over_18": True}


def test_an_mdoc_with_a_tampered_issuer_signature_is_refused(mdoc_ca, holder_key, mdoc_issuers):
    issued = mdoc_for(mdoc_ca, holder_key)
    signature = bytearray(issued.issuer_auth[3])
    signature[10] ^= 0x01
    forged = IssuedMdoc(issued.doctype, issued.items, [*issued.issuer_auth[:3], bytes(signature)])
    assert mdoc_refused(mdoc_shown(forged, holder_key), mdoc_issuers) == "token_invalid_signature"


def test_an_mdoc_signed_under_another_ca_is_refused(holder_key, mdoc_issuers):
    stranger = make_certificate_chain()
    assert mdoc_refused(mdoc_shown(mdoc_for(stranger, holder_key), holder_key), mdoc_issuers) == "token_wrong_issuer"


@pytest.mark.parametrize("request_field", ["nonce", "client_id", "response_uri"])
def test_an_mdoc_made_for_another_request_is_refused(mdoc_ca, holder_key, mdoc_issuers, request_field):
    other = {"nonce": "m" * 43, "client_id": "redirect_uri:https://other.example/r",
             "response_uri": "https://other.example/r"}[request_field]
    shown = mdoc_shown(mdoc_for(mdoc_ca, holder_key), holder_key, **{request_field: other})
    assert mdoc_refused(shown, mdoc_issuers) == "vp_holder_binding_invalid"


def test_an_mdoc_presented_by_another_device_is_refused(mdoc_ca, holder_key, mdoc_issuers):
    thief = make_issuer_keypair("ES256")
    shown = mdoc_shown(mdoc_for(mdoc_ca, holder_key), thief)
    assert mdoc_refused(shown, mdoc_issuers) == "vp_holder_binding_invalid"


def test_an_expired_mdoc_is_refused(mdoc_ca, holder_key, mdoc_issuers):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    issued = mdoc_for(mdoc_ca, holder_key, valid_from=past, valid_until=past + dt.timedelta(days=1))
    assert mdoc_refused(mdoc_shown(issued, holder_key), mdoc_issuers) == "token_expired"


def test_an_mdoc_not_yet_valid_is_refused(mdoc_ca, holder_key, mdoc_issuers):
    issued = mdoc_for(mdoc_ca, holder_key, valid_from=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert mdoc_refused(mdoc_shown(issued, holder_key), mdoc_issuers) == "token_not_yet_valid"


def test_a_changed_mdoc_element_is_refused(mdoc_ca, holder_key, mdoc_issuers):
    issued = mdoc_for(mdoc_ca, holder_key, age_claims={"age_over_16": True, "age_over_18": False})
    original = cbor2.loads(issued.items["age_over_18"].value)
    lie = cbor2.CBORTag(24, cbor2.dumps({**original, "elementValue": True}))
    forged = IssuedMdoc(issued.doctype, {**issued.items, "age_over_18": lie}, issued.issuer_auth)
    assert mdoc_refused(mdoc_shown(forged, holder_key), mdoc_issuers) == "vp_disclosure_invalid"


def test_an_mdoc_without_device_authentication_is_refused(mdoc_ca, holder_key, mdoc_issuers):
    response = cbor2.loads(base64.urlsafe_b64decode(mdoc_shown(mdoc_for(mdoc_ca, holder_key), holder_key) + "=="))
    del response["documents"][0]["deviceSigned"]
    stripped = base64.urlsafe_b64encode(cbor2.dumps(response)).rstrip(b"=").decode()
    assert mdoc_refused(stripped, mdoc_issuers) == "vp_holder_binding_missing"


def test_an_mdoc_of_another_doctype_is_refused(mdoc_ca, holder_key, mdoc_issuers):
    issued = mdoc_for(mdoc_ca, holder_key, doctype="org.iso.18013.5.1.mDL")
    assert mdoc_refused(mdoc_shown(issued, holder_key), mdoc_issuers) == "vp_credential_type_not_accepted"


@pytest.mark.parametrize("garbage", ["", "!!!", base64.urlsafe_b64encode(b"\xff\x00").decode(),
                                     base64.urlsafe_b64encode(cbor2.dumps([1, 2])).decode(),
                                     base64.urlsafe_b64encode(cbor2.dumps({"documents": [{}]})).decode(),
                                     base64.urlsafe_b64encode(cbor2.dumps({"documents": [
                                         {"docType": AV_DOCTYPE, "issuerSigned": {"issuerAuth": [1, 2]}}]})).decode(),
                                     "A" * 50000, 7])
def test_mdoc_garbage_is_refused_with_a_code(mdoc_issuers, garbage):
    assert mdoc_refused(garbage, mdoc_issuers) in {
        "payload_invalid", "token_malformed", "vp_format_not_supported",
    }


@pytest.mark.django_db
def test_an_adult_proves_their_age_with_an_mdoc(make_user, tmp_path, settings, mdoc_ca, holder_key):
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps({"issuers": [{"issuer": "av-ca", "level": "verified", "doctypes": [AV_DOCTYPE],
                                             "certificates": [mdoc_ca[0]]}]}))
    settings.PHARE_OPENID4VP_TRUST_LIST = str(path)
    user = make_user(AgeBand.ADULT)
    client = signed_in(user)
    request = start(client)["request"]
    [query] = request["dcql_query"]["credentials"]
    assert query["format"] == "mso_mdoc" and query["meta"] == {"doctype_value": AV_DOCTYPE}
    assert [c["path"] for c in query["claims"]] == [[AV_DOCTYPE, "age_over_18"]]
    shown = mdoc_shown(mdoc_for(mdoc_ca, holder_key), holder_key, client_id=request["client_id"],
                       nonce=request["nonce"], response_uri=request["response_uri"])
    answered = Client().post(request["response_uri"], data={
        "vp_token": json.dumps({query["id"]: [shown]}), "state": request["state"]})
    assert answered.status_code == 200, answered.json()
    done = post(client, "/api/v1/age-assurance/openid4vp", {"transaction": request["state"]})
    assert done.status_code == 200, done.json()
    user.refresh_from_db()
    assert (user.assurance_level, user.assurance_provider) == ("verified", "openid4vp")


@pytest.mark.django_db
def test_a_request_offers_both_formats_when_both_are_trusted(make_user, trust_list_file, issuer_key, mdoc_ca, holder_key):
    data = trust_list_data(issuer_key[1])
    data["issuers"].append({"issuer": "av-ca", "doctypes": [AV_DOCTYPE], "certificates": [mdoc_ca[0]]})
    trust_list_file.write_text(json.dumps(data))
    client = signed_in(make_user(AgeBand.ADULT))
    request = start(client)["request"]
    ids = [q["id"] for q in request["dcql_query"]["credentials"]]
    assert [q["format"] for q in request["dcql_query"]["credentials"]] == ["dc+sd-jwt", "mso_mdoc"]
    assert request["dcql_query"]["credential_sets"] == [{"options": [[ids[0]], [ids[1]]]}]
    # An SD-JWT VC slipped under the mdoc query's id is read as an mdoc, and refused.
    sd_jwt = wallet_presentation(issuer_key, holder_key, request)
    swapped = Client().post(request["response_uri"], data={
        "vp_token": json.dumps({ids[1]: [sd_jwt]}), "state": request["state"]})
    assert swapped.status_code == 400 and swapped.json()["error"]["code"] == "vp_format_not_supported"


# --- the wallet endpoint and the trust list ------------------------------------------------


@pytest.mark.django_db
def test_the_wallet_needs_no_csrf_token_and_may_post_json(make_user, trust_list_file, issuer_key, holder_key):
    client = signed_in(make_user(AgeBand.ADULT))
    request = start(client)["request"]
    wallet = Client(enforce_csrf_checks=True)  # a wallet app has neither Phare's cookie nor its token
    body = {"vp_token": {"age_attestation": wallet_presentation(issuer_key, holder_key, request)},
            "state": request["state"]}
    answered = wallet.post(request["response_uri"], data=json.dumps(body), content_type="application/json")
    assert answered.status_code == 200, answered.json()
    assert post(client, "/api/v1/age-assurance/openid4vp", {"transaction": request["state"]}).status_code == 200


@pytest.mark.django_db
def test_the_browser_endpoints_still_need_the_csrf_token(make_user, trust_list_file):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(AgeBand.ADULT))
    response = post(client, "/api/v1/age-assurance/openid4vp/requests")
    assert response.status_code == 403


def test_an_updated_trust_list_file_is_read_again(tmp_path, issuer_key):
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(trust_list_data(issuer_key[1])))
    assert list(load_trust_list(str(path))) == [ISS]
    data = trust_list_data(issuer_key[1])
    data["issuers"][0]["issuer"] = "https://renamed.example"
    path.write_text(json.dumps(data) + " " * 10)  # another size, whatever the clock's resolution
    assert list(load_trust_list(str(path))) == ["https://renamed.example"]


@pytest.mark.parametrize("entry", [
    {"vcts": [VCT], "keys": []},                                   # no key, no certificate
    {"keys": ["jwk"]},                                             # neither vcts nor doctypes
    {"vcts": [VCT], "level": "declared", "keys": ["jwk"]},         # an attestation is more
    {"doctypes": [AV_DOCTYPE], "keys": ["jwk"]},                   # mdocs need certificates
    {"vcts": [VCT], "keys": [{"kty": "oct", "k": "c2VjcmV0"}]},    # a shared secret
    {"vcts": [VCT], "certificates": ["not a certificate"]},
    {"vcts": "urn:one", "keys": ["jwk"]},
])
def test_a_wrong_trust_list_entry_fails_loudly(issuer_key, entry):
    entry = {k: [issuer_key[1] if v == "jwk" else v for v in value] if isinstance(value, list) else value
             for k, value in entry.items()}
    with pytest.raises(ImproperlyConfigured):
        parse_trust_list({"issuers": [{"issuer": ISS, **entry}]})


@pytest.mark.parametrize("data", [[], {}, {"issuers": {}}, {"issuers": [{"vcts": [VCT]}]}])
def test_a_trust_list_of_the_wrong_shape_fails_loudly(data):
    with pytest.raises(ImproperlyConfigured):
        parse_trust_list(data)


def test_an_unreadable_trust_list_fails_loudly(tmp_path):
    with pytest.raises(ImproperlyConfigured):
        load_trust_list(str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ImproperlyConfigured):
        load_trust_list(str(broken))
