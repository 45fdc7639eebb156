"""Verify an SD-JWT VC presentation: the age attestation a wallet shows over OpenID4VP.

A presentation is `<issuer-signed JWT>~<disclosure>~…~<KB-JWT>` (SD-JWT, RFC 9901; SD-JWT VC).
Everything is checked before any claim is read:

1. the issuer-signed JWT: `typ` dc+sd-jwt (or the older vc+sd-jwt), an allowed asymmetric
   `alg`, `iss` on the trust list, the signature by that issuer's key (or by an `x5c` chain
   to the issuer's listed certificates), `exp` (required) and `nbf`, `vct` one the issuer
   is trusted for;
2. each disclosure: its SHA-256 digest must appear exactly once among the signed `_sd` digests
   (a changed disclosure has another digest, so it is refused, never silently dropped);
3. holder binding: the KB-JWT (`typ` kb+jwt) signed by the key in the attestation's `cnf`,
   naming this request's `nonce` and `aud`, with `sd_hash` the digest of the presentation it
   ends, and an `iat` of the last few minutes.

Only the digests are computed here (hashlib, as RFC 9901 specifies); every signature is
checked by joserfc and every certificate chain by `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import Key

from .base import AssuranceError
from .signed_token import check_times, load_public_key, parse_compact_jws, verify_signature
from .trust_list import AttestationIssuer, VerifiedAttestation, key_from_x5c

__all__ = ["MAX_PRESENTATION_LENGTH", "VerifiedAttestation", "sd_hash", "verify_presentation"]

SD_JWT_TYPES = frozenset({"dc+sd-jwt", "vc+sd-jwt"})
KB_JWT_TYPE = "kb+jwt"
# An age attestation with a handful of disclosures is 1-3 KiB; certificates in x5c add a few.
MAX_PRESENTATION_LENGTH = 16 * 1024
_MAX_DISCLOSURES = 64
_ISSUER_HEADERS = frozenset({"alg", "kid", "typ", "x5c"})
_KB_HEADERS = frozenset({"alg", "kid", "typ"})
# The only digest algorithm accepted for disclosures (the default of RFC 9901, and the one the
# EU age-verification profile requires).
_SD_ALG = "sha-256"


def _b64url_digest(data: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data.encode("ascii")).digest()).rstrip(b"=").decode()


def sd_hash(presentation_without_kb: str) -> str:
    """The KB-JWT's `sd_hash`: the digest of the presentation up to and including its last `~`."""
    return _b64url_digest(presentation_without_kb)


def _decode_disclosure(disclosure: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4))
        value = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise AssuranceError("vp_disclosure_invalid", "a disclosure is not base64url JSON") from None
    if not isinstance(value, list) or len(value) not in (2, 3) or not isinstance(value[0], str):
        raise AssuranceError("vp_disclosure_invalid", "a disclosure is not [salt, (name,) value]")
    if len(value) == 3 and (not isinstance(value[1], str) or value[1] in ("_sd", "...")):
        raise AssuranceError("vp_disclosure_invalid", "a disclosure names a reserved claim")
    return value


class _Disclosures:
    """The presentation's disclosures by digest, each to be used exactly once."""

    def __init__(self, disclosures: list[str]) -> None:
        self.by_digest: dict[str, list[Any]] = {}
        for disclosure in disclosures:
            digest = _b64url_digest(disclosure)
            if digest in self.by_digest:
                raise AssuranceError("vp_disclosure_invalid", "a disclosure is repeated")
            self.by_digest[digest] = _decode_disclosure(disclosure)
        self.seen: set[str] = set()

    def take(self, digest: Any) -> list[Any] | None:
        if not isinstance(digest, str):
            raise AssuranceError("vp_disclosure_invalid", "a digest is not a string")
        if digest in self.seen:
            raise AssuranceError("vp_disclosure_invalid", "a digest appears twice")
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def check_all_used(self) -> None:
        if set(self.by_digest) - self.seen:
            # A disclosure no signed digest names: changed after issuance, or from elsewhere.
            raise AssuranceError("vp_disclosure_invalid", "a disclosure matches no signed digest")


def _reveal(value: Any, disclosures: _Disclosures) -> Any:
    """`value` with every disclosed claim put back where its digest was (RFC 9901, 7.1)."""
    if isinstance(value, dict):
        digests = value.get("_sd", [])
        if not isinstance(digests, list):
            raise AssuranceError("vp_disclosure_invalid", "_sd is not a list")
        revealed = {k: _reveal(v, disclosures) for k, v in value.items() if k != "_sd"}
        for digest in digests:
            found = disclosures.take(digest)
            if found is None:
                continue  # a claim the holder chose not to disclose
            if len(found) != 3:
                raise AssuranceError("vp_disclosure_invalid", "an array disclosure used as a claim")
            _salt, name, claim = found
            if name in revealed:
                raise AssuranceError("vp_disclosure_invalid", f"claim {name!r} disclosed twice")
            revealed[name] = _reveal(claim, disclosures)
        return revealed
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            if isinstance(item, dict) and set(item) == {"..."}:
                found = disclosures.take(item["..."])
                if found is None:
                    continue
                if len(found) != 2:
                    raise AssuranceError("vp_disclosure_invalid", "a claim disclosure used in an array")
                items.append(_reveal(found[1], disclosures))
            else:
                items.append(_reveal(item, disclosures))
        return items
    return value


def _holder_key(claims: dict[str, Any]) -> Key:
    cnf = claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise AssuranceError("vp_holder_binding_invalid", "the attestation names no holder key")
    try:
        return load_public_key(jwk)
    except ImproperlyConfigured:
        raise AssuranceError("vp_holder_binding_invalid", "the holder key is not usable") from None


def _check_key_binding(
    kb_jwt: str,
    *,
    holder_key: Key,
    presented: str,
    audience: str,
    nonce: str,
    now: float,
    leeway: int,
    max_age: int,
) -> None:
    obj, header, claims = parse_compact_jws(kb_jwt, allowed_headers=_KB_HEADERS)
    if header.get("typ") != KB_JWT_TYPE:
        raise AssuranceError("vp_holder_binding_invalid", "the KB-JWT's typ is not kb+jwt")
    try:
        verify_signature(obj, header, [holder_key])
    except AssuranceError:
        raise AssuranceError("vp_holder_binding_invalid", "not signed by the holder key") from None
    signed_hash = claims.get("sd_hash")
    if not isinstance(signed_hash, str) or not hmac.compare_digest(signed_hash, sd_hash(presented)):
        raise AssuranceError("vp_holder_binding_invalid", "sd_hash does not match the presentation")
    kb_nonce = claims.get("nonce")
    if not isinstance(kb_nonce, str) or not hmac.compare_digest(kb_nonce.encode(), nonce.encode()):
        raise AssuranceError("token_nonce_invalid", "the KB-JWT nonce is not this request's")
    if claims.get("aud") != audience:
        raise AssuranceError("token_wrong_audience", "the KB-JWT was made for another verifier")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise AssuranceError("vp_holder_binding_invalid", "the KB-JWT has no numeric iat")
    if iat > now + leeway:
        raise AssuranceError("token_not_yet_valid", "the KB-JWT's iat is in the future")
    if iat < now - max_age - leeway:
        raise AssuranceError("vp_holder_binding_invalid", "the KB-JWT is too old")


def verify_presentation(
    presentation: Any,
    *,
    issuers: Mapping[str, AttestationIssuer],
    audience: str,
    nonce: str,
    now: float,
    leeway: int,
    max_binding_age: int,
) -> VerifiedAttestation:
    """Check an SD-JWT VC presentation made for `audience` and `nonce`; raise AssuranceError.

    Preconditions: `audience` is this verifier's client_id, `nonce` the request's nonce, `now`
    seconds since the epoch. No side effects.
    """
    if not isinstance(presentation, str) or not presentation:
        raise AssuranceError("payload_invalid", "the presentation must be a string")
    if len(presentation) > MAX_PRESENTATION_LENGTH:
        raise AssuranceError("token_malformed", "the presentation is too large")
    if "~" not in presentation:
        raise AssuranceError("vp_format_not_supported", "not an SD-JWT presentation")
    parts = presentation.split("~")
    issuer_jwt, disclosed, kb_jwt = parts[0], parts[1:-1], parts[-1]
    if len(disclosed) > _MAX_DISCLOSURES or any(not d for d in disclosed):
        raise AssuranceError("token_malformed", "empty or too many disclosures")

    obj, header, unverified = parse_compact_jws(
        issuer_jwt, allowed_headers=_ISSUER_HEADERS, max_length=MAX_PRESENTATION_LENGTH
    )
    if header.get("typ") not in SD_JWT_TYPES:
        raise AssuranceError("vp_format_not_supported", f"typ {header.get('typ')!r}")
    # `iss` only picks the keys to try; nothing is trusted until the signature is verified.
    iss = unverified.get("iss")
    issuer = issuers.get(iss) if isinstance(iss, str) else None
    if issuer is None:
        raise AssuranceError("token_wrong_issuer")
    if "x5c" in header:
        keys: tuple[Key, ...] = (key_from_x5c(header["x5c"], issuer.anchors, now=now),)
    else:
        keys = issuer.keys
    verify_signature(obj, header, keys)
    signed = unverified  # verified now: the payload bytes are the signed ones

    check_times(signed, now=now, leeway=leeway, iat_required=False)
    if signed.get("vct") not in issuer.vcts:
        raise AssuranceError("vp_credential_type_not_accepted", f"vct {signed.get('vct')!r}")
    if signed.get("_sd_alg", _SD_ALG) != _SD_ALG:
        raise AssuranceError("vp_disclosure_invalid", "only sha-256 disclosure digests are accepted")

    disclosures = _Disclosures(disclosed)
    try:
        claims = _reveal({k: v for k, v in signed.items() if k != "_sd_alg"}, disclosures)
    except RecursionError:  # claims nested hundreds deep: no attestation looks like that
        raise AssuranceError("token_malformed", "claims nested too deep") from None
    disclosures.check_all_used()

    if not kb_jwt:
        raise AssuranceError("vp_holder_binding_missing")
    _check_key_binding(
        kb_jwt,
        holder_key=_holder_key(signed),
        presented=presentation[: len(presentation) - len(kb_jwt)],
        audience=audience,
        nonce=nonce,
        now=now,
        leeway=leeway,
        max_age=max_binding_age,
    )
    return VerifiedAttestation(issuer=issuer, claims=claims)
