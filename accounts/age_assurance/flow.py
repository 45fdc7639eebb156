"""The one call a view needs to complete an age check: nonce handling, then the provider.

result = complete_assurance(provider=get_provider(name), payload=body,
                            store=caches["default"], session_key=request.session.session_key)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .base import AgeAssuranceProvider, AssuranceResult
from .nonces import NonceStore, consume_nonce

__all__ = ["complete_assurance"]


def complete_assurance(
    *,
    provider: AgeAssuranceProvider,
    payload: dict[str, Any],
    store: NonceStore,
    session_key: str,
    now: datetime | None = None,
) -> AssuranceResult:
    """Consume the payload's nonce for this session (single use), then let the provider check
    the payload against it. Raises AssuranceError.

    The nonce is used up before the token is checked, so each nonce gets exactly one attempt:
    a refused token means asking for a new nonce, and a captured token cannot be retried.
    """
    now = now or datetime.now(UTC)
    expected: str | None = None
    if provider.requires_nonce:
        expected = provider.claimed_nonce(payload)
        if expected is not None:
            consume_nonce(store=store, session_key=session_key, nonce=expected, now=now)
    return provider.complete(payload=payload, expected_nonce=expected, now=now)
