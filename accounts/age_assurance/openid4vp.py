"""The `openid4vp` provider: an age attestation shown by a wallet over OpenID4VP.

Phare is the verifier. The flow (docs/age-assurance.md, "The openid4vp provider"):

1. `create_request` (the signed-in browser): a transaction holding a nonce bound to the
   session, and an authorization request asking, by DCQL, for an SD-JWT VC that discloses only
   the `age_over_NN` claims that place the account's band; `response_mode` direct_post, the
   `response_uri` and the `client_id` (`redirect_uri:` + response_uri, as the EU
   age-verification profile asks). Where the trust list has mdoc issuers, the request offers
   an mdoc of their docTypes as the alternative (DCQL `credential_sets`).
2. `receive_response` (the wallet, without cookies): the `vp_token`, checked at once
   (sd_jwt_vc.verify_presentation or mdoc.verify_device_response) against the transaction's
   nonce, client_id and response_uri; one response per transaction. The outcome is kept with
   the transaction: the result or an error code.
3. `transaction_status` (the browser, same session): pending, verified or refused.
4. `POST /api/v1/age-assurance/openid4vp {"transaction"}` (the browser, same session), the
   generic completion: `claimed_nonce` names the transaction's nonce, the flow consumes it for
   this session (so only the session that asked can collect, once), `complete` returns the
   result for the view to store.

Kept in the cache for a few minutes and nowhere else: the nonce, the session's hash, the
thresholds asked, and then the result (band, level, method, issuer id, time) or the error code.
The presentation itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from .base import (
    AgeBand,
    AssuranceError,
    AssuranceLevel,
    AssuranceMethod,
    AssuranceResult,
    MINIMUM_AGE,
)
from .nonces import DEFAULT_TTL_SECONDS, NonceStore, issue_nonce
from .mdoc import MDOC_FORMAT, age_namespace, verify_device_response
from .sd_jwt_vc import verify_presentation
from .signed_token import ALLOWED_ALGORITHMS, DEFAULT_LEEWAY_SECONDS
from .trust_list import AttestationIssuer, load_trust_list

__all__ = [
    "CREDENTIAL_QUERY_ID",
    "MDOC_QUERY_PREFIX",
    "OpenID4VPProvider",
    "age_thresholds_for",
    "band_from_claims",
]

# The ids of the DCQL credential queries; the vp_token answers under the one the wallet chose.
CREDENTIAL_QUERY_ID = "age_attestation"  # the SD-JWT VC
MDOC_QUERY_PREFIX = "age_attestation_mdoc_"  # one per accepted docType, numbered
SD_JWT_VC_FORMAT = "dc+sd-jwt"
_ES256_COSE = -7
# A transaction outlives its nonce a little, so a late wallet hears "expired", not "unknown".
_TRANSACTION_TTL_SECONDS = DEFAULT_TTL_SECONDS + 60
_TRANSACTION_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_METHOD_FOR_LEVEL = {
    AssuranceLevel.ESTIMATED: AssuranceMethod.ESTIMATION,
    AssuranceLevel.VERIFIED: AssuranceMethod.VERIFICATION,
}


def age_thresholds_for(band: AgeBand, *, min_age: int = MINIMUM_AGE) -> tuple[int, ...]:
    """The `age_over_NN` claims that place someone in `band`, and no more.

    An adult needs only age_over_18. A minor's band needs both its edges: "over 16" alone
    would let an adult into the 16-17 space, so age_over_18 (false) is asked too. The lower
    edge of 13-15 is age_over_15 where the operator raised the minimum age to 15 or more.
    """
    if band is AgeBand.ADULT:
        return (18,)
    if band is AgeBand.OLDER_TEEN:
        return (16, 18)
    return (15 if min_age >= 15 else 13, 16)


def band_from_claims(claims: Mapping[str, Any], thresholds: tuple[int, ...]) -> AgeBand:
    """The band the disclosed `age_over_NN` claims prove, reading only the thresholds asked."""
    values: dict[int, bool] = {}
    for age in thresholds:
        value = claims.get(f"age_over_{age}")
        if value is None:
            raise AssuranceError("vp_age_claim_missing", f"age_over_{age} not disclosed")
        if not isinstance(value, bool):
            raise AssuranceError("token_claims_invalid", f"age_over_{age} must be true or false")
        values[age] = value
    ordered = sorted(values)
    if any(values[higher] and not values[lower] for lower, higher in zip(ordered, ordered[1:])):
        raise AssuranceError("token_claims_invalid", "the age claims contradict each other")
    if values.get(18) is True:
        return AgeBand.ADULT
    if values.get(16) is True and values.get(18) is False:
        return AgeBand.OLDER_TEEN
    lower = values.get(13, values.get(15))
    if lower is True and values.get(16) is False:
        return AgeBand.YOUNG_TEEN
    # E.g. age_over_18 false for an adult's account: it proves no band asked for, and Phare
    # will not guess which minors' space applies.
    raise AssuranceError("vp_age_not_proven")


def _transaction_key(transaction: str) -> str:
    return "age-assurance:openid4vp:" + hashlib.sha256(transaction.encode()).hexdigest()


def _session_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


class OpenID4VPProvider:
    name = "openid4vp"
    label = _("Age proof from your digital identity wallet")
    requires_nonce = True
    signup_only = False

    def __init__(
        self,
        *,
        trust_list_path: str,
        store: NonceStore,
        min_age: int = MINIMUM_AGE,
        leeway_seconds: int = DEFAULT_LEEWAY_SECONDS,
    ) -> None:
        self.trust_list_path = trust_list_path
        self.store = store
        self.min_age = min_age
        self.leeway_seconds = leeway_seconds

    @property
    def issuers(self) -> dict[str, AttestationIssuer]:
        """The trusted issuers; none without a trust list (the provider is then off)."""
        return load_trust_list(self.trust_list_path) if self.trust_list_path else {}

    @property
    def level(self) -> AssuranceLevel:
        """The strongest level some trusted issuer may grant."""
        return max((i.level for i in self.issuers.values()), default=AssuranceLevel.ESTIMATED)

    def available(self) -> bool:
        return bool(self.issuers)

    def start(self, *, nonce: str) -> dict[str, Any]:
        # This provider makes its own nonce per request (step 1), not the generic one.
        return {"provider": self.name, "request_endpoint": "/api/v1/age-assurance/openid4vp/requests"}

    # --- 1. the browser asks for a request -----------------------------------------------

    def create_request(
        self, *, session_key: str, band: str, response_uri: str, now: datetime | None = None
    ) -> dict[str, Any]:
        """A transaction for this session and the authorization request for the wallet.
        Side effect: a nonce and the transaction in the store, for a few minutes."""
        try:
            thresholds = age_thresholds_for(AgeBand(band), min_age=self.min_age)
        except ValueError:
            raise AssuranceError("payload_invalid", "age_band: 13-15, 16-17 or 18+") from None
        nonce, expires_at = issue_nonce(store=self.store, session_key=session_key, now=now)
        transaction = secrets.token_urlsafe(32)
        client_id = f"redirect_uri:{response_uri}"
        queries, formats = self._credential_queries(thresholds)
        dcql: dict[str, Any] = {"credentials": queries}
        if len(queries) > 1:
            dcql["credential_sets"] = [{"options": [[query["id"]] for query in queries]}]
        request = {
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "client_id": client_id,
            "response_uri": response_uri,
            "nonce": nonce,
            "state": transaction,
            "dcql_query": dcql,
            "client_metadata": {"vp_formats_supported": formats},
        }
        self.store.set(
            _transaction_key(transaction),
            {
                "nonce": nonce,
                "session": _session_hash(session_key),
                "thresholds": list(thresholds),
                "client_id": client_id,
                "response_uri": response_uri,
                # query id → the docType it asks for (None for the SD-JWT VC)
                "queries": {q["id"]: q["meta"].get("doctype_value") for q in queries},
                "status": "pending",
            },
            _TRANSACTION_TTL_SECONDS,
        )
        query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in request.items()}
        return {
            "transaction": transaction,
            "expires_at": expires_at,
            "request": request,
            "wallet_url": "openid4vp://?" + urlencode(query),
        }

    def _credential_queries(
        self, thresholds: tuple[int, ...]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The DCQL credential queries (an SD-JWT VC of the accepted types, an mdoc of each
        accepted docType) and the formats' algorithms, each asking only `thresholds`."""
        issuers = self.issuers.values()
        vcts = sorted({vct for issuer in issuers for vct in issuer.vcts})
        doctypes = sorted({doctype for issuer in issuers for doctype in issuer.doctypes})
        queries: list[dict[str, Any]] = []
        formats: dict[str, Any] = {}
        if vcts:
            algs = sorted(ALLOWED_ALGORITHMS)
            queries.append({
                "id": CREDENTIAL_QUERY_ID,
                "format": SD_JWT_VC_FORMAT,
                "meta": {"vct_values": vcts},
                "claims": [{"path": [f"age_over_{age}"]} for age in thresholds],
            })
            formats[SD_JWT_VC_FORMAT] = {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs}
        for number, doctype in enumerate(doctypes):
            queries.append({
                "id": f"{MDOC_QUERY_PREFIX}{number}",
                "format": MDOC_FORMAT,
                "meta": {"doctype_value": doctype},
                "claims": [
                    {"path": [age_namespace(doctype), f"age_over_{age}"], "intent_to_retain": False}
                    for age in thresholds
                ],
            })
            formats[MDOC_FORMAT] = {
                "issuerauth_alg_values": [_ES256_COSE], "deviceauth_alg_values": [_ES256_COSE]
            }
        return queries, formats

    # --- 2. the wallet answers ------------------------------------------------------------

    def _transaction(self, transaction: Any) -> dict[str, Any]:
        if not isinstance(transaction, str) or not _TRANSACTION_SHAPE.match(transaction):
            raise AssuranceError("vp_request_unknown", "not a transaction id")
        found = self.store.get(_transaction_key(transaction))
        if found is None:
            raise AssuranceError("vp_request_unknown", "unknown or expired")
        return dict(found)

    def receive_response(self, *, form: Mapping[str, Any], now: datetime | None = None) -> None:
        """Check the wallet's direct_post (`vp_token`, `state`) and record the outcome.

        One response per transaction: a second one is refused (token_nonce_replayed) whatever
        the first one's outcome, so a refused presentation cannot be retried or tampered with
        until it passes. Raises AssuranceError; the code is also kept for the browser."""
        now = now or datetime.now(UTC)
        transaction = form.get("state")
        record = self._transaction(transaction)
        key = _transaction_key(transaction)
        if not self.store.add(key + ":answered", 1, _TRANSACTION_TTL_SECONDS):
            raise AssuranceError("token_nonce_replayed", "this request was already answered")
        try:
            result = self._verify(form, record, now)
        except AssuranceError as error:
            self.store.set(key, {**record, "status": "refused", "error": error.code}, _TRANSACTION_TTL_SECONDS)
            raise
        self.store.set(key, {**record, "status": "verified", "result": result}, _TRANSACTION_TTL_SECONDS)

    def _verify(self, form: Mapping[str, Any], record: dict[str, Any], now: datetime) -> AssuranceResult:
        if form.get("error") is not None:
            raise AssuranceError("vp_wallet_declined", "the wallet answered with an error")
        query_id, presentation = _presentation(form.get("vp_token"), record["queries"])
        doctype = record["queries"][query_id]
        if doctype is None:
            attestation = verify_presentation(
                presentation,
                issuers=self.issuers,
                audience=record["client_id"],
                nonce=record["nonce"],
                now=now.timestamp(),
                leeway=self.leeway_seconds,
                max_binding_age=DEFAULT_TTL_SECONDS,
            )
        else:
            attestation = verify_device_response(
                presentation,
                issuers=self.issuers,
                doctype=doctype,
                client_id=record["client_id"],
                nonce=record["nonce"],
                response_uri=record["response_uri"],
                now=now.timestamp(),
                leeway=self.leeway_seconds,
            )
        band = band_from_claims(attestation.claims, tuple(record["thresholds"]))
        level = attestation.issuer.level
        return AssuranceResult(
            age_band=band,
            level=level,
            method=_METHOD_FOR_LEVEL[level],
            provider=self.name,
            assured_at=now,
            issuer=attestation.issuer.issuer,
        )

    # --- 3. the browser waits -------------------------------------------------------------

    def transaction_status(self, *, transaction: Any, session_key: str) -> dict[str, Any]:
        """Where the transaction stands, for the session that made it only (others: unknown)."""
        record = self._transaction(transaction)
        if not hmac.compare_digest(record["session"], _session_hash(session_key)):
            raise AssuranceError("vp_request_unknown", "another session's transaction")
        status: dict[str, Any] = {"transaction": transaction, "status": record["status"]}
        if record["status"] == "refused":
            error = AssuranceError(record["error"])
            status["error"] = {"code": error.code, "message": str(error.message)}
        return status

    # --- 4. the browser collects (the generic completion) ---------------------------------

    def claimed_nonce(self, payload: dict[str, Any]) -> str | None:
        """The transaction's nonce, once the wallet's answer was verified; the flow then
        consumes it for the calling session. Pending or refused answers raise before that, so
        asking too early does not use the nonce up."""
        record = self._transaction(payload.get("transaction") if isinstance(payload, dict) else None)
        if record["status"] == "pending":
            raise AssuranceError("vp_response_pending")
        if record["status"] == "refused":
            raise AssuranceError(record["error"])
        return str(record["nonce"])

    def complete(
        self, *, payload: dict[str, Any], expected_nonce: str | None, now: datetime
    ) -> AssuranceResult:
        record = self._transaction(payload.get("transaction") if isinstance(payload, dict) else None)
        if (
            record["status"] != "verified"
            or expected_nonce is None
            or not hmac.compare_digest(str(record["nonce"]).encode(), expected_nonce.encode())
        ):
            raise AssuranceError("token_nonce_invalid", "not this session's verified transaction")
        self.store.delete(_transaction_key(payload["transaction"]))
        result = record["result"]
        assert isinstance(result, AssuranceResult)  # only receive_response writes it
        return result


def _presentation(vp_token: Any, queries: Mapping[str, Any]) -> tuple[str, Any]:
    """The query answered and its one presentation. direct_post sends `vp_token` as a JSON
    string (form encoding); a JSON body may carry the object itself. OpenID4VP 1.0 puts a
    list of presentations under the query id; earlier drafts a single string."""
    if isinstance(vp_token, str):
        try:
            vp_token = json.loads(vp_token)
        except (ValueError, RecursionError):
            raise AssuranceError("payload_invalid", "vp_token is not JSON") from None
    if not isinstance(vp_token, dict) or len(vp_token) != 1:
        raise AssuranceError("payload_invalid", "vp_token must be {query id: [presentation]}")
    query_id, answer = next(iter(vp_token.items()))
    if query_id not in queries:
        raise AssuranceError("payload_invalid", f"vp_token must answer one of {sorted(queries)}")
    if isinstance(answer, list):
        if len(answer) != 1:
            raise AssuranceError("payload_invalid", "exactly one presentation is expected")
        answer = answer[0]
    return query_id, answer
