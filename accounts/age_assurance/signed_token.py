"""The `signed-token` provider (docs/protocol.md): a compact JWS from an age-check service we trust.

Double anonymity: the browser carries the nonce to the issuer and the token back; Phare never
calls the issuer (its public keys are configured, not fetched), so the issuer does not see Phare
verify anything, and the token carries an age band, not a person. Phare reads only `iss`, `aud`,
`exp`, `nbf`, `iat`, `nonce`, `method`, `age_band` and `age_over_18`; any other claim (a
subject id, a name...) is ignored and never stored or logged.

Algorithm confusion is closed three ways: the header's `alg` must be one of the asymmetric
algorithms below (never `none`, never HMAC); configured keys must be public asymmetric keys
(an `oct` key is refused at start-up); and each key is only tried with the algorithm its type
implies, so a public key can never be used as an HMAC secret.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, Key, OKPKey, RSAKey
from joserfc.jws import CompactSignature, JWSRegistry

from .base import (
    AgeBand,
    AssuranceError,
    AssuranceLevel,
    AssuranceMethod,
    AssuranceResult,
)

__all__ = [
    "ALLOWED_ALGORITHMS",
    "DEFAULT_LEEWAY_SECONDS",
    "SignedTokenProvider",
    "TrustedIssuer",
    "check_times",
    "load_public_key",
    "parse_compact_jws",
    "parse_issuers",
    "verify_signature",
]

# alg → the only key type it may be verified with. "EdDSA" is RFC 8037's name; RFC 9864 renames
# it "Ed25519" (joserfc warns that "EdDSA" is deprecated). Both mean Ed25519 here.
ALLOWED_ALGORITHMS: dict[str, str] = {
    "ES256": "EC",
    "EdDSA": "OKP",
    "Ed25519": "OKP",
    "RS256": "RSA",
}
# Anything else in the header (jwk, jku, x5u, crit, b64...) could steer verification: refused.
_ALLOWED_HEADERS = frozenset({"alg", "kid", "typ"})
# A real age token is a few hundred bytes; refuse big blobs before parsing them.
MAX_TOKEN_LENGTH = 8192
DEFAULT_LEEWAY_SECONDS = 30
_MIN_RSA_BITS = 2048


class _AgeJWSRegistry(JWSRegistry):
    # joserfc refuses headers over 512 bytes; an attestation issuer's header carries its
    # certificate chain (x5c), a few KiB. The whole token is still bounded by the caller.
    max_header_length = 8192

_METHOD_LEVELS: dict[str, AssuranceLevel] = {
    "estimation": AssuranceLevel.ESTIMATED,
    "verification": AssuranceLevel.VERIFIED,
}


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    keys: tuple[Key, ...]
    methods: frozenset[str]
    name: str
    start_url: str | None


def _usable(key: Key) -> Key:
    """Refuse keys that no allowed algorithm can use, and keep only the public half."""
    if isinstance(key, ECKey):
        if key.curve_name != "P-256":
            raise ImproperlyConfigured("EC issuer keys must be P-256 (ES256)")
    elif isinstance(key, OKPKey):
        if key.curve_name != "Ed25519":
            raise ImproperlyConfigured("OKP issuer keys must be Ed25519 (EdDSA)")
    elif isinstance(key, RSAKey):
        if key.raw_value.key_size < _MIN_RSA_BITS:
            raise ImproperlyConfigured(f"RSA issuer keys must have at least {_MIN_RSA_BITS} bits")
    else:
        raise ImproperlyConfigured(
            f"issuer keys must be public asymmetric keys, not {key.key_type!r}"
        )
    if key.is_private:
        # An operator pasted the issuer's private key: use only the public half, it is all
        # verification needs (and the operator should not hold the private key at all).
        key = JWKRegistry.import_key(key.as_dict(private=False))
    return key


def load_public_key(spec: Mapping[str, Any] | str | bytes) -> Key:
    """A JWK dict or a PEM public key → a verification key. Symmetric keys are refused."""
    if isinstance(spec, Mapping):
        if spec.get("kty") == "oct":
            raise ImproperlyConfigured("symmetric (oct) keys cannot be issuer keys")
        try:
            return _usable(JWKRegistry.import_key(dict(spec)))
        except (JoseError, ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"invalid issuer JWK: {exc}") from exc
    if isinstance(spec, str | bytes):
        # A PEM does not say its type: try each asymmetric type (never "oct", which would
        # happily take any bytes as a secret).
        for kty in ("EC", "OKP", "RSA"):
            try:
                key = JWKRegistry.import_key(spec, kty)
            except (JoseError, ValueError, TypeError):
                continue
            return _usable(key)
        raise ImproperlyConfigured("invalid issuer PEM key: not an EC, Ed25519 or RSA public key")
    raise ImproperlyConfigured(f"an issuer key must be a JWK dict or a PEM, not {type(spec)}")


def parse_issuers(config: Mapping[str, Mapping[str, Any]]) -> dict[str, TrustedIssuer]:
    """The `PHARE_AGE_TOKEN_ISSUERS` shape → trusted issuers, failing loudly on any mistake."""
    issuers: dict[str, TrustedIssuer] = {}
    for iss, entry in config.items():
        if not isinstance(iss, str) or not iss:
            raise ImproperlyConfigured("issuer ids must be non-empty strings")
        if not isinstance(entry, Mapping):
            raise ImproperlyConfigured(f"issuer {iss!r}: expected a dict with 'keys'")
        specs = entry.get("keys")
        if not specs or isinstance(specs, str | bytes | Mapping):
            raise ImproperlyConfigured(f"issuer {iss!r}: 'keys' must be a non-empty list")
        methods = frozenset(entry.get("methods", _METHOD_LEVELS))
        if not methods or not methods <= _METHOD_LEVELS.keys():
            raise ImproperlyConfigured(
                f"issuer {iss!r}: 'methods' must be among {sorted(_METHOD_LEVELS)}"
            )
        issuers[iss] = TrustedIssuer(
            issuer=iss,
            keys=tuple(load_public_key(spec) for spec in specs),
            methods=methods,
            name=str(entry.get("name", iss)),
            start_url=entry.get("start_url"),
        )
    return issuers


def _numeric_date(claims: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    # bool is an int in Python; a JSON `true` is not a date. Huge ints overflow float().
    try:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(name)
        date = float(value)
    except (ValueError, OverflowError):
        date = math.nan
    if not math.isfinite(date):
        raise AssuranceError("token_claims_invalid", f"{name} must be a numeric date")
    return date


def parse_compact_jws(
    token: str, *, allowed_headers: frozenset[str], max_length: int = MAX_TOKEN_LENGTH
) -> tuple[CompactSignature, dict[str, Any], dict[str, Any]]:
    """A compact JWS → (signature object, header, claims), none of it verified yet.

    Refuses, before any key is tried: anything but three dot-separated parts, an `alg` outside
    ALLOWED_ALGORITHMS, a header parameter outside `allowed_headers`, a payload that is not a
    JSON object.
    """
    if len(token) > max_length or token.count(".") != 2:
        raise AssuranceError("token_malformed", "not a compact JWS")
    try:
        obj = jws.extract_compact(token.encode("ascii"), registry=_AgeJWSRegistry())
        header = obj.headers()
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise AssuranceError("token_malformed", str(exc)) from None
    if not isinstance(header, dict):
        raise AssuranceError("token_malformed", "header is not a JSON object")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise AssuranceError("token_alg_not_allowed", f"alg {alg!r}")
    extra = set(header) - allowed_headers
    if extra:
        raise AssuranceError("token_malformed", f"unexpected header parameters {sorted(extra)}")
    try:
        claims = json.loads(obj.payload)
    except (ValueError, UnicodeError, RecursionError):  # RecursionError: [[[[...
        raise AssuranceError("token_malformed", "payload is not JSON") from None
    if not isinstance(claims, dict):
        raise AssuranceError("token_malformed", "payload is not a JSON object")
    return obj, header, claims


def verify_signature(obj: CompactSignature, header: dict[str, Any], keys: Iterable[Key]) -> None:
    """Raise token_invalid_signature unless one of `keys` verifies `obj` with the header's alg
    (already checked to be in ALLOWED_ALGORITHMS by parse_compact_jws)."""
    alg = header["alg"]
    kid = header.get("kid")
    # Only this algorithm, only keys of its type: the key decides nothing about the alg.
    registry = _AgeJWSRegistry(algorithms=[alg])
    for key in keys:
        if key.key_type != ALLOWED_ALGORITHMS[alg]:
            continue
        if kid is not None and key.kid is not None and key.kid != kid:
            continue
        try:
            if jws.validate_compact(obj, key, registry=registry):
                return
        except JoseError:
            continue  # wrong curve, key restricted to another alg...: try the next key
    raise AssuranceError("token_invalid_signature")


def check_times(claims: dict[str, Any], *, now: float, leeway: int, iat_required: bool) -> None:
    """`exp` (required), `nbf` and `iat` against `now`, with `leeway` seconds of clock skew."""
    exp = _numeric_date(claims, "exp", required=True)
    iat = _numeric_date(claims, "iat", required=iat_required)
    nbf = _numeric_date(claims, "nbf", required=False)
    assert exp is not None  # required=True never returns None
    if now >= exp + leeway:
        raise AssuranceError("token_expired")
    if nbf is not None and now + leeway < nbf:
        raise AssuranceError("token_not_yet_valid", "nbf is in the future")
    if iat is not None and now + leeway < iat:
        raise AssuranceError("token_not_yet_valid", "iat is in the future")


class SignedTokenProvider:
    name = "signed-token"
    label = _("Age check by a trusted service")
    requires_nonce = True
    signup_only = False

    def __init__(
        self,
        *,
        issuers: Mapping[str, Mapping[str, Any]],
        audience: str,
        leeway_seconds: int = DEFAULT_LEEWAY_SECONDS,
    ) -> None:
        if not audience:
            raise ImproperlyConfigured("the service id (token audience) must not be empty")
        self.issuers = parse_issuers(issuers)
        self.audience = audience
        self.leeway_seconds = leeway_seconds

    @property
    def level(self) -> AssuranceLevel:
        """The strongest level some trusted issuer may grant."""
        methods: set[str] = set()
        for issuer in self.issuers.values():
            methods |= issuer.methods
        if "verification" in methods:
            return AssuranceLevel.VERIFIED
        return AssuranceLevel.ESTIMATED

    def available(self) -> bool:
        return bool(self.issuers)

    def start(self, *, nonce: str) -> dict[str, Any]:
        # The client hands `nonce` and `audience` to the issuer of the user's choice.
        return {
            "provider": self.name,
            "nonce": nonce,
            "audience": self.audience,
            "issuers": [
                {
                    "issuer": issuer.issuer,
                    "name": issuer.name,
                    "start_url": issuer.start_url,
                    "methods": sorted(issuer.methods),
                }
                for issuer in self.issuers.values()
            ],
        }

    def claimed_nonce(self, payload: dict[str, Any]) -> str | None:
        """The token's nonce, read before verification only so the view can consume it.

        Consuming a nonce named by an unverified token is safe: the nonce must have been issued
        to this session, and `complete` then checks that the signed claim is that very nonce.
        """
        _obj, _header, claims = self._parse(payload)
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise AssuranceError("token_nonce_invalid", "token carries no nonce")
        return nonce

    def complete(
        self, *, payload: dict[str, Any], expected_nonce: str | None, now: datetime
    ) -> AssuranceResult:
        obj, header, unverified = self._parse(payload)

        # The issuer claim only picks the keys to try; nothing is trusted until verified.
        iss = unverified.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AssuranceError("token_wrong_issuer")
        verify_signature(obj, header, issuer.keys)
        claims = unverified  # now verified: the payload bytes are the signed ones

        self._check_audience(claims.get("aud"))
        check_times(claims, now=now.timestamp(), leeway=self.leeway_seconds, iat_required=True)

        nonce = claims.get("nonce")
        if (
            expected_nonce is None
            or not isinstance(nonce, str)
            or not hmac.compare_digest(nonce.encode(), expected_nonce.encode())
        ):
            raise AssuranceError("token_nonce_invalid", "token nonce is not this session's")

        method = claims.get("method")
        if method not in _METHOD_LEVELS:
            raise AssuranceError("token_claims_invalid", "method: estimation or verification")
        if method not in issuer.methods:
            raise AssuranceError("token_method_not_allowed", f"{issuer.issuer} not for {method}")

        return AssuranceResult(
            age_band=self._band(claims),
            level=_METHOD_LEVELS[method],
            method=AssuranceMethod(method),
            provider=self.name,
            assured_at=now,
        )

    # --- steps --------------------------------------------------------------------------

    def _parse(self, payload: Any) -> tuple[CompactSignature, dict[str, Any], dict[str, Any]]:
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise AssuranceError("payload_invalid", 'expected {"token": "<compact JWS>"}')
        return parse_compact_jws(token, allowed_headers=_ALLOWED_HEADERS)

    def _check_audience(self, aud: Any) -> None:
        if isinstance(aud, str):
            ok = aud == self.audience
        elif isinstance(aud, list):
            ok = all(isinstance(a, str) for a in aud) and self.audience in aud
        else:
            ok = False
        if not ok:
            raise AssuranceError("token_wrong_audience")

    def _band(self, claims: dict[str, Any]) -> AgeBand:
        band_claim = claims.get("age_band")
        over_18 = claims.get("age_over_18")
        if over_18 is not None and not isinstance(over_18, bool):
            raise AssuranceError("token_claims_invalid", "age_over_18 must be true or false")
        if band_claim is not None:
            try:
                band = AgeBand(band_claim)
            except ValueError:
                raise AssuranceError("token_claims_invalid", "unknown age_band") from None
            if over_18 is not None and over_18 != (band is AgeBand.ADULT):
                raise AssuranceError("token_claims_invalid", "age_band and age_over_18 disagree")
            return band
        if over_18 is True:
            return AgeBand.ADULT
        # "Not over 18" does not say 13-15 or 16-17, and guessing either would put someone in
        # the wrong minors' space. Refused: an account under re-assurance stays restricted.
        raise AssuranceError("token_claims_invalid", "a minor's token must carry age_band")
