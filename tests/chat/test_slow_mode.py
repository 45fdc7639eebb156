"""Slow mode announces the time actually left before the next message may go."""

import time

import pytest
from django.core.cache import cache

from core.errors import PhareError
from chat import services

pytestmark = pytest.mark.django_db


def test_retry_after_is_what_is_left_of_the_period(adult):
    room = services.create_room(slug="slow", name="Slow", audience="adults", slow_mode_seconds=30)
    services.post_room_message(author=adult, room=room, body="first")
    # As if the first message had gone through twenty seconds ago.
    cache.set(f"slow:{room.pk}:{adult.pk}", time.time() - 20, 30)
    with pytest.raises(PhareError) as refused:
        services.post_room_message(author=adult, room=room, body="second")
    assert refused.value.code == "rate_limited" and refused.value.extra["reason"] == "slow_mode"
    assert 9 <= refused.value.retry_after <= 11
