"""How accounts appear in the protocol: your own record in full, others as id + pseudonym."""

from __future__ import annotations

from typing import Any

from accounts.models import User


def iso(value) -> str | None:
    """A protocol time: ISO 8601 in UTC, with a Z (docs/protocol.md); None stays None."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def own_user(user: User) -> dict[str, Any]:
    return {
        "id": str(user.pk),
        "pseudonym": user.pseudonym,
        "age_band": user.age_band,
        "assurance": user.assurance_level,
        "dm_policy": user.dm_policy,
        "roles": user.roles,
    }


def public_user(user: User) -> dict[str, str]:
    return {"id": str(user.pk), "pseudonym": user.pseudonym}
