"""Age assurance: pluggable providers that establish a user's age band and how sure we are.

Only the result (band, level, method, provider, date) is ever stored. See docs/age-assurance.md.
The providers read no settings at import time; `registry` reads them at call time.
"""

from .base import (
    AgeAssuranceProvider,
    AgeBand,
    AssuranceError,
    AssuranceLevel,
    AssuranceMethod,
    AssuranceResult,
    band_for_age,
    level_at_least,
)

__all__ = [
    "AgeAssuranceProvider",
    "AgeBand",
    "AssuranceError",
    "AssuranceLevel",
    "AssuranceMethod",
    "AssuranceResult",
    "band_for_age",
    "level_at_least",
]
