"""One moderator check (accounts.permissions), asked per request and per socket against the
account's current state: a moderator who is suspended, banned, demoted or deleted
after signing in is refused by every console page, moderation API route, hash-bank endpoint
and quarantined image, at the edge and in the services; a demoted moderator's open socket
stops receiving the moderators' events; and nobody writes the check by hand again."""

# Fixtures are imported from tests/chat/media_fixtures.py; pytest injects them by name.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from accounts import permissions
from accounts import services as account_services
from core.errors import PhareError
from accounts.models import AgeBand, User
from chat import media, protection
from chat.realtime import events, watcher
from chat.models import Upload
from moderation import hashbanks
from moderation.services.appeal import decide_appeal, file_appeal
from moderation.services.claim import claim_case, read_case
from moderation.services.decide import bulk_decide, decide_case
from moderation.services.report import file_report
from moderation.models import AuditEntry, BankedHash, Notice
from tests.chat.media_fixtures import (  # noqa: F401  (fixtures)
    media_root,
    member,
    photo_room,
    post_image,
    upload_and_scan,
)
from tests.chat.media_images import encode, photo
from tests.conftest import Ws
from tests.security.routes import all_routes

IMAGE = encode(photo(7, (320, 240)), "JPEG", quality=90)
STATES = ["suspended", "banned", "demoted", "deleted"]
REFUSED = {401, 403, 404}
ROOT = Path(__file__).resolve().parents[2]


def put_in_state(moderator: User, state: str) -> User:
    """The moderator's account as it is after `state`, changed in the database (as the
    admin, a decision or a script would), never on the instance a session holds."""
    later = timezone.now() + dt.timedelta(days=2)
    if state == "suspended":
        User.objects.filter(pk=moderator.pk).update(suspended_until=later)
    elif state == "banned":
        User.objects.filter(pk=moderator.pk).update(banned=True)
    elif state == "demoted":
        User.objects.filter(pk=moderator.pk).update(is_moderator=False)
    else:
        account_services.delete_account(user=User.objects.get(pk=moderator.pk))
    return User.objects.get(pk=moderator.pk)


@pytest.fixture
def tools(make_user, member, photo_room, django_capture_on_commit_callbacks):
    """What the moderation tools act on: an open case, a pending appeal, a room under
    lockdown, a scanned upload and a quarantined one (never scanned)."""
    reporter = make_user(AgeBand.ADULT, "rep_rita")
    report = file_report(reporter=reporter, target={"user": str(member.pk)},
                         category="harassment", details="", good_faith=True)
    decider = make_user(AgeBand.ADULT, "dec_dora", is_moderator=True)
    warned = make_user(AgeBand.ADULT, "warned_wes")
    other = file_report(reporter=reporter, target={"user": str(warned.pk)},
                        category="spam", details="", good_faith=True)
    decide_case(moderator=decider, case_id=str(other.case_id), action="warn",
                reason_code="spam")
    notice = Notice.objects.filter(recipient=warned, decision__isnull=False).order_by("-pk").first()
    appeal = file_appeal(user=warned, notice_id=str(notice.pk), reason="Not spam.")
    protection.lock_down_room(room_id=photo_room.pk, reason="join_wave", actor=None, data={})
    scanned = upload_and_scan(member, IMAGE, django_capture_on_commit_callbacks, room="photos")
    response = post_image(member, encode(photo(9, (300, 200)), "JPEG", quality=90), room="photos")
    quarantined = Upload.objects.get(pk=int(response.json()["upload"]["id"]))
    assert quarantined.quarantine_name and not quarantined.sha256
    return {"case_id": str(report.case_id), "appeal_id": str(appeal.pk), "slug": photo_room.slug,
            "upload_id": str(scanned.pk), "quarantined": str(quarantined.pk)}


def moderation_routes() -> list:
    routes = [r for r in all_routes() if r.key.startswith(("moderation/", "api/v1/moderation/"))]
    assert len(routes) >= 15  # console pages, cases, appeals, images, hash banks
    return routes


def method_of(route) -> str:
    return "GET" if route.key.endswith(("/image", "/transparency/")) or route.key in {
        "moderation/", "moderation/rooms/", "moderation/cases/{case_id}/", "api/v1/moderation/cases",
        "api/v1/moderation/cases/{case_id}", "api/v1/moderation/appeals"} else "POST"


def ask(client: Client, route, tools: dict, *, quarantined: bool = False):
    values = {name: tools[name] for name in route.parameters}
    if quarantined and route.key.endswith("/image"):
        values["upload_id"] = tools["quarantined"]
    body = {"cases": [tools["case_id"]], "action": "dismiss", "reason_code": "no_violation",
            "outcome": "upheld", "note": "x"}
    return client.generic(method_of(route), route.path(**values), data=json.dumps(body),
                          content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
def test_a_moderator_no_longer_in_good_standing_is_refused_everywhere(make_user, tools, state):
    moderator = make_user(AgeBand.ADULT, f"mod_{state}", is_moderator=True)
    client = Client()
    client.force_login(moderator)  # signed in while still a moderator in good standing
    assert client.get("/moderation/").status_code == 200
    put_in_state(moderator, state)
    audit_before, banked_before = AuditEntry.objects.count(), BankedHash.objects.count()
    for route in moderation_routes():
        for quarantined in (False, True):
            response = ask(client, route, tools, quarantined=quarantined)
            assert response.status_code in REFUSED, (state, route.key, response.status_code, response.content[:200])
            assert b"rep_rita" not in response.content and b"warned_wes" not in response.content
    # Nothing was read, decided, lifted or banked.
    assert AuditEntry.objects.count() == audit_before
    assert BankedHash.objects.count() == banked_before


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
def test_the_services_refuse_a_moderator_no_longer_in_good_standing(make_user, tools, state):
    """The check is in the services too, not only at the HTTP edge: a task, a console view or
    a future route that forgets the edge check still cannot act."""
    moderator = put_in_state(make_user(AgeBand.ADULT, f"svc_{state}", is_moderator=True), state)
    calls = [
        lambda: media.render_for_moderator(moderator=moderator, upload_id=tools["quarantined"]),
        lambda: media.render_for_moderator(moderator=moderator, upload_id=tools["upload_id"]),
        lambda: hashbanks.add_image_to_bank(upload_id=tools["upload_id"], actor=moderator),
        lambda: read_case(moderator=moderator, case_id=tools["case_id"]),
        lambda: claim_case(moderator=moderator, case_id=tools["case_id"]),
        lambda: decide_appeal(moderator=moderator, appeal_id=tools["appeal_id"],
                              outcome="reversed"),
        lambda: bulk_decide(moderator=moderator, case_ids=[tools["case_id"]],
                            action="dismiss", reason_code="no_violation"),
        lambda: protection.lift_room_lockdown(actor=moderator, slug=tools["slug"]),
    ]
    for call in calls:
        with pytest.raises(PhareError) as refused:
            call()
        assert refused.value.code == "not_found"


@pytest.mark.django_db
def test_an_acting_moderator_gets_through_the_same_routes(make_user, tools):
    """The other side of the two tests above, so that they can fail."""
    moderator = make_user(AgeBand.ADULT, "kite_okay", is_moderator=True)
    client = Client()
    client.force_login(moderator)
    by_key = {route.key: route for route in moderation_routes()}
    for key in ["moderation/", "moderation/cases/{case_id}/", "moderation/rooms/", "api/v1/moderation/cases",
                "api/v1/moderation/cases/{case_id}", "api/v1/moderation/appeals"]:
        assert ask(client, by_key[key], tools).status_code == 200, key
    image = by_key["api/v1/moderation/uploads/{upload_id}/image"]
    assert ask(client, image, tools, quarantined=True).status_code == 200
    assert ask(client, image, tools).status_code == 200
    assert ask(client, by_key["api/v1/moderation/uploads/{upload_id}/bank"], tools).status_code == 201
    assert ask(client, by_key["moderation/rooms/{slug}/lift/"], tools).status_code == 302


def test_the_permission_check_reads_the_account_it_is_given():
    acting = User(pk=1, is_moderator=True, is_active=True)
    assert permissions.is_acting_moderator(acting)
    assert not permissions.is_acting_moderator(User(pk=1, is_moderator=True, is_active=True, banned=True))
    assert not permissions.is_acting_moderator(User(pk=1, is_moderator=True, is_active=True,
                                                    suspended_until=timezone.now() + dt.timedelta(hours=1)))
    assert permissions.is_acting_moderator(User(pk=1, is_moderator=True, is_active=True,
                                                suspended_until=timezone.now() - dt.timedelta(hours=1)))
    assert not permissions.is_acting_moderator(User(pk=1, is_moderator=True, is_active=False))
    assert not permissions.is_acting_moderator(User(pk=1, is_moderator=True, is_active=True, deleted_at=timezone.now()))
    assert not permissions.is_acting_moderator(None)
    assert permissions.has_role(User(pk=1, is_operator=True, is_active=True), "moderator", "operator")
    assert not permissions.has_role(User(pk=1, is_operator=True, is_active=True, banned=True), "operator")


# --- The socket ------------------------------------------------------------------------------

async def _moderators_event(ws: Ws, marker: str) -> bool:
    """Send the moderators' group an event; True if this socket received it."""
    await sync_to_async(events.send_to_moderators)({"type": "moderation.case", "case": {"id": marker}})
    # (receive_nothing, not a receive with a timeout: a timeout cancels the application.)
    while not await ws.communicator.receive_nothing(timeout=0.5):
        event = await ws.communicator.receive_json_from()
        if event.get("case", {}).get("id") == marker:
            return True
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_demoted_moderator_s_socket_stops_receiving_the_moderators_events(make_user, ws_client):
    # Changed in the database with no event to the socket: the watcher alone brings it up to date.
    moderator = await sync_to_async(make_user)(AgeBand.ADULT, "mod_live", is_moderator=True)
    ws = await ws_client(moderator)
    assert await _moderators_event(ws, "before")
    await sync_to_async(User.objects.filter(pk=moderator.pk).update)(is_moderator=False)
    await watcher.for_this_loop().tick()
    assert not await _moderators_event(ws, "after")
    # The socket itself keeps working for the person.
    assert (await ws.request("dm.list"))["type"] == "ack"
    # Given the role again, the socket follows.
    await sync_to_async(User.objects.filter(pk=moderator.pk).update)(is_moderator=True)
    await watcher.for_this_loop().tick()
    assert await _moderators_event(ws, "again")
    await ws.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_demoted_moderator_is_held_to_the_room_s_limits_at_the_next_frame(make_user, ws_client, adults_room):
    """The socket's account is what the posting checks read: after a tick, the demoted
    moderator is no longer staff for the room's shared bucket."""
    moderator = await sync_to_async(make_user)(AgeBand.ADULT, "mod_room", is_moderator=True)
    ws = await ws_client(moderator)
    consumer_users = [s.user for s in watcher.for_this_loop().sockets if s.user.pk == moderator.pk]
    assert consumer_users and permissions.has_role(consumer_users[0], "moderator")
    await sync_to_async(User.objects.filter(pk=moderator.pk).update)(is_moderator=False)
    await watcher.for_this_loop().tick()
    assert not protection._is_staff(consumer_users[0])
    await ws.close()


# --- Nobody writes the check by hand again ----------------------------------------------------

# Reading the role anywhere but accounts/permissions.py (and the model that defines it).
HAND_WRITTEN = re.compile(r"\.is_moderator\b(?!\s*=[^=])|getattr\([^)]*[\"']is_moderator[\"']")
ALLOWED_FILES = {"accounts/permissions.py", "accounts/models.py"}


def test_the_hand_written_pattern_is_recognised():
    assert HAND_WRITTEN.search("if not user.is_moderator or user.is_suspended():")
    assert HAND_WRITTEN.search("return bool(user.is_moderator or user.is_operator)")
    assert HAND_WRITTEN.search('getattr(request.user, "is_moderator", False)')
    assert not HAND_WRITTEN.search("user.is_moderator = user.is_operator = False")
    assert not HAND_WRITTEN.search('list_display = ("pseudonym", "is_moderator")')
    assert not HAND_WRITTEN.search("User.objects.filter(is_moderator=True)")


def test_no_moderator_check_is_written_by_hand_outside_accounts_permissions():
    found = []
    for app in ("accounts", "chat", "moderation", "ops", "config"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in ALLOWED_FILES:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if HAND_WRITTEN.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "use accounts.permissions (is_acting_moderator, require_moderator, has_role):\n" + "\n".join(found)
