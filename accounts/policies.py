"""The age-band contact matrix: which pairs of bands may talk person to person, and how.

Within one band (13-15, 16-17 or 18+) direct messages go as usual (a request, then consent).
Across bands a pair the matrix opens talks only between two people who both accepted a
trusted connection (chat.services.trusted, whose `may_talk` is the one person-to-person
check); a pair it closes never talks. Safe default in code: 13-15 ↔ 16-17 and 16-17 ↔ 18+
open to trusted connections, 13-15 ↔ 18+ never (`NEVER_IN_CONTACT`, which no rule opens).
Operators close or reopen a pair in the admin (`ContactRule`). Rooms go by audience instead
(`audience_bands`: a minors' room holds 13-17). The matrix is cached in process and
reloaded when an operator changes a rule (core.versioned).
"""

from __future__ import annotations

from accounts.models import MINOR_BANDS, AgeBand, ContactRule
from core.versioned import VersionedPolicy

CONTACT_VERSION_KEY = "policy:contact:version"


# Pairs no operator rule and no trusted connection can open: an adult and anyone under 16
# (DESIGN: "never between an adult and anyone under 16").
NEVER_IN_CONTACT = frozenset({(AgeBand.ADULT.value, AgeBand.YOUNG_TEEN.value),
                              (AgeBand.YOUNG_TEEN.value, AgeBand.ADULT.value)})


def default_may_contact(band_a: str, band_b: str) -> bool:
    """Every pair but `NEVER_IN_CONTACT`: across bands that means through a trusted connection
    only (`needs_trusted_connection`), so that a sibling or a friend one band apart can be
    reached by consent and assurance, while someone who merely declares 17 reaches nobody
    under 16 in private. Closed by default, trusted connections would be useless out of the box."""
    return (band_a, band_b) not in NEVER_IN_CONTACT


def needs_trusted_connection(band_a: str, band_b: str) -> bool:
    """Across bands, two people talk in private only through a trusted connection."""
    return band_a != band_b


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
    """The pair is open: within a band, directly; across bands, through a trusted connection
    (the person-to-person check is chat.services.trusted.may_talk, never this alone)."""
    return contact_matrix().get((band_a, band_b), False)


def bump_contact_version() -> None:
    """Call after a ContactRule change so every process reloads the matrix."""
    _matrix.bump()


def audience_bands(audience: str) -> frozenset[str]:
    if audience == "minors":
        return MINOR_BANDS
    return frozenset({AgeBand.ADULT.value})
