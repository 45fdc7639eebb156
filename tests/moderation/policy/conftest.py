"""Fixtures for the pure policy tests: no Django, no database."""

from __future__ import annotations

import pytest

from moderation.policy import PolicySnapshot, ScreeningContext, build_snapshot
from moderation.seeds import load_seed_allow, load_seed_terms


@pytest.fixture(scope="session")
def seed_snapshot() -> PolicySnapshot:
    return build_snapshot(terms=load_seed_terms(), allow=load_seed_allow(), version="seed")


MINORS_ROOM = ScreeningContext(audience="minors", context="room")
ADULTS_ROOM = ScreeningContext(audience="adults", context="room")
ADULTS_DM = ScreeningContext(audience="adults", context="dm", conversation_accepted=True)
ADULTS_DM_UNACCEPTED = ScreeningContext(
    audience="adults", context="dm", conversation_accepted=False
)
ADULTS_DM_REQUEST = ScreeningContext(
    audience="adults", context="dm_request", conversation_accepted=False
)
MINORS_DM = ScreeningContext(audience="minors", context="dm")
PSEUDONYM = ScreeningContext(audience="adults", context="pseudonym")
ROOM_NAME = ScreeningContext(audience="adults", context="room_name")
