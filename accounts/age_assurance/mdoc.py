"""Verify an ISO mdoc presentation (a DeviceResponse, ISO/IEC 18013-5) shown over OpenID4VP:
the form of the EU age-verification app's proof-of-age attestation (`eu.europa.ec.av.1`).

The `vp_token` entry is the base64url CBOR DeviceResponse. Everything is checked before any
claim is read:

1. issuer authentication: `issuerAuth` is a COSE_Sign1 (ES256) by the first certificate of
   its `x5chain`, and that chain validates up to a certificate the trust list names for an
   issuer of this docType (trust_list.validated_signer);
2. the Mobile Security Object it signs: same docType, SHA-256 digests, and a validity
   period (`validFrom`..`validUntil`) that holds now;
3. each disclosed element: the SHA-256 of its IssuerSignedItemBytes is the digest the MSO
   holds for its digestID (a changed element has another digest, so it is refused);
4. device authentication (holder binding): `deviceSignature` is a COSE_Sign1 by the MSO's
   device key over DeviceAuthentication, whose SessionTranscript is OpenID4VP's redirect
   handover (`client_id`, `nonce`, `response_uri` of this request): a presentation made for
   another request or verifier does not verify.

Every signature is checked by pycose (on `cryptography`), every chain by `cryptography`; only
the CBOR structures that the signatures cover are built here, with cbor2.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pycose.algorithms import Es256
from pycose.exceptions import CoseException
from pycose.headers import Algorithm, X5chain
from pycose.keys import CoseKey, EC2Key
from pycose.messages import Sign1Message

from .base import AssuranceError
from .trust_list import AttestationIssuer, VerifiedAttestation, validated_signer

__all__ = [
    "MAX_DEVICE_RESPONSE_LENGTH",
    "MDOC_FORMAT",
    "age_namespace",
    "device_authentication_bytes",
    "session_transcript",
    "verify_device_response",
]

MDOC_FORMAT = "mso_mdoc"
# An age attestation with its certificate chain is 2-4 KiB of CBOR, a third more in base64.
MAX_DEVICE_RESPONSE_LENGTH = 32 * 1024
# Where a docType keeps its age_over_NN elements when that is not a namespace of its own name
# (the EU age-verification attestation's namespace is its docType, eu.europa.ec.av.1).
_AGE_NAMESPACES = {"org.iso.18013.5.1.mDL": "org.iso.18013.5.1"}
_CBOR_ERRORS = (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, OverflowError)


def age_namespace(doctype: str) -> str:
    """The namespace holding a docType's age_over_NN elements."""
    return _AGE_NAMESPACES.get(doctype, doctype)


def session_transcript(*, client_id: str, nonce: str, response_uri: str) -> list[Any]:
    """OpenID4VP's SessionTranscript for a redirect-based request whose response is not
    encrypted: [null, null, ["OpenID4VPHandover", sha256(cbor([client_id, nonce, null,
    response_uri]))]]."""
    info = cbor2.dumps([client_id, nonce, None, response_uri])
    return [None, None, ["OpenID4VPHandover", hashlib.sha256(info).digest()]]


def device_authentication_bytes(
    *, transcript: list[Any], doctype: str, device_namespaces: cbor2.CBORTag
) -> bytes:
    """What the device key signs (ISO/IEC 18013-5, 9.1.3.4): #6.24(bstr .cbor
    ["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes])."""
    inner = cbor2.dumps(["DeviceAuthentication", transcript, doctype, device_namespaces])
    return cbor2.dumps(cbor2.CBORTag(24, inner))


def _malformed(what: str) -> AssuranceError:
    return AssuranceError("token_malformed", what)


def _field(mapping: Any, name: str, kind: type | tuple[type, ...]) -> Any:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    if not isinstance(value, kind):
        raise _malformed(f"{name} is missing or of the wrong type")
    return value


def _embedded(tagged: Any, what: str) -> Any:
    """The CBOR inside a #6.24 byte string."""
    if not isinstance(tagged, cbor2.CBORTag) or tagged.tag != 24 or not isinstance(tagged.value, bytes):
        raise _malformed(f"{what} is not embedded CBOR")
    try:
        return cbor2.loads(tagged.value)
    except _CBOR_ERRORS:
        raise _malformed(f"{what} is not CBOR") from None


def _sign1(value: Any, what: str) -> Sign1Message:
    """A COSE_Sign1 array [protected, unprotected, payload, signature], ES256 only."""
    if isinstance(value, cbor2.CBORTag) and value.tag == 18:
        value = value.value
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not isinstance(value[0], bytes)
        or not isinstance(value[1], dict)
        or not isinstance(value[2], bytes | None)
        or not isinstance(value[3], bytes)
    ):
        raise _malformed(f"{what} is not a COSE_Sign1")
    try:
        message = Sign1Message.from_cose_obj(list(value), allow_unknown_attributes=True)
    except (CoseException, *_CBOR_ERRORS, KeyError, AttributeError):
        raise _malformed(f"{what}: unreadable COSE headers") from None
    if message.phdr.get(Algorithm) is not Es256:
        raise AssuranceError("token_alg_not_allowed", f"{what} is not ES256")
    return message


def _verified(message: Sign1Message, key: CoseKey) -> bool:
    message.key = key
    try:
        return bool(message.verify_signature())
    except (CoseException, ValueError, TypeError):
        return False


def _issuer_key(certificate_public_key: Any) -> CoseKey:
    if not isinstance(certificate_public_key, ec.EllipticCurvePublicKey) or not isinstance(
        certificate_public_key.curve, ec.SECP256R1
    ):
        raise AssuranceError("token_alg_not_allowed", "the issuer certificate's key is not P-256")
    pem = certificate_public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return CoseKey.from_pem_public_key(pem.decode())


def _chain(message: Sign1Message) -> list[bytes]:
    chain = message.uhdr.get(X5chain, message.phdr.get(X5chain))
    if isinstance(chain, bytes):
        return [chain]
    if isinstance(chain, list) and chain and all(isinstance(c, bytes) for c in chain):
        return chain
    raise AssuranceError("token_wrong_issuer", "issuerAuth carries no certificate chain")


def _check_validity(mso: dict[str, Any], now: float, leeway: int) -> None:
    validity = _field(mso, "validityInfo", dict)
    valid_from = _field(validity, "validFrom", datetime)
    valid_until = _field(validity, "validUntil", datetime)
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise _malformed("validity dates must carry a time zone")
    if now + leeway < valid_from.timestamp():
        raise AssuranceError("token_not_yet_valid", "validFrom is in the future")
    if now >= valid_until.timestamp() + leeway:
        raise AssuranceError("token_expired")


def _disclosed(issuer_signed: dict[str, Any], mso: dict[str, Any], doctype: str) -> dict[str, Any]:
    """Every element of every namespace checked against the MSO's digests; the age namespace's
    elements returned by identifier."""
    if mso.get("digestAlgorithm") != "SHA-256":
        raise AssuranceError("vp_disclosure_invalid", "only SHA-256 digests are accepted")
    digests = _field(mso, "valueDigests", dict)
    claims: dict[str, Any] = {}
    for namespace, items in _field(issuer_signed, "nameSpaces", dict).items():
        expected = digests.get(namespace)
        if not isinstance(items, list) or not isinstance(expected, dict):
            raise AssuranceError("vp_disclosure_invalid", f"no digests for namespace {namespace!r}")
        seen: set[str] = set()
        for tagged in items:
            item = _embedded(tagged, "an IssuerSignedItem")
            digest_id = item.get("digestID") if isinstance(item, dict) else None
            name = item.get("elementIdentifier") if isinstance(item, dict) else None
            if not isinstance(digest_id, int) or not isinstance(name, str) or "elementValue" not in item:
                raise _malformed("an IssuerSignedItem lacks digestID, elementIdentifier or elementValue")
            if expected.get(digest_id) != hashlib.sha256(cbor2.dumps(tagged)).digest():
                raise AssuranceError("vp_disclosure_invalid", f"{namespace}/{name} does not match its digest")
            if name in seen:
                raise AssuranceError("vp_disclosure_invalid", f"{namespace}/{name} disclosed twice")
            seen.add(name)
            if namespace == age_namespace(doctype):
                claims[name] = item["elementValue"]
    return claims


def _device_key(mso: dict[str, Any]) -> CoseKey:
    key_info = mso.get("deviceKeyInfo")
    cose_key = key_info.get("deviceKey") if isinstance(key_info, dict) else None
    # EC2 (kty 2) on P-256 (crv 1) only: the curve ES256 signs with.
    if not isinstance(cose_key, dict) or cose_key.get(1) != 2 or cose_key.get(-1) != 1:
        raise AssuranceError("vp_holder_binding_invalid", "the device key is not a P-256 key")
    try:
        return EC2Key.from_dict(cose_key)
    except (CoseException, ValueError, TypeError, KeyError):
        raise AssuranceError("vp_holder_binding_invalid", "the device key is not usable") from None


def _decode(encoded: Any) -> dict[str, Any]:
    if not isinstance(encoded, str) or not encoded:
        raise AssuranceError("payload_invalid", "the presentation must be a string")
    if len(encoded) > MAX_DEVICE_RESPONSE_LENGTH:
        raise _malformed("the presentation is too large")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        response = cbor2.loads(raw)
    except (binascii.Error, *_CBOR_ERRORS):
        raise AssuranceError("vp_format_not_supported", "not a base64url CBOR DeviceResponse") from None
    if not isinstance(response, dict):
        raise AssuranceError("vp_format_not_supported", "not a DeviceResponse")
    return response


def verify_device_response(
    encoded: Any,
    *,
    issuers: Mapping[str, AttestationIssuer],
    doctype: str,
    client_id: str,
    nonce: str,
    response_uri: str,
    now: float,
    leeway: int,
) -> VerifiedAttestation:
    """Check a DeviceResponse of `doctype` made for this request (`client_id`, `nonce`,
    `response_uri`); raise AssuranceError. No side effects."""
    response = _decode(encoded)
    documents = _field(response, "documents", list)
    if len(documents) != 1:
        raise AssuranceError("payload_invalid", "exactly one document is expected")
    document = documents[0]
    presented = _field(document, "docType", str)
    candidates = [i for i in issuers.values() if presented in i.doctypes]
    if presented != doctype or not candidates:
        raise AssuranceError("vp_credential_type_not_accepted", f"docType {presented!r}")

    issuer_signed = _field(document, "issuerSigned", dict)
    issuer_auth = _sign1(issuer_signed.get("issuerAuth"), "issuerAuth")
    chain = _chain(issuer_auth)
    issuer: AttestationIssuer | None = None
    signer = None
    refusal = AssuranceError("token_wrong_issuer")
    for candidate in candidates:
        try:
            signer = validated_signer(chain, candidate.anchors, now=now)
        except AssuranceError as error:
            refusal = error
            continue
        issuer = candidate
        break
    if issuer is None or signer is None:
        raise refusal
    if issuer_auth.payload is None or not _verified(issuer_auth, _issuer_key(signer.public_key())):
        raise AssuranceError("token_invalid_signature")

    try:
        mso = _embedded(cbor2.loads(issuer_auth.payload), "the MSO")
    except _CBOR_ERRORS:
        raise _malformed("the MSO is not CBOR") from None
    if not isinstance(mso, dict) or mso.get("docType") != doctype:
        raise AssuranceError("token_claims_invalid", "the MSO is for another docType")
    _check_validity(mso, now, leeway)
    claims = _disclosed(issuer_signed, mso, doctype)

    device_signed = document.get("deviceSigned")
    if device_signed is None:
        raise AssuranceError("vp_holder_binding_missing")
    device_auth = _field(device_signed, "deviceAuth", dict)
    if "deviceSignature" not in device_auth:
        # deviceMac needs a reader key exchange that OpenID4VP's redirect flow does not have.
        raise AssuranceError("vp_holder_binding_invalid", "only deviceSignature is accepted")
    device_signature = _sign1(device_auth["deviceSignature"], "deviceSignature")
    device_signature.payload = device_authentication_bytes(
        transcript=session_transcript(client_id=client_id, nonce=nonce, response_uri=response_uri),
        doctype=doctype,
        device_namespaces=_field(device_signed, "nameSpaces", cbor2.CBORTag),
    )
    if not _verified(device_signature, _device_key(mso)):
        # Another device key, or made for another request: client_id, nonce and response_uri
        # are all inside the transcript it signs.
        raise AssuranceError("vp_holder_binding_invalid", "deviceSignature does not verify for this request")
    return VerifiedAttestation(issuer=issuer, claims=claims)
