"""The vocabulary every age-assurance provider speaks: levels, bands, results, errors.

Nothing here touches the database, HTTP or settings, so the core can store a result however it
likes and the providers can be tested alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from django.utils.translation import gettext_lazy as _

__all__ = [
    "AgeAssuranceProvider",
    "AgeBand",
    "AssuranceError",
    "AssuranceLevel",
    "AssuranceMethod",
    "AssuranceResult",
    "ERROR_MESSAGES",
    "MINIMUM_AGE",
    "band_for_age",
    "level_at_least",
]

# Phare refuses anyone under 13 (docs/decisions.md, "The design in brief").
MINIMUM_AGE = 13


class AssuranceLevel(enum.StrEnum):
    """How sure we are of a band. Compared by strength, never alphabetically."""

    DECLARED = "declared"
    ESTIMATED = "estimated"
    VERIFIED = "verified"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    # str already defines ordering (alphabetical), so every operator is overridden explicitly:
    # functools.total_ordering would keep str's versions.
    def __lt__(self, other: object) -> bool:
        return self.rank < _coerce_level(other).rank

    def __le__(self, other: object) -> bool:
        return self.rank <= _coerce_level(other).rank

    def __gt__(self, other: object) -> bool:
        return self.rank > _coerce_level(other).rank

    def __ge__(self, other: object) -> bool:
        return self.rank >= _coerce_level(other).rank


_LEVEL_RANK = {
    AssuranceLevel.DECLARED: 0,
    AssuranceLevel.ESTIMATED: 1,
    AssuranceLevel.VERIFIED: 2,
}


def _coerce_level(value: object) -> AssuranceLevel:
    if isinstance(value, AssuranceLevel):
        return value
    if isinstance(value, str):
        return AssuranceLevel(value)  # ValueError for an unknown level: a programming error
    raise TypeError(f"cannot compare an assurance level with {type(value).__name__}")


def level_at_least(have: str | AssuranceLevel, need: str | AssuranceLevel) -> bool:
    """True when `have` is as strong as `need` or stronger. Unknown levels raise ValueError."""
    return _coerce_level(have) >= _coerce_level(need)


class AgeBand(enum.StrEnum):
    YOUNG_TEEN = "13-15"
    OLDER_TEEN = "16-17"
    ADULT = "18+"

    @property
    def is_minor(self) -> bool:
        return self is not AgeBand.ADULT


class AssuranceMethod(enum.StrEnum):
    SELF_DECLARATION = "self_declaration"
    ESTIMATION = "estimation"
    VERIFICATION = "verification"


# Stable codes → messages in the user's language. The code is the contract; the words may change.
ERROR_MESSAGES: dict[str, Any] = {
    "age_below_minimum": _("You must be at least 13 years old to use Phare."),
    "birthdate_invalid": _("This birthdate is not valid."),
    "payload_invalid": _("The age check request is missing a field or has a wrong value."),
    "provider_unknown": _("This age check method does not exist here."),
    "provider_unavailable": _("This age check method is not available right now."),
    "token_malformed": _("The age token could not be read."),
    "token_alg_not_allowed": _("The age token uses a signature method that is not accepted."),
    "token_invalid_signature": _("The age token's signature is not valid."),
    "token_wrong_issuer": _("The age token comes from a service this site does not trust."),
    "token_wrong_audience": _("The age token was made for another site."),
    "token_expired": _("The age token has expired. Please start the age check again."),
    "token_not_yet_valid": _("The age token is not valid yet. Check your device's clock."),
    "token_nonce_invalid": _("The age check session is not valid. Please start again."),
    "token_nonce_replayed": _("This age token was already used. Please start again."),
    "token_claims_invalid": _("The age token does not say which age band you are in."),
    "token_method_not_allowed": _("This site does not accept this check from that service."),
    # OpenID4VP (a wallet presenting an age attestation): docs/age-assurance.md.
    "vp_request_unknown": _("This age check request has expired or does not exist. Please start again."),
    "vp_response_pending": _("Your wallet has not answered yet."),
    "vp_wallet_declined": _("Your wallet did not share the age proof."),
    "vp_format_not_supported": _("This kind of age proof is not accepted here."),
    "vp_credential_type_not_accepted": _("This site does not accept this kind of attestation."),
    "vp_disclosure_invalid": _("The age proof was changed after it was issued."),
    "vp_holder_binding_missing": _("The age proof is not confirmed by the wallet that holds it."),
    "vp_holder_binding_invalid": _("The wallet's confirmation of the age proof is not valid."),
    "vp_age_claim_missing": _("The age proof does not include the age this check asked for."),
    "vp_age_not_proven": _("The age proof does not show the age band this check asked for."),
}


class AssuranceError(Exception):
    """A refused age check, with a stable snake_case `code` the client can act on.

    The detail is for logs and tests; users see `message`, looked up from the code.
    """

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    @property
    def message(self) -> Any:
        return ERROR_MESSAGES.get(self.code, self.code)


def band_for_age(years: int) -> AgeBand:
    """The band of someone `years` old; under 13 is refused, never banded."""
    if years < MINIMUM_AGE:
        raise AssuranceError("age_below_minimum")
    if years < 16:
        return AgeBand.YOUNG_TEEN
    if years < 18:
        return AgeBand.OLDER_TEEN
    return AgeBand.ADULT


@dataclass(frozen=True, slots=True)
class AssuranceResult:
    """What an age check proved. This, and only this, may be stored.

    `band_until` is the day the band ends (16th or 18th birthday) when the provider knows it,
    so a declared 15-year-old moves to 16-17 on time; token providers never know it (None).
    `issuer` names the trusted service that vouched for the result (an attestation issuer),
    when the provider has one worth recording; it identifies the service, never the person.
    """

    age_band: AgeBand
    level: AssuranceLevel
    method: AssuranceMethod
    provider: str
    assured_at: datetime
    band_until: date | None = None
    issuer: str | None = None

    def __post_init__(self) -> None:
        # Coerce plain strings so a bad value fails here, not later in a query.
        object.__setattr__(self, "age_band", AgeBand(self.age_band))
        object.__setattr__(self, "level", AssuranceLevel(self.level))
        object.__setattr__(self, "method", AssuranceMethod(self.method))
        if self.assured_at.tzinfo is None or self.assured_at.utcoffset() != timedelta(0):
            raise ValueError("assured_at must be an aware datetime in UTC")

    def as_dict(self) -> dict[str, str | None]:
        """A JSON-ready record, e.g. for an audit entry (`issuer` only when there is one)."""
        record = {
            "age_band": self.age_band.value,
            "level": self.level.value,
            "method": self.method.value,
            "provider": self.provider,
            "assured_at": self.assured_at.isoformat(),
            "band_until": self.band_until.isoformat() if self.band_until else None,
        }
        if self.issuer is not None:
            record["issuer"] = self.issuer
        return record


@runtime_checkable
class AgeAssuranceProvider(Protocol):
    """A way to establish a user's age band.

    - `name`: stable id used in URLs (`/api/v1/age-assurance/<name>`) and stored with a result.
    - `level`: the strongest level this provider can grant (a room needing more will not list it).
    - `label`: user-facing, translatable.
    - `requires_nonce`: the client must fetch `/age-assurance/nonce` first and the view must
      consume it (see `flow.complete_assurance`).
    - `signup_only`: only usable while creating the account (the declared birthdate); never
      offered to satisfy a room, and never a way to change a band afterwards.
    """

    name: str
    label: Any
    requires_nonce: bool
    signup_only: bool

    @property
    def level(self) -> AssuranceLevel: ...

    def available(self) -> bool:
        """Whether this provider may be used on this server right now."""
        ...

    def start(self, *, nonce: str) -> dict[str, Any]:
        """What the client needs to begin (issuer addresses, the audience, the nonce...)."""
        ...

    def claimed_nonce(self, payload: dict[str, Any]) -> str | None:
        """The nonce the payload says it answers, to be consumed before `complete`; None when
        the provider uses no nonce. Nothing else from the payload may be trusted here."""
        ...

    def complete(
        self, *, payload: dict[str, Any], expected_nonce: str | None, now: datetime
    ) -> AssuranceResult:
        """Check the client's answer and return what it proved; raise AssuranceError if not."""
        ...
