"""The `declared` provider: the birthdate typed at sign-up.

The weakest level. The birthdate itself is not kept: only the band and the day it ends.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import (
    MINIMUM_AGE,
    AgeBand,
    AssuranceError,
    AssuranceLevel,
    AssuranceMethod,
    AssuranceResult,
    band_for_age,
)

__all__ = ["DeclaredProvider", "age_on", "parse_birthdate"]

# Older than anyone alive: a typo or a test of the form, not a birthdate.
_MAX_AGE = 120


def age_on(birthdate: date, today: date) -> int:
    """Whole years between `birthdate` and `today` (a 29 February birthday counts on 1 March)."""
    before_birthday = (today.month, today.day) < (birthdate.month, birthdate.day)
    return today.year - birthdate.year - before_birthday


def _birthday(birthdate: date, years: int) -> date:
    try:
        return birthdate.replace(year=birthdate.year + years)
    except ValueError:  # 29 February in a common year: the birthday is counted on 1 March
        return date(birthdate.year + years, 3, 1)


def parse_birthdate(value: Any, today: date) -> date:
    if not isinstance(value, str):
        raise AssuranceError("payload_invalid", "birthdate must be a YYYY-MM-DD string")
    try:
        birthdate = date.fromisoformat(value)
    except ValueError:
        raise AssuranceError("birthdate_invalid", "not a YYYY-MM-DD date") from None
    # fromisoformat also accepts forms like 20100101; keep the one the protocol documents.
    if len(value) != 10 or birthdate > today or age_on(birthdate, today) > _MAX_AGE:
        raise AssuranceError("birthdate_invalid")
    return birthdate


class DeclaredProvider:
    name = "declared"
    level = AssuranceLevel.DECLARED
    label = _("Your date of birth")
    requires_nonce = False
    signup_only = True

    def __init__(self, *, min_age: int = MINIMUM_AGE) -> None:
        # An operator may raise the minimum (PHARE_MIN_AGE), never lower it below the bands.
        if min_age < MINIMUM_AGE:
            raise ValueError(f"the minimum age cannot be below {MINIMUM_AGE}")
        self.min_age = min_age

    def available(self) -> bool:
        return True

    def start(self, *, nonce: str) -> dict[str, Any]:
        return {"provider": self.name, "fields": ["birthdate"]}

    def claimed_nonce(self, payload: dict[str, Any]) -> str | None:
        return None

    def complete(
        self, *, payload: dict[str, Any], expected_nonce: str | None, now: datetime
    ) -> AssuranceResult:
        if not isinstance(payload, dict):
            raise AssuranceError("payload_invalid")
        today = now.date()
        birthdate = parse_birthdate(payload.get("birthdate"), today)
        age = age_on(birthdate, today)
        if age < self.min_age:
            raise AssuranceError("age_below_minimum")
        band = band_for_age(age)
        band_until = {
            AgeBand.YOUNG_TEEN: _birthday(birthdate, 16),
            AgeBand.OLDER_TEEN: _birthday(birthdate, 18),
            AgeBand.ADULT: None,
        }[band]
        return AssuranceResult(
            age_band=band,
            level=self.level,
            method=AssuranceMethod.SELF_DECLARATION,
            provider=self.name,
            assured_at=now,
            band_until=band_until,
        )
