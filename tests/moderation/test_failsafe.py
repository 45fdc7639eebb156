"""The unattended-moderation failsafe (moderation.services.failsafe, docs/moderation.md
"Failsafe"): minors' rooms tighten and DM requests to minors wait when no moderator has been
active for a while or a critical case is past its SLA; it lifts itself when a moderator is back
and no critical case is overdue, restoring exactly what it changed. Audited, alerted, shown."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import AgeBand, DmPolicy
from chat import protection
from chat import services as chat_services
from chat.models import Conversation, Room
from core.errors import PhareError
from moderation import audit, outbound, rules
from moderation.models import AuditEntry, Case, FailsafeRoom, FailsafeState
from moderation.services import failsafe

pytestmark = pytest.mark.django_db

GRACE = dt.timedelta(minutes=django_settings.PHARE_FAILSAFE_INACTIVITY_MINUTES)


@pytest.fixture
def minors_rooms(db) -> dict[str, Room]:
    """Three minors' rooms: plain, with a longer slow mode of its own, locked down by hand."""
    plain = chat_services.create_room(slug="college", name="Collège", audience="minors")
    slow = chat_services.create_room(slug="lycee", name="Lycée", audience="minors")
    Room.objects.filter(pk=slow.pk).update(slow_mode_seconds=120)
    locked = chat_services.create_room(slug="devoirs", name="Devoirs", audience="minors")
    protection.lock_down_room(room_id=locked.pk, reason="join_wave", actor=None, data={"new_accounts": 8})
    adults = chat_services.create_room(slug="cafe", name="Café", audience="adults")
    return {name: Room.objects.get(pk=room.pk)
            for name, room in (("plain", plain), ("slow", slow), ("locked", locked), ("adults", adults))}


def _protection(room: Room) -> tuple:
    room = Room.objects.get(pk=room.pk)
    return (room.established_only, room.lockdown_reason, room.slow_mode_seconds, room.shield_previous_slow_mode)


def _critical_case(*, overdue: bool, priority: int = rules.CRITICAL_PRIORITY, subject_id: int = 990_001) -> Case:
    now = timezone.now()
    due = now - dt.timedelta(minutes=5) if overdue else now + dt.timedelta(minutes=55)
    return Case.objects.create(subject_type="user", subject_id=subject_id, category="child_safety",
                               priority=priority, sla_due_at=due, created_at=due - dt.timedelta(hours=1))


def _console(moderator, path: str = "/moderation/") -> str:
    client = Client()
    client.force_login(moderator)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def _audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


# --- When it switches -----------------------------------------------------------------------------

def test_no_moderator_for_the_grace_time_switches_it_on(minors_rooms):
    start = timezone.now()
    assert failsafe.check(now=start) is None  # first look: the grace time starts now
    assert failsafe.check(now=start + GRACE - dt.timedelta(minutes=1)) is None
    assert failsafe.check(now=start + GRACE + dt.timedelta(minutes=1)) == "on"
    state = FailsafeState.objects.get()
    assert state.active and state.reasons == ["inactivity"]


def test_a_critical_case_past_its_sla_switches_it_on_although_a_moderator_is_there(minors_rooms, moderator):
    _console(moderator)  # a moderator is at the console right now
    _critical_case(overdue=False)
    assert failsafe.check() is None  # critical, but within its SLA
    _critical_case(overdue=True, priority=rules.CRITICAL_PRIORITY - 1, subject_id=990_002)
    assert failsafe.check() is None  # overdue, but not critical
    _critical_case(overdue=True, subject_id=990_003)
    assert failsafe.check() == "on"
    assert FailsafeState.objects.get().reasons == ["sla_breach"]


@pytest.mark.parametrize("activity", ["console", "claim", "decision"])
def test_an_active_moderator_and_a_backlog_within_sla_keep_it_off(minors_rooms, moderator, activity):
    start = timezone.now()
    failsafe.check(now=start - GRACE * 2)  # the failsafe has watched for a long time
    _critical_case(overdue=False)
    if activity == "console":
        _console(moderator)
    elif activity == "claim":
        Case.objects.update(assigned_to=moderator, claimed_at=start, status="claimed")
    else:
        decided = _critical_case(overdue=False, subject_id=990_009)
        decided.decisions.create(moderator=moderator, action="dismiss", created_at=start)
    assert failsafe.check(now=start + dt.timedelta(minutes=5)) is None
    assert not FailsafeState.objects.get().active
    assert all(not r.established_only for r in Room.objects.filter(slug__in=["college", "lycee"]))


def test_it_lifts_itself_when_a_moderator_is_back_and_no_critical_case_is_overdue(minors_rooms, moderator):
    start = timezone.now()
    failsafe.check(now=start - GRACE * 2)
    case = _critical_case(overdue=True)
    assert failsafe.check() == "on"  # both grounds hold
    assert set(FailsafeState.objects.get().reasons) == {"inactivity", "sla_breach"}
    _console(moderator)  # back, but the critical case is still overdue
    assert failsafe.check() is None and FailsafeState.objects.get().active
    assert FailsafeState.objects.get().reasons == ["sla_breach"]
    Case.objects.filter(pk=case.pk).update(status="decided", decided_at=timezone.now())
    assert failsafe.check() == "off"
    assert not FailsafeState.objects.get().active and not FailsafeRoom.objects.exists()


def test_switching_is_idempotent(minors_rooms):
    start = timezone.now()
    failsafe.check(now=start - GRACE * 2)
    assert failsafe.check() == "on"
    after_first = {name: _protection(room) for name, room in minors_rooms.items()}
    for _ in range(3):
        assert failsafe.check() is None
    assert {name: _protection(room) for name, room in minors_rooms.items()} == after_first
    assert len(_audits("failsafe.on")) == 1 and FailsafeRoom.objects.count() == 3


# --- What it changes and restores -----------------------------------------------------------------

def test_it_tightens_minors_rooms_and_restores_exactly_what_it_changed(minors_rooms):
    before = {name: _protection(room) for name, room in minors_rooms.items()}
    failsafe.check(now=timezone.now() - GRACE * 2)
    assert failsafe.check() == "on"
    slow = django_settings.PHARE_FAILSAFE_SLOW_MODE_SECONDS
    assert _protection(minors_rooms["plain"]) == (True, "failsafe", slow, None)
    # Already stricter, kept: the room's own longer slow mode, the hand lockdown (slow mode added).
    assert _protection(minors_rooms["slow"]) == (True, "failsafe", 120, None)
    assert _protection(minors_rooms["locked"]) == (True, "join_wave", slow, None)
    assert _protection(minors_rooms["adults"]) == before["adults"]  # adults' rooms untouched

    _console_as_moderator_now()
    assert failsafe.check() == "off"
    assert {name: _protection(room) for name, room in minors_rooms.items()} == before


def _console_as_moderator_now():
    failsafe.note_moderator_seen()


def test_lifting_leaves_what_moderators_did_meanwhile(minors_rooms, moderator):
    failsafe.check(now=timezone.now() - GRACE * 2)
    assert failsafe.check() == "on"
    # A moderator lifts the failsafe's lockdown of one room from the console (being there: the
    # failsafe may lift), and raises the shield in another.
    client = Client()
    client.force_login(moderator)
    assert client.post("/moderation/rooms/college/lift/").status_code == 302
    protection.shield_room(actor=moderator, slug="devoirs")
    shielded = _protection(minors_rooms["locked"])
    assert shielded[1] == "shield"
    assert failsafe.check() == "off"
    # The hand lift stands, and the failsafe's slow mode there goes back to the room's own.
    assert _protection(minors_rooms["plain"]) == (False, "", 0, None)
    # The shield stays a moderator's; lifting it later returns to the room's own slow mode (0),
    # not to the failsafe's.
    established, reason, slow_mode, _previous = _protection(minors_rooms["locked"])
    assert (established, reason, slow_mode) == shielded[:3]
    protection.lift_room_lockdown(actor=moderator, slug="devoirs")
    assert _protection(minors_rooms["locked"]) == (False, "", 0, None)


def test_a_minors_room_opened_while_it_is_on_is_tightened_too(minors_rooms):
    failsafe.check(now=timezone.now() - GRACE * 2)
    assert failsafe.check() == "on"
    late = chat_services.create_room(slug="club", name="Club", audience="minors")
    assert failsafe.check() is None
    assert _protection(late)[:2] == (True, "failsafe")


def test_turned_off_by_the_operator_it_lifts_and_never_switches(minors_rooms, settings):
    failsafe.check(now=timezone.now() - GRACE * 2)
    assert failsafe.check() == "on"
    settings.PHARE_FAILSAFE = False
    assert failsafe.check() == "off"
    assert not _protection(minors_rooms["plain"])[0]
    assert failsafe.check() is None and not FailsafeState.objects.get().active


# --- DM requests to minors ----------------------------------------------------------------------

def _open_to_anyone(make_user, band, name):
    return make_user(band, name, dm_policy=DmPolicy.ANYONE_IN_BAND)


def test_dm_requests_to_minors_wait_while_it_is_on_and_go_through_after(make_user, minors_rooms):
    sender = _open_to_anyone(make_user, AgeBand.YOUNG_TEEN, "lea_m")
    recipient = _open_to_anyone(make_user, AgeBand.YOUNG_TEEN, "noa_m")
    failsafe.check(now=timezone.now() - GRACE * 2)
    assert failsafe.check() == "on"
    with pytest.raises(PhareError) as caught:
        chat_services.open_conversation(sender=sender, to=str(recipient.pk), body="salut, on parle ?")
    error = caught.value
    assert error.code == "dm_requests_paused" and error.http_status == 403
    assert error.as_dict()["reason"] == "moderation_unattended"
    assert not Conversation.objects.exists()  # nothing reached the recipient

    failsafe.note_moderator_seen()
    assert failsafe.check() == "off"
    conversation = chat_services.open_conversation(sender=sender, to=str(recipient.pk), body="salut, on parle ?")
    assert conversation["state"] == "requested"


def test_adults_dm_requests_are_not_paused(make_user, minors_rooms):
    sender = _open_to_anyone(make_user, AgeBand.ADULT, "max_a")
    recipient = _open_to_anyone(make_user, AgeBand.ADULT, "eva_a")
    failsafe.check(now=timezone.now() - GRACE * 2)
    assert failsafe.check() == "on"
    assert chat_services.open_conversation(sender=sender, to=str(recipient.pk), body="bonjour")["state"] == "requested"


def test_the_refusal_is_in_the_senders_language(make_user, minors_rooms):
    from django.utils import translation

    failsafe.check(now=timezone.now() - GRACE * 2)
    failsafe.check()
    recipient = _open_to_anyone(make_user, AgeBand.OLDER_TEEN, "jo_m")
    with pytest.raises(PhareError) as caught:
        protection.check_request_recipient(recipient=recipient)
    with translation.override("fr"):
        french = str(caught.value.message)
    with translation.override("en"):
        english = str(caught.value.message)
    assert english.startswith("Requests to start a conversation with this person are paused")
    assert french != english and "modérat" in french


# --- Audit and alerts ---------------------------------------------------------------------------

def test_every_switch_is_an_audit_entry_in_the_chain(minors_rooms):
    failsafe.check(now=timezone.now() - GRACE * 2)
    failsafe.check()
    failsafe.note_moderator_seen()
    failsafe.check()
    on, off = _audits("failsafe.on"), _audits("failsafe.off")
    assert len(on) == 1 and len(off) == 1 and on[0].seq < off[0].seq
    assert on[0].actor_label == "system" and on[0].target_type == "failsafe"
    assert on[0].data["reasons"] == ["inactivity"]
    changed = sorted(minors_rooms[name].pk for name in ("plain", "slow", "locked"))
    assert on[0].data["rooms"] == changed and off[0].data["rooms"] == changed
    assert off[0].data["was_on_since"]
    assert audit.verify_chain() == []


class _Answer:
    status = 202

    def __init__(self) -> None:
        self.body = b"{}"

    def read(self, _limit):
        return self.body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_operators_are_alerted_by_webhook_and_email(minors_rooms, settings, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    settings.PHARE_FAILSAFE_WEBHOOK_URL = "https://ops.example.org/hooks/phare"
    settings.PHARE_FAILSAFE_WEBHOOK_TOKEN = "hook-token"
    settings.PHARE_FAILSAFE_ALERT_EMAILS = ["oncall@example.org"]
    posted: list = []

    def urlopen(request, timeout):
        posted.append(request)
        return _Answer()

    monkeypatch.setattr(outbound.urllib.request, "urlopen", urlopen)
    failsafe.check(now=timezone.now() - GRACE * 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert failsafe.check() == "on"
    assert len(posted) == 1
    request = posted[0]
    assert request.full_url == "https://ops.example.org/hooks/phare" and request.get_method() == "POST"
    assert request.get_header("Authorization") == "Bearer hook-token"
    assert request.get_header("Content-type") == "application/json"
    body = json.loads(request.data)
    assert body["event"] == "phare.failsafe" and body["state"] == "on" and body["reasons"] == ["inactivity"]
    assert len(body["rooms"]) == 3
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["oncall@example.org"]
    assert "Failsafe on" in mail.outbox[0].subject

    failsafe.note_moderator_seen()
    with django_capture_on_commit_callbacks(execute=True):
        assert failsafe.check() == "off"
    assert json.loads(posted[1].data)["state"] == "off" and "Failsafe off" in mail.outbox[1].subject


def test_no_alert_is_sent_by_default_and_a_failing_webhook_never_undoes_the_switch(
        minors_rooms, settings, monkeypatch, django_capture_on_commit_callbacks):
    calls: list = []
    monkeypatch.setattr(outbound.urllib.request, "urlopen", lambda request, timeout: calls.append(request))
    failsafe.check(now=timezone.now() - GRACE * 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert failsafe.check() == "on"
    assert calls == [] and mail.outbox == []

    def unreachable(request, timeout):
        raise OSError("connection refused")

    settings.PHARE_FAILSAFE_WEBHOOK_URL = "https://ops.example.org/hooks/phare"
    monkeypatch.setattr(outbound.urllib.request, "urlopen", unreachable)
    failsafe.note_moderator_seen()
    with django_capture_on_commit_callbacks(execute=True):
        assert failsafe.check() == "off"
    assert not FailsafeState.objects.get().active


def test_moderators_get_a_live_alert(minors_rooms, monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(failsafe.events, "send_to_moderators", sent.append)
    failsafe.check(now=timezone.now() - GRACE * 2)
    failsafe.check()
    assert [e["kind"] for e in sent if e["type"] == "moderation.alert"] == ["failsafe_on"]


# --- The console ---------------------------------------------------------------------------------

def test_the_console_shows_the_failsafe_on_the_queue_and_the_overview(minors_rooms, moderator):
    for path in ("/moderation/", "/moderation/overview/"):
        assert 'id="failsafe-banner"' not in _console(moderator, path)
    FailsafeState.objects.update(watch_started_at=timezone.now() - GRACE * 2, moderator_seen_at=None)
    _critical_case(overdue=True)
    assert failsafe.check() == "on"
    for path in ("/moderation/", "/moderation/overview/"):
        html = _console(moderator, path)
        assert 'id="failsafe-banner"' in html and "a critical case is past its SLA" in html
    rooms = _console(moderator, "/moderation/rooms/")
    assert 'data-room="college"' in rooms and "failsafe: moderation unattended" in rooms


def test_the_banner_in_french(minors_rooms, moderator):
    failsafe.check(now=timezone.now() - GRACE * 2)
    failsafe.check()
    client = Client()
    client.force_login(moderator)
    html = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="failsafe-banner"' in html and "Filet de sécurité" in html


def test_the_beat_runs_the_task_on_the_moderation_queue():
    from moderation import tasks

    entry = django_settings.CELERY_BEAT_SCHEDULE["moderation-failsafe"]
    assert entry["task"] == "moderation.tasks.check_failsafe" and entry["schedule"] <= 60
    assert tasks.check_failsafe.run() is None  # first look: nothing to do
