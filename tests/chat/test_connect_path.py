"""The connect and join path run for many sockets at once (chat.realtime.joins): each socket
gets what it would have got alone, refusals included, in a few queries per batch."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import controls as account_controls
from accounts.models import AgeBand, ConnectionLog, User
from chat import services as chat_services
from chat.models import Membership, Message, Room
from chat.realtime import consumers
from core.errors import PhareError

pytestmark = pytest.mark.django_db


def test_joins_together_answer_as_each_join_alone(make_user, adults_room, minors_room):
    members = [make_user(AgeBand.ADULT) for _ in range(3)]
    for user in members:
        chat_services.join_room(user=user, slug="cafe")
    newcomer, teen, restricted = make_user(AgeBand.ADULT), make_user(AgeBand.YOUNG_TEEN), make_user(AgeBand.ADULT)
    chat_services.join_room(user=restricted, slug="cafe")
    User.objects.filter(pk=restricted.pk).update(reassurance_required=True, reassurance_level="estimated")
    for i in range(60):
        Message.objects.create(room=adults_room, author=members[i % 3], body=f"m{i}")
    Message.objects.create(room=adults_room, author=members[0], body="held", status=Message.Status.HELD)

    results = chat_services.join_rooms(joins=[
        *[(user, "cafe") for user in members], (newcomer, "cafe"), (teen, "cafe"), (members[0], "nowhere"),
        (restricted, "cafe"), (teen, "college"),
    ])

    expected = [m["body"] for m in chat_services.latest_messages(room=adults_room)]
    assert len(expected) == 50 and expected[-1] == "m59"
    for room, history in results[:4]:
        assert room.slug == "cafe" and [m["body"] for m in history] == expected
    assert Membership.objects.filter(user=newcomer, room=adults_room).exists()
    assert [r.code for r in results[4:7]] == ["not_found", "not_found", "assurance_required"]
    assert results[7][0].slug == "college" and results[7][1] == []


def test_a_member_of_a_room_no_longer_visible_is_told_not_found(make_user, adults_room):
    user = make_user(AgeBand.ADULT)
    other = make_user(AgeBand.ADULT)
    for person in (user, other):
        chat_services.join_room(user=person, slug="cafe")
    Room.objects.filter(pk=adults_room.pk).update(status=Room.Status.PENDING)
    results = chat_services.join_rooms(joins=[(user, "cafe"), (other, "cafe")])
    assert all(isinstance(r, PhareError) and r.code == "not_found" for r in results)


def test_returning_members_joins_cost_two_queries_per_batch(make_user, adults_room):
    users = [make_user(AgeBand.ADULT) for _ in range(10)]
    for user in users:
        chat_services.join_room(user=user, slug="cafe")
    with CaptureQueriesContext(connection) as queries:
        results = chat_services.join_rooms(joins=[(user, "cafe") for user in users])
    assert all(not isinstance(r, PhareError) for r in results)
    assert len(queries) == 2  # memberships with their rooms and accounts; the histories


def test_sockets_opening_together_each_get_their_checks(make_user):
    fine, hider, suspended, gone = (make_user(AgeBand.ADULT) for _ in range(4))
    account_controls.mute_user(user=hider, target_id=str(fine.pk))
    account_controls.block_user(user=hider, target_id=str(suspended.pk))
    suspended.suspended_until = timezone.now() + dt.timedelta(days=1)
    gone.is_active = False
    before = ConnectionLog.objects.count()
    with CaptureQueriesContext(connection) as queries:
        openings = consumers._open_connections(
            [(fine, "10.0.0.1"), (hider, "10.0.0.2"), (suspended, "10.0.0.3"), (gone, None), (None, None)])
    assert [o.close_code for o in openings] == [None, None, consumers.CLOSE_SUSPENDED,
                                               consumers.CLOSE_NOT_SIGNED_IN, consumers.CLOSE_NOT_SIGNED_IN]
    assert openings[0].hidden_authors == frozenset()
    assert openings[1].hidden_authors == {fine.pk, suspended.pk}
    assert ConnectionLog.objects.count() == before + 2
    assert {(c.user_id, c.ip) for c in ConnectionLog.objects.order_by("-pk")[:2]} == {
        (fine.pk, "10.0.0.1"), (hider.pk, "10.0.0.2")}
    assert len([q for q in queries if "accounts_connectionlog" in q["sql"]]) == 1
