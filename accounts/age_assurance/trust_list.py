"""The issuers of age attestations this server trusts, from a JSON file the operator names.

    {"issuers": [{"issuer": "https://av-issuer.example",      # the attestation's `iss`
                  "name": "Example age attestations",         # shown to operators, logs
                  "level": "verified",                        # or "estimated" (the default)
                  "vcts": ["urn:example:age-attestation:1"],  # SD-JWT VC types accepted
                  "doctypes": ["eu.europa.ec.av.1"],          # mdoc types accepted
                  "keys": [{…public JWK…}],                   # and/or
                  "certificates": ["-----BEGIN CERTIFICATE-----…"]}]}  # trust anchors for x5c

An SD-JWT VC is verified with the issuer's listed keys, or, when its header carries an `x5c`
chain, with the chain's first certificate once the chain leads to one of the issuer's listed
certificates (RFC 5280 path validation by `cryptography`). An mdoc always carries its chain
(`x5chain`), so an issuer of mdocs needs `certificates`. Mistakes fail loudly
(ImproperlyConfigured) when the list is read, not user by user.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification
from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import Key

from .base import AssuranceError, AssuranceLevel
from .signed_token import load_public_key

__all__ = [
    "AttestationIssuer",
    "VerifiedAttestation",
    "key_from_x5c",
    "load_trust_list",
    "parse_trust_list",
    "validated_signer",
]

# A chain longer than leaf → intermediate → anchor is not what attestation issuers use.
_MAX_CHAIN_DEPTH = 3
# The trust list is an operator's file, not user input, but a runaway file is still refused.
_MAX_TRUST_LIST_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class AttestationIssuer:
    issuer: str
    name: str
    level: AssuranceLevel
    vcts: frozenset[str]
    doctypes: frozenset[str]
    keys: tuple[Key, ...]
    anchors: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class VerifiedAttestation:
    """A presentation that passed every check: its issuer and the claims it disclosed."""

    issuer: AttestationIssuer
    claims: dict[str, Any]


def _certificate(spec: Any, issuer: str) -> x509.Certificate:
    if not isinstance(spec, str):
        raise ImproperlyConfigured(f"issuer {issuer!r}: certificates must be PEM strings")
    try:
        return x509.load_pem_x509_certificate(spec.encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise ImproperlyConfigured(f"issuer {issuer!r}: invalid PEM certificate: {exc}") from exc


def _string_list(entry: Mapping[str, Any], field: str, issuer: str) -> list[Any]:
    value = entry.get(field, [])
    if not isinstance(value, list):
        raise ImproperlyConfigured(f"issuer {issuer!r}: {field!r} must be a list")
    return value


def _issuer(entry: Any) -> AttestationIssuer:
    if not isinstance(entry, Mapping):
        raise ImproperlyConfigured("each trust list entry must be an object")
    issuer = entry.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise ImproperlyConfigured("each trust list entry needs an 'issuer' string")
    level = entry.get("level", AssuranceLevel.ESTIMATED.value)
    # An attestation is never worth only a declaration: the level must be above it.
    if level not in (AssuranceLevel.ESTIMATED.value, AssuranceLevel.VERIFIED.value):
        raise ImproperlyConfigured(f"issuer {issuer!r}: 'level' must be estimated or verified")
    vcts = _string_list(entry, "vcts", issuer)
    doctypes = _string_list(entry, "doctypes", issuer)
    if not vcts + doctypes or not all(isinstance(v, str) and v for v in vcts + doctypes):
        raise ImproperlyConfigured(f"issuer {issuer!r}: list the accepted 'vcts' or 'doctypes'")
    keys = tuple(load_public_key(spec) for spec in _string_list(entry, "keys", issuer))
    anchors = tuple(_certificate(spec, issuer) for spec in _string_list(entry, "certificates", issuer))
    if not keys and not anchors:
        raise ImproperlyConfigured(f"issuer {issuer!r}: list 'keys' or 'certificates'")
    if doctypes and not anchors:
        raise ImproperlyConfigured(f"issuer {issuer!r}: mdocs are checked against 'certificates'")
    return AttestationIssuer(
        issuer=issuer,
        name=str(entry.get("name", issuer)),
        level=AssuranceLevel(level),
        vcts=frozenset(vcts),
        doctypes=frozenset(doctypes),
        keys=keys,
        anchors=anchors,
    )


def parse_trust_list(data: Any) -> dict[str, AttestationIssuer]:
    """The trust list file's JSON → issuers by `iss`."""
    entries = data.get("issuers") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        raise ImproperlyConfigured('the trust list must be {"issuers": [...]}')
    issuers: dict[str, AttestationIssuer] = {}
    for entry in entries:
        parsed = _issuer(entry)
        if parsed.issuer in issuers:
            raise ImproperlyConfigured(f"issuer {parsed.issuer!r} is listed twice")
        issuers[parsed.issuer] = parsed
    return issuers


@functools.lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int, _size: int) -> dict[str, AttestationIssuer]:
    with open(path, "rb") as fh:
        raw = fh.read(_MAX_TRUST_LIST_BYTES + 1)
    if len(raw) > _MAX_TRUST_LIST_BYTES:
        raise ImproperlyConfigured(f"the trust list {path} is larger than 4 MiB")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeError) as exc:
        raise ImproperlyConfigured(f"the trust list {path} is not JSON: {exc}") from exc
    return parse_trust_list(data)


def load_trust_list(path: str) -> dict[str, AttestationIssuer]:
    """The issuers in the file at `path`, parsed again whenever the file changes (so an
    operator's update is read without a restart, and an unchanged file is parsed once)."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise ImproperlyConfigured(f"the trust list {path} cannot be read: {exc}") from exc
    return _load(path, stat.st_mtime_ns, stat.st_size)


def validated_signer(chain: list[bytes], anchors: tuple[x509.Certificate, ...], *, now: float) -> x509.Certificate:
    """The first certificate of `chain` (DER, signer first), once the chain validates up to one
    of `anchors` at `now`. Raises token_wrong_issuer for any chain that does not."""
    if not anchors:
        raise AssuranceError("token_wrong_issuer", "no certificates are trusted for this issuer")
    if not chain or len(chain) > _MAX_CHAIN_DEPTH:
        raise AssuranceError("token_malformed", "the certificate chain must be short and not empty")
    try:
        certificates = [x509.load_der_x509_certificate(der) for der in chain]
    except (ValueError, TypeError):
        raise AssuranceError("token_malformed", "the chain holds something that is not a certificate") from None
    builder = (
        verification.PolicyBuilder()
        .store(verification.Store(list(anchors)))
        .time(datetime.fromtimestamp(now, UTC))
        .max_chain_depth(_MAX_CHAIN_DEPTH)
        # The signing certificate of an attestation issuer is neither a TLS client nor a
        # server: its extensions are the issuer's business; the CAs above it follow the Web
        # PKI's rules (CA flag, key usage) so that an end-entity certificate cannot sign others.
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=verification.ExtensionPolicy.permit_all(),
        )
    )
    try:
        builder.build_client_verifier().verify(certificates[0], certificates[1:])
    except verification.VerificationError as exc:
        raise AssuranceError("token_wrong_issuer", f"certificate chain: {exc}") from None
    return certificates[0]


def key_from_x5c(x5c: Any, anchors: tuple[x509.Certificate, ...], *, now: float) -> Key:
    """The public key of the first certificate of an `x5c` header (base64 DER, RFC 7515),
    once the chain validates up to one of `anchors` at `now`."""
    if not isinstance(x5c, list) or not all(isinstance(item, str) for item in x5c):
        raise AssuranceError("token_malformed", "x5c must be a list of certificates")
    try:
        chain = [base64.b64decode(item, validate=True) for item in x5c]
    except (ValueError, binascii.Error):
        raise AssuranceError("token_malformed", "x5c holds something that is not base64") from None
    signer = validated_signer(chain, anchors, now=now)
    pem = signer.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        return load_public_key(pem)
    except ImproperlyConfigured:
        # A certificate with a key no allowed algorithm can use (a P-384 or 1024-bit RSA key):
        # the attestation cannot be verified here.
        raise AssuranceError("token_alg_not_allowed", "the certificate's key type is not accepted") from None
