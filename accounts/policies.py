"""The age-band contact matrix: who may share a room or a conversation with whom.

Safe default in code (minors only with minors, adults only with adults); operators may
override pairs in the admin (`ContactRule`). The matrix is cached in process and
invalidated through a version key in the shared cache when an operator changes a rule.
"""

from __future__ import annotations

import threading
import time

from django.core.cache import cache

from accounts.models import MINOR_BANDS, AgeBand, ContactRule

CONTACT_VERSION_KEY = "policy:contact:version"
_RECHECK_SECONDS = 2.0

_lock = threading.Lock()
_cached: dict[str, object] = {"version": None, "checked_at": 0.0, "matrix": None}


def default_may_contact(band_a: str, band_b: str) -> bool:
    return (band_a in MINOR_BANDS) == (band_b in MINOR_BANDS)


def _load_matrix() -> dict[tuple[str, str], bool]:
    bands = [b.value for b in AgeBand]
    matrix = {(a, b): default_may_contact(a, b) for a in bands for b in bands}
    for rule in ContactRule.objects.all():
        matrix[(rule.band_a, rule.band_b)] = rule.allowed
        matrix[(rule.band_b, rule.band_a)] = rule.allowed
    return matrix


def contact_matrix() -> dict[tuple[str, str], bool]:
    now = time.monotonic()
    with _lock:
        if _cached["matrix"] is not None and now - float(_cached["checked_at"]) < _RECHECK_SECONDS:
            return _cached["matrix"]  # type: ignore[return-value]
    version = cache.get(CONTACT_VERSION_KEY, 0)
    with _lock:
        if _cached["matrix"] is None or _cached["version"] != version:
            _cached["matrix"] = _load_matrix()
            _cached["version"] = version
        _cached["checked_at"] = now
        return _cached["matrix"]  # type: ignore[return-value]


def may_contact(band_a: str, band_b: str) -> bool:
    return contact_matrix().get((band_a, band_b), False)


def bump_contact_version() -> None:
    """Call after a ContactRule change so every process reloads the matrix."""
    try:
        cache.incr(CONTACT_VERSION_KEY)
    except ValueError:
        cache.set(CONTACT_VERSION_KEY, 1, None)
    with _lock:
        _cached["matrix"] = None


def audience_bands(audience: str) -> frozenset[str]:
    if audience == "minors":
        return MINOR_BANDS
    return frozenset({AgeBand.ADULT.value})
