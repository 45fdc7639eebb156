"""A tiny attestation issuer and wallet for SD-JWT VC age attestations: for tests, and for
operators trying a trust list before a real wallet. Never used to verify anything.

    issuer_key, issuer_jwk = make_issuer_keypair("ES256", kid="av-1")   # testing.py
    holder_key, holder_jwk = make_issuer_keypair("ES256")
    credential = issue_attestation(issuer_key=issuer_key, iss="https://av.example",
                                   vct="urn:example:av:1", holder_jwk=holder_jwk,
                                   age_claims={"age_over_18": True})
    presentation = present(credential, holder_key=holder_key, nonce=request["nonce"],
                           aud=request["client_id"], disclose=["age_over_18"])
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from joserfc.jwk import JWKRegistry, Key

from .sd_jwt_vc import sd_hash
from .testing import sign_token

__all__ = [
    "Credential",
    "disclosure_for",
    "issue_attestation",
    "make_certificate_chain",
    "present",
]


@dataclass(frozen=True)
class Credential:
    """What a wallet holds: the issuer-signed JWT and one disclosure per selectively
    disclosable claim."""

    issuer_jwt: str
    disclosures: dict[str, str] = field(default_factory=dict)


def disclosure_for(name: str, value: Any, *, salt: str | None = None) -> str:
    """An object-property disclosure, base64url([salt, name, value]) as RFC 9901 writes it."""
    raw = json.dumps([salt or secrets.token_urlsafe(16), name, value]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def issue_attestation(
    *,
    issuer_key: Key,
    iss: str,
    vct: str,
    holder_jwk: dict[str, Any],
    age_claims: dict[str, bool],
    alg: str = "ES256",
    lifetime_seconds: int = 90 * 24 * 3600,
    now: float | None = None,
    extra_claims: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
) -> Credential:
    """An SD-JWT VC whose age claims are each selectively disclosable."""
    issued = int(now if now is not None else time.time())
    disclosures = {name: disclosure_for(name, value) for name, value in age_claims.items()}
    payload: dict[str, Any] = {
        "iss": iss,
        "iat": issued,
        "exp": issued + lifetime_seconds,
        "vct": vct,
        "cnf": {"jwk": holder_jwk},
        "_sd_alg": "sha-256",
        # Sorted digests: their order says nothing about which claim is which.
        "_sd": sorted(sd_hash(d) for d in disclosures.values()),
        **(extra_claims or {}),
    }
    issuer_jwt = sign_token(payload, issuer_key, alg, headers={"typ": "dc+sd-jwt", **(headers or {})})
    return Credential(issuer_jwt=issuer_jwt, disclosures=disclosures)


def present(
    credential: Credential,
    *,
    holder_key: Key,
    nonce: str,
    aud: str,
    disclose: list[str] | None = None,
    alg: str = "ES256",
    iat: float | None = None,
) -> str:
    """The presentation a wallet sends: the chosen disclosures and a KB-JWT over them."""
    names = list(credential.disclosures) if disclose is None else disclose
    shown = credential.issuer_jwt + "~" + "".join(credential.disclosures[n] + "~" for n in names)
    binding = {
        "iat": int(iat if iat is not None else time.time()),
        "aud": aud,
        "nonce": nonce,
        "sd_hash": sd_hash(shown),
    }
    return shown + sign_token(binding, holder_key, alg, headers={"typ": "kb+jwt"})


def make_certificate_chain(*, days: int = 365) -> tuple[str, str, Key]:
    """A CA certificate (PEM, for the trust list), a signing certificate it issued (base64 DER,
    for an `x5c` header) and the signing certificate's private key (for issue_attestation)."""
    now = dt.datetime.now(dt.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Test age attestation CA"))
        .issuer_name(name("Test age attestation CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(name("Test age attestation signer"))
        .issuer_name(ca.subject)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    signer_der = base64.b64encode(signer.public_bytes(serialization.Encoding.DER)).decode()
    private_pem = signer_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca_pem, signer_der, JWKRegistry.import_key(private_pem, "EC")
