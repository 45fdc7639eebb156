"""The age-band contact matrix: who may talk person to person with whom.

Safe default in code: direct messages (requests and replies) stay within one band, 13-15,
16-17 or 18+, so that someone who declares 17 does not reach 13-year-olds. Rooms go by
audience instead (`audience_bands`: a minors' room holds 13-17). Operators may open a pair in
the admin (`ContactRule`), except the pairs of `NEVER_IN_CONTACT`. The matrix is cached in
process and reloaded when an operator changes a rule (core.versioned).
"""

from __future__ import annotations

from accounts.models import MINOR_BANDS, AgeBand, ContactRule
from core.versioned import VersionedPolicy

CONTACT_VERSION_KEY = "policy:contact:version"


# Pairs no operator rule can open: an adult and anyone under 16 (DESIGN: "never between an
# adult and anyone under 16"). Adults and 16-17 stay apart by default but remain openable, as
# 13-15 and 16-17 do: a service for older teens with adult mentors is an operator's choice.
NEVER_IN_CONTACT = frozenset({(AgeBand.ADULT.value, AgeBand.YOUNG_TEEN.value),
                              (AgeBand.YOUNG_TEEN.value, AgeBand.ADULT.value)})


def default_may_contact(band_a: str, band_b: str) -> bool:
    """Within one band only: when 16-17 could write to 13-15, an adult who declared 17
    reached 13-year-olds."""
    return band_a == band_b


def _load_matrix() -> dict[tuple[str, str], bool]:
    bands = [b.value for b in AgeBand]
    matrix = {(a, b): default_may_contact(a, b) for a in bands for b in bands}
    for rule in ContactRule.objects.all():
        matrix[(rule.band_a, rule.band_b)] = rule.allowed
        matrix[(rule.band_b, rule.band_a)] = rule.allowed
    for pair in NEVER_IN_CONTACT:  # a row written before this rule existed opens nothing
        matrix[pair] = False
    return matrix


_matrix: VersionedPolicy[dict[tuple[str, str], bool]] = VersionedPolicy(
    CONTACT_VERSION_KEY, lambda version: _load_matrix()
)


def contact_matrix() -> dict[tuple[str, str], bool]:
    return _matrix.get()


def may_contact(band_a: str, band_b: str) -> bool:
    return contact_matrix().get((band_a, band_b), False)


def bump_contact_version() -> None:
    """Call after a ContactRule change so every process reloads the matrix."""
    _matrix.bump()


def audience_bands(audience: str) -> frozenset[str]:
    if audience == "minors":
        return MINOR_BANDS
    return frozenset({AgeBand.ADULT.value})
