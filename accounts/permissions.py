"""Who may act in a role: the one check every console page, API route, image view, hash-bank
endpoint, service and socket asks (until 2026-12-04 it was written six different ways, and a
suspended moderator still opened quarantined images and banked hashes).

A role counts only while its holder is signed in, active, not deleted, and neither suspended
nor banned. The check reads the account it is given: over HTTP, `request.user` is loaded from
the database for each request; on a socket, the consumer's account is kept current by
`chat.realtime.watcher` (every WATCH_INTERVAL_SECONDS) and by the sanction events, so no check here
queries the database (the posting hot path asks it for every message).
"""

from __future__ import annotations

from typing import Any

from core.errors import PhareError

# Role name → the account's field that grants it (accounts.services.grant_role sets them).
ROLE_FIELDS = {"moderator": "is_moderator", "operator": "is_operator", "legal": "is_legal"}


def in_good_standing(user: Any) -> bool:
    """Signed in, active, not deleted, neither suspended nor banned."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active or user.deleted_at is not None:
        return False
    return not user.is_suspended()


def has_role(user: Any, *roles: str) -> bool:
    """True when `user` may act now in one of `roles` ("moderator", "operator", "legal")."""
    if not in_good_standing(user):
        return False
    return any(getattr(user, ROLE_FIELDS[role]) for role in roles)


def is_acting_moderator(user: Any) -> bool:
    return has_role(user, "moderator")


def require_role(user: Any, *roles: str) -> Any:
    """`user` if it may act in one of `roles`, else `not_found`: the moderation tools do not
    exist for anyone else, and a refusal says nothing about what they hold."""
    if not has_role(user, *roles):
        raise PhareError("not_found")
    return user


def require_moderator(user: Any) -> Any:
    return require_role(user, "moderator")
