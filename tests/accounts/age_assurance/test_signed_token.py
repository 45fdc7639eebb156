"""The signed-token provider, against keys made in the test.

Every refusal is checked by its code, and every valid case by the result it stores.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from joserfc import jws
from joserfc.jwk import JWKRegistry

from accounts.age_assurance import AssuranceError, AssuranceResult
from accounts.age_assurance.flow import complete_assurance
from accounts.age_assurance.nonces import issue_nonce
from accounts.age_assurance.signed_token import SignedTokenProvider, load_public_key
from accounts.age_assurance.testing import make_issuer_keypair, sign_token, token_claims

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ISS = "https://age.example"
AUD = "phare-test"
NONCE = "n" * 43

# "EdDSA" is RFC 8037's name, deprecated by RFC 9864: joserfc warns, and we still accept it.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


@pytest.fixture(scope="module")
def es256() -> tuple[Any, dict[str, Any]]:
    return make_issuer_keypair("ES256", kid="es-1")


@pytest.fixture
def provider(es256: tuple[Any, dict[str, Any]]) -> SignedTokenProvider:
    return SignedTokenProvider(issuers={ISS: {"keys": [es256[1]]}}, audience=AUD)


def claims(**overrides: Any) -> dict[str, Any]:
    base = token_claims(iss=ISS, aud=AUD, nonce=NONCE, now=NOW.timestamp())
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def complete(
    provider: SignedTokenProvider, token: str, nonce: str | None = NONCE, now: datetime = NOW
) -> AssuranceResult:
    return provider.complete(payload={"token": token}, expected_nonce=nonce, now=now)


def refused(fn: Callable[[], Any]) -> str:
    with pytest.raises(AssuranceError) as err:
        fn()
    return err.value.code


def rejection(
    provider: SignedTokenProvider, token: str, nonce: str | None = NONCE, now: datetime = NOW
) -> str:
    """The code `complete` refuses `token` with (fails the test if it is accepted)."""
    return refused(lambda: complete(provider, token, nonce, now))


# --- accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "Ed25519", "RS256"])
@pytest.mark.parametrize(
    ("method", "level"), [("estimation", "estimated"), ("verification", "verified")]
)
def test_valid_token_is_accepted(alg: str, method: str, level: str) -> None:
    private, public = make_issuer_keypair(alg)
    provider = SignedTokenProvider(issuers={ISS: {"keys": [public]}}, audience=AUD)
    token = sign_token(claims(method=method, age_band="16-17"), private, alg)
    result = complete(provider, token)
    assert result == AssuranceResult(
        age_band="16-17", level=level, method=method, provider="signed-token", assured_at=NOW
    )


def test_age_over_18_form_is_accepted(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(age_band=None, age_over_18=True), es256[0])
    assert complete(provider, token).age_band == "18+"
    token = sign_token(claims(age_band="18+", age_over_18=True), es256[0])
    assert complete(provider, token).age_band == "18+"


def test_identifying_claims_are_not_read(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(
        claims(sub="user-8812", name="Alice Martin", birthdate="2009-04-01", email="a@x.fr"),
        es256[0],
    )
    result = complete(provider, token)
    assert set(result.as_dict()) == {
        "age_band",
        "level",
        "method",
        "provider",
        "assured_at",
        "band_until",
    }
    assert "Alice" not in repr(result) and "8812" not in repr(result)


def test_audience_may_be_a_list_containing_ours(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(aud=["elsewhere", AUD]), es256[0])
    assert complete(provider, token).level == "estimated"


def test_small_clock_skew_is_tolerated(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(iat=NOW.timestamp() + 20, exp=NOW.timestamp() - 10), es256[0])
    assert complete(provider, token).age_band == "18+"


def test_key_is_chosen_by_kid_among_several() -> None:
    old_private, old_public = make_issuer_keypair("ES256", kid="2025")
    new_private, new_public = make_issuer_keypair("EdDSA", kid="2026")
    provider = SignedTokenProvider(issuers={ISS: {"keys": [old_public, new_public]}}, audience=AUD)
    assert complete(provider, sign_token(claims(), old_private, "ES256")).age_band == "18+"
    assert complete(provider, sign_token(claims(), new_private, "EdDSA")).age_band == "18+"


def test_pem_public_keys_are_accepted() -> None:
    private, _public = make_issuer_keypair("RS256")
    pem = private.as_pem(private=False).decode()
    provider = SignedTokenProvider(issuers={ISS: {"keys": [pem]}}, audience=AUD)
    assert complete(provider, sign_token(claims(), private, "RS256")).age_band == "18+"


# --- refused: who made it, for whom, when ---------------------------------------------------


def test_wrong_issuer(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(iss="https://other.example"), es256[0])
    assert rejection(provider, token) == "token_wrong_issuer"
    token = sign_token(claims(iss=None), es256[0])
    assert rejection(provider, token) == "token_wrong_issuer"


@pytest.mark.parametrize("aud", ["phare", "", ["other"], None, 7, [AUD, 7]])
def test_wrong_audience(provider: SignedTokenProvider, es256: Any, aud: Any) -> None:
    token = sign_token(claims(aud=aud), es256[0])
    assert rejection(provider, token) == "token_wrong_audience"


def test_expired(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(), es256[0])  # exp = NOW + 300
    later = NOW + timedelta(seconds=300 + 30)
    assert rejection(provider, token, now=later) == "token_expired"
    token = sign_token(claims(iat=NOW.timestamp() - 7200, exp=NOW.timestamp() - 3600), es256[0])
    assert rejection(provider, token) == "token_expired"


def test_not_yet_valid(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(nbf=NOW.timestamp() + 600, exp=NOW.timestamp() + 900), es256[0])
    assert rejection(provider, token) == "token_not_yet_valid"
    token = sign_token(claims(iat=NOW.timestamp() + 600, exp=NOW.timestamp() + 900), es256[0])
    assert rejection(provider, token) == "token_not_yet_valid"


@pytest.mark.parametrize("value", ["1" * 400, "1e400", "NaN", "Infinity", "-Infinity"])
def test_absurd_numeric_dates(provider: SignedTokenProvider, es256: Any, value: str) -> None:
    # Valid JSON that no float can hold: refused cleanly, not a crash.
    good = claims()
    payload = json.dumps(good).replace(f'"exp": {good["exp"]}', f'"exp": {value}')
    assert value in payload
    token = jws.serialize_compact({"alg": "ES256"}, payload, es256[0], algorithms=["ES256"])
    assert rejection(provider, token) == "token_claims_invalid"


@pytest.mark.parametrize(
    "bad",
    [
        {"exp": None},
        {"iat": None},
        {"exp": "tomorrow"},
        {"exp": True},
        {"nbf": "now"},
        {"method": "selfie"},
        {"method": None},
        {"age_band": "12-13"},
        {"age_band": None},
        {"age_band": None, "age_over_18": False},
        {"age_band": None, "age_over_18": "yes"},
        {"age_band": "16-17", "age_over_18": True},
        {"age_band": "18+", "age_over_18": False},
    ],
)
def test_claims_invalid(provider: SignedTokenProvider, es256: Any, bad: dict[str, Any]) -> None:
    token = sign_token(claims(**bad), es256[0])
    assert rejection(provider, token) == "token_claims_invalid"


def test_issuer_trusted_only_for_estimation(es256: Any) -> None:
    provider = SignedTokenProvider(
        issuers={ISS: {"keys": [es256[1]], "methods": ["estimation"]}}, audience=AUD
    )
    assert provider.level == "estimated"
    token = sign_token(claims(method="verification"), es256[0])
    assert rejection(provider, token) == "token_method_not_allowed"
    assert complete(provider, sign_token(claims(), es256[0])).level == "estimated"


# --- refused: the nonce -----------------------------------------------------------------------


def test_wrong_nonce(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(), es256[0])
    assert rejection(provider, token, nonce="m" * 43) == "token_nonce_invalid"
    assert rejection(provider, token, nonce=None) == "token_nonce_invalid"
    token = sign_token(claims(nonce=None), es256[0])
    assert rejection(provider, token) == "token_nonce_invalid"


def test_full_flow_accepts_once_then_refuses_the_replay(
    provider: SignedTokenProvider, es256: Any, store: LocMemCache
) -> None:
    nonce, _ = issue_nonce(store=store, session_key="session-a", now=NOW)
    token = sign_token(claims(nonce=nonce, method="verification"), es256[0])

    def submit(session_key: str = "session-a") -> AssuranceResult:
        return complete_assurance(
            provider=provider,
            payload={"token": token},
            store=store,
            session_key=session_key,
            now=NOW,
        )

    # Another session cannot use this session's token (and does not burn its nonce).
    assert refused(lambda: submit("session-b")) == "token_nonce_invalid"
    assert submit().level == "verified"
    assert refused(submit) == "token_nonce_replayed"


def test_flow_refuses_a_token_whose_nonce_was_never_issued(
    provider: SignedTokenProvider, es256: Any, store: LocMemCache
) -> None:
    token = sign_token(claims(nonce="z" * 43), es256[0])
    code = refused(
        lambda: complete_assurance(
            provider=provider, payload={"token": token}, store=store, session_key="s", now=NOW
        )
    )
    assert code == "token_nonce_invalid"


def test_flow_uses_the_nonce_even_when_the_token_is_refused(
    provider: SignedTokenProvider, es256: Any, store: LocMemCache
) -> None:
    nonce, _ = issue_nonce(store=store, session_key="s", now=NOW)
    expired = sign_token(
        claims(nonce=nonce, iat=NOW.timestamp() - 900, exp=NOW.timestamp() - 600), es256[0]
    )
    fresh = sign_token(claims(nonce=nonce), es256[0])

    def submit(token: str) -> AssuranceResult:
        return complete_assurance(
            provider=provider, payload={"token": token}, store=store, session_key="s", now=NOW
        )

    assert refused(lambda: submit(expired)) == "token_expired"
    assert refused(lambda: submit(fresh)) == "token_nonce_replayed"


# --- refused: forgeries -------------------------------------------------------------------------


def test_tampered_payload(provider: SignedTokenProvider, es256: Any) -> None:
    token = sign_token(claims(age_band="13-15"), es256[0])
    header, payload, signature = token.split(".")
    forged = f"{header}.{b64(json.dumps(claims(age_band='18+')).encode())}.{signature}"
    assert rejection(provider, forged) == "token_invalid_signature"
    # Header tampering (e.g. a changed kid) breaks the signature too.
    other_header = b64(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
    assert rejection(provider, f"{other_header}.{payload}.{signature}") == (
        "token_invalid_signature"
    )


def test_signature_by_an_unknown_key(provider: SignedTokenProvider) -> None:
    stranger, _ = make_issuer_keypair("ES256", kid="es-1")  # even reusing the kid
    token = sign_token(claims(), stranger)
    assert rejection(provider, token) == "token_invalid_signature"


def test_key_of_another_type_is_never_tried(provider: SignedTokenProvider) -> None:
    rsa_private, _ = make_issuer_keypair("RS256")
    token = sign_token(claims(), rsa_private, "RS256")  # our issuer only has an EC key
    assert rejection(provider, token) == "token_invalid_signature"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none(provider: SignedTokenProvider, alg: str) -> None:
    for token in (
        raw_token({"alg": alg, "typ": "JWT"}, claims()),
        raw_token({"alg": alg}, claims(), b"anything"),
    ):
        assert rejection(provider, token) == "token_alg_not_allowed"


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_public_key_alg_confusion(alg: str) -> None:
    # The classic attack: sign with HMAC using the issuer's *public* key as the secret, hoping
    # the verifier feeds its configured key to whatever algorithm the header names.
    private, public = make_issuer_keypair("RS256")
    pem = private.as_pem(private=False)
    provider = SignedTokenProvider(issuers={ISS: {"keys": [public, pem.decode()]}}, audience=AUD)
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    for secret in (pem, json.dumps(public).encode()):
        header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        body = b64(json.dumps(claims()).encode())
        sig = hmac.new(secret, f"{header}.{body}".encode(), digest).digest()
        token = f"{header}.{body}.{b64(sig)}"
        assert rejection(provider, token) == "token_alg_not_allowed"


@pytest.mark.parametrize("alg", ["PS256", "ES384", "ES512", "RS512", "ES256K", "", 256])
def test_other_algorithms_are_refused(provider: SignedTokenProvider, alg: Any) -> None:
    token = raw_token({"alg": alg}, claims(), b"x" * 64)
    assert rejection(provider, token) == "token_alg_not_allowed"


def test_embedded_key_header_is_refused(provider: SignedTokenProvider) -> None:
    # A token carrying its own key ("jwk") must never be verified with it.
    attacker, attacker_public = make_issuer_keypair("ES256")
    token = sign_token(claims(), attacker, headers={"jwk": attacker_public})
    assert rejection(provider, token) == "token_malformed"
    token = sign_token(claims(), attacker, headers={"jku": "https://evil.example/jwks"})
    assert rejection(provider, token) == "token_malformed"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "a.b",
        "a.b.c.d",
        "....",
        "%%%.%%%.%%%",
        "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln",  # payload is not JSON
        "eyJhbGciOiJFUzI1NiJ9.WzEsMl0.c2ln",  # payload is a list
        "é.é.é",
        "a" * 9000 + ".b.c",
        "ImFsZyI.e30.c2ln",  # header is the JSON string "alg"
        "bnVsbA.e30.c2ln",  # header is null
        "eyJhbGciOiJFUzI1NiJ9..c2ln",  # empty payload
        "eyJhbGciOiJFUzI1NiJ9." + b64(b"[" * 3000 + b"]" * 3000) + ".c2ln",  # deep nesting
    ],
)
def test_malformed(provider: SignedTokenProvider, token: str) -> None:
    assert rejection(provider, token) == "token_malformed"


@pytest.mark.parametrize("payload", [{}, {"token": ""}, {"token": 12}, {"jwt": "a.b.c"}, None, []])
def test_payload_without_a_token(provider: SignedTokenProvider, payload: Any) -> None:
    assert (
        refused(lambda: provider.complete(payload=payload, expected_nonce=NONCE, now=NOW))
        == "payload_invalid"
    )


# --- configuration ------------------------------------------------------------------------------


def test_symmetric_keys_are_refused_in_configuration() -> None:
    secret = JWKRegistry.generate_key("oct", 256).as_dict(private=True)
    with pytest.raises(ImproperlyConfigured):
        SignedTokenProvider(issuers={ISS: {"keys": [secret]}}, audience=AUD)
    with pytest.raises(ImproperlyConfigured):
        load_public_key("just some shared secret")


def test_unusable_curves_are_refused_in_configuration() -> None:
    p384 = JWKRegistry.generate_key("EC", "P-384").as_dict(private=False)
    x25519 = JWKRegistry.generate_key("OKP", "X25519").as_dict(private=False)
    for key in (p384, x25519):
        with pytest.raises(ImproperlyConfigured):
            load_public_key(key)


@pytest.mark.parametrize(
    "issuers",
    [
        {ISS: {"keys": []}},
        {ISS: {}},
        {ISS: {"keys": "not a list"}},
        {ISS: {"keys": [{"kty": "EC"}]}},
        {ISS: {"keys": [{"kty": "EC"}], "methods": ["guess"]}},
        {"": {"keys": []}},
    ],
)
def test_bad_issuer_configuration_fails_loudly(issuers: dict[str, Any]) -> None:
    with pytest.raises(ImproperlyConfigured):
        SignedTokenProvider(issuers=issuers, audience=AUD)


def test_a_pasted_private_key_is_kept_public_only(es256: Any) -> None:
    private_jwk = es256[0].as_dict(private=True)
    key = load_public_key(private_jwk)
    assert not key.is_private
    provider = SignedTokenProvider(issuers={ISS: {"keys": [private_jwk]}}, audience=AUD)
    assert complete(provider, sign_token(claims(), es256[0])).age_band == "18+"


def test_start_tells_the_client_what_to_hand_the_issuer(es256: Any) -> None:
    provider = SignedTokenProvider(
        issuers={
            ISS: {
                "keys": [es256[1]],
                "name": "Example Age Check",
                "start_url": "https://age.example/start",
            }
        },
        audience=AUD,
    )
    assert provider.start(nonce=NONCE) == {
        "provider": "signed-token",
        "nonce": NONCE,
        "audience": AUD,
        "issuers": [
            {
                "issuer": ISS,
                "name": "Example Age Check",
                "start_url": "https://age.example/start",
                "methods": ["estimation", "verification"],
            }
        ],
    }
    assert provider.available() and provider.level == "verified" and provider.requires_nonce
    assert not SignedTokenProvider(issuers={}, audience=AUD).available()
