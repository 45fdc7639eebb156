"""A tiny mdoc issuer and wallet for age attestations (ISO/IEC 18013-5 over OpenID4VP): for
tests, and for operators trying a trust list before a real wallet. Never used to verify.

    ca_pem, signer_der, signer_key = make_certificate_chain()          # sd_jwt_testing.py
    holder_key, _holder_jwk = make_issuer_keypair("ES256")             # testing.py
    issued = issue_mdoc(signer_key=signer_key, signer_der=signer_der,
                        holder_key=holder_key, age_claims={"age_over_18": True})
    vp = present_mdoc(issued, holder_key=holder_key, client_id=request["client_id"],
                      nonce=request["nonce"], response_uri=request["response_uri"])
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import cbor2
from joserfc.jwk import Key
from pycose.algorithms import Es256
from pycose.headers import Algorithm, X5chain
from pycose.keys import CoseKey
from pycose.messages import Sign1Message

from .mdoc import age_namespace, device_authentication_bytes, session_transcript

__all__ = ["AV_DOCTYPE", "IssuedMdoc", "issue_mdoc", "present_mdoc"]

AV_DOCTYPE = "eu.europa.ec.av.1"


@dataclass(frozen=True)
class IssuedMdoc:
    doctype: str
    items: dict[str, cbor2.CBORTag]  # elementIdentifier → IssuerSignedItemBytes
    issuer_auth: list[Any]


def _cose_private(key: Key) -> CoseKey:
    return CoseKey.from_pem_private_key(key.as_pem(private=True).decode())


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _cose_public(key: Key) -> dict[int, Any]:
    """An EC P-256 JWK as a COSE_Key (kty EC2, crv P-256, x, y)."""
    jwk = key.as_dict(private=False)
    return {1: 2, -1: 1, -2: _b64url(jwk["x"]), -3: _b64url(jwk["y"])}


def _sign1(payload: bytes | None, key: Key, *, unprotected: dict[Any, Any] | None = None,
           detached_payload: bytes | None = None) -> list[Any]:
    message = Sign1Message(phdr={Algorithm: Es256}, uhdr=unprotected or {},
                           payload=payload if payload is not None else detached_payload)
    message.key = _cose_private(key)
    encoded = cbor2.loads(message.encode(tag=False))
    if payload is None:
        encoded[2] = None  # detached: the verifier rebuilds what was signed
    return encoded


def issue_mdoc(
    *,
    signer_key: Key,
    signer_der: str,
    holder_key: Key,
    age_claims: dict[str, bool],
    doctype: str = AV_DOCTYPE,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> IssuedMdoc:
    """An mdoc whose age elements are each digested in a Mobile Security Object signed by the
    certificate `signer_der` (base64 DER, as make_certificate_chain returns it)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    namespace = age_namespace(doctype)
    items: dict[str, cbor2.CBORTag] = {}
    digests: dict[int, bytes] = {}
    for digest_id, (name, value) in enumerate(age_claims.items()):
        item = {"digestID": digest_id, "random": secrets.token_bytes(16),
                "elementIdentifier": name, "elementValue": value}
        tagged = cbor2.CBORTag(24, cbor2.dumps(item))
        items[name] = tagged
        digests[digest_id] = hashlib.sha256(cbor2.dumps(tagged)).digest()
    mso = {
        "version": "1.0",
        "digestAlgorithm": "SHA-256",
        "docType": doctype,
        "valueDigests": {namespace: digests},
        "deviceKeyInfo": {"deviceKey": _cose_public(holder_key)},
        "validityInfo": {
            "signed": now,
            "validFrom": valid_from or now,
            "validUntil": valid_until or now + dt.timedelta(days=90),
        },
    }
    payload = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(mso)))
    issuer_auth = _sign1(payload, signer_key, unprotected={X5chain: base64.b64decode(signer_der)})
    return IssuedMdoc(doctype=doctype, items=items, issuer_auth=issuer_auth)


def present_mdoc(
    issued: IssuedMdoc,
    *,
    holder_key: Key,
    client_id: str,
    nonce: str,
    response_uri: str,
    disclose: list[str] | None = None,
) -> str:
    """The base64url DeviceResponse a wallet posts as its vp_token entry."""
    names = list(issued.items) if disclose is None else disclose
    device_namespaces = cbor2.CBORTag(24, cbor2.dumps({}))
    signed = device_authentication_bytes(
        transcript=session_transcript(client_id=client_id, nonce=nonce, response_uri=response_uri),
        doctype=issued.doctype,
        device_namespaces=device_namespaces,
    )
    document = {
        "docType": issued.doctype,
        "issuerSigned": {
            "nameSpaces": {age_namespace(issued.doctype): [issued.items[n] for n in names]},
            "issuerAuth": issued.issuer_auth,
        },
        "deviceSigned": {
            "nameSpaces": device_namespaces,
            "deviceAuth": {"deviceSignature": _sign1(None, holder_key, detached_payload=signed)},
        },
    }
    response = {"version": "1.0", "documents": [document], "status": 0}
    return base64.urlsafe_b64encode(cbor2.dumps(response)).rstrip(b"=").decode()
