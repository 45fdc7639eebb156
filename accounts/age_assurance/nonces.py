"""Single-use nonces bound to a session, for token-based age checks.

The nonce goes from Phare to the browser, from the browser to the issuer, and comes back signed
inside the token. It proves the token was made for this session just now (so a token cannot be
passed around or reused) while telling the issuer nothing about the person or the site.

`store` is any Django-cache-like object (get/set/add/delete). Single use rests on `add`, which is
atomic in Redis: with the Redis cache two processes cannot both consume the same nonce. The
local-memory cache only holds within one process (fine for tests and a single-process trial).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .base import AssuranceError

__all__ = ["NonceStore", "issue_nonce", "consume_nonce", "DEFAULT_TTL_SECONDS"]

DEFAULT_TTL_SECONDS = 300
# How long a "used" marker outlives the nonce's own expiry, so a late replay still says replayed.
_USED_MARKER_GRACE_SECONDS = 60
# secrets.token_urlsafe(32) gives 43 characters; accept a little more, refuse anything else early.
_NONCE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


class NonceStore(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any, timeout: float | None = ...) -> Any: ...
    def add(self, key: str, value: Any, timeout: float | None = ...) -> bool: ...
    def delete(self, key: str) -> Any: ...


def _keys(session_key: str, nonce: str) -> tuple[str, str]:
    # Hashed: cache keys stay short and printable, and a cache dump shows no session keys.
    digest = hashlib.sha256(f"{session_key}\x00{nonce}".encode()).hexdigest()
    return f"age-assurance:nonce:{digest}", f"age-assurance:nonce-used:{digest}"


def issue_nonce(
    *,
    store: NonceStore,
    session_key: str,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """A fresh nonce for this session, and when it expires (UTC)."""
    if not session_key:
        raise ValueError("a nonce must be bound to a session")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    now = now or datetime.now(UTC)
    nonce = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=ttl_seconds)
    issued_key, _used_key = _keys(session_key, nonce)
    # The value carries the expiry so it is enforced even if the store's timeout is coarse.
    store.set(issued_key, {"expires_at": expires_at.timestamp(), "ttl": ttl_seconds}, ttl_seconds)
    return nonce, expires_at


def consume_nonce(
    *,
    store: NonceStore,
    session_key: str,
    nonce: str,
    now: datetime | None = None,
) -> None:
    """Use up `nonce` for `session_key`, or raise.

    token_nonce_invalid: never issued to this session, expired, or not a nonce at all.
    token_nonce_replayed: issued to this session but already used.
    """
    if not isinstance(nonce, str) or not _NONCE_SHAPE.match(nonce) or not session_key:
        raise AssuranceError("token_nonce_invalid", "not a nonce")
    now = now or datetime.now(UTC)
    issued_key, used_key = _keys(session_key, nonce)
    issued = store.get(issued_key)
    if issued is None:
        if store.get(used_key) is not None:
            raise AssuranceError("token_nonce_replayed")
        raise AssuranceError("token_nonce_invalid", "unknown or expired for this session")
    # add() succeeds for exactly one caller, even across processes sharing Redis.
    marker_ttl = int(issued.get("ttl", DEFAULT_TTL_SECONDS)) + _USED_MARKER_GRACE_SECONDS
    if not store.add(used_key, 1, marker_ttl):
        raise AssuranceError("token_nonce_replayed")
    store.delete(issued_key)
    if now.timestamp() >= float(issued["expires_at"]):
        raise AssuranceError("token_nonce_invalid", "expired")
