"""The `demo` estimator: lets someone trying Phare locally pick an "estimated" band.

It checks nothing, so it exists only with DEBUG on, and says so in its label. It refuses to run
even when called directly on a server with DEBUG off, in case it was wired in by mistake.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import AgeBand, AssuranceError, AssuranceLevel, AssuranceMethod, AssuranceResult

__all__ = ["DemoEstimator"]


class DemoEstimator:
    name = "demo"
    level = AssuranceLevel.ESTIMATED
    label = _("Demo age estimation (checks nothing, for local trials only)")
    requires_nonce = False
    signup_only = False

    def __init__(self, *, enabled: bool | None = None) -> None:
        # None: follow settings.DEBUG, read at call time so a settings change is honoured.
        self._enabled = enabled

    def available(self) -> bool:
        if self._enabled is not None:
            return self._enabled
        from django.conf import settings

        return bool(getattr(settings, "DEBUG", False))

    def start(self, *, nonce: str) -> dict[str, Any]:
        return {
            "provider": self.name,
            "demo": True,
            "fields": ["age_band"],
            "age_bands": [band.value for band in AgeBand],
        }

    def claimed_nonce(self, payload: dict[str, Any]) -> str | None:
        return None

    def complete(
        self, *, payload: dict[str, Any], expected_nonce: str | None, now: datetime
    ) -> AssuranceResult:
        if not self.available():
            raise AssuranceError("provider_unavailable", "the demo estimator needs DEBUG on")
        band = payload.get("age_band") if isinstance(payload, dict) else None
        if not isinstance(band, str) or band not in {b.value for b in AgeBand}:
            raise AssuranceError("payload_invalid", "age_band must be 13-15, 16-17 or 18+")
        return AssuranceResult(
            age_band=AgeBand(band),
            level=self.level,
            method=AssuranceMethod.ESTIMATION,
            provider=self.name,
            assured_at=now,
        )
