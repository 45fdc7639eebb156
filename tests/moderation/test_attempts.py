"""Attempts are remembered: what the gate refused or held is kept as evidence, repeated
attempts open a case on the sender and pause their first contacts until a moderator decides,
and automation alone never mutes anyone for more than minutes."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone, translation

from accounts.models import AgeBand, DmPolicy, User
from chat import services as chat_services
from chat.models import Membership, Message
from core.errors import PhareError
from moderation import gate, grooming
from moderation.models import Attempt, Case, Flag, Notice
from moderation.policy import Verdict
from moderation.representations import case_repr, notice_text
from moderation.services.attempts import ATTEMPT_WINDOW, ATTEMPTS_BEFORE_CASE
from moderation.services.decide import decide_case
from moderation.services.interim import COOL_DOWN
from moderation.services.retain import purge_past_retention
from moderation.services.triage import triage_flag

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Phone numbers: refused in minors' rooms and in every DM request (contact details).
PHONE_NUMBERS = ("appelle moi au 06 12 34 56 78", "mon num 07 98 76 54 32", "écris au 06 11 22 33 44")


def room_post(author, room, body):
    Membership.objects.get_or_create(room=room, user=author)
    return chat_services.post_room_message(author=author, room=room, body=body)


def refused(call) -> PhareError:
    with pytest.raises(PhareError) as caught:
        call()
    return caught.value


def dm_request(sender, recipient, body="bonjour"):
    return chat_services.open_conversation(sender=sender, to=str(recipient.pk), body=body)


def open_recipient(band=AgeBand.ADULT, **fields):
    return {"band": band, "dm_policy": DmPolicy.ANYONE_IN_BAND, **fields}


def gate_answers(monkeypatch, decision: str, reasons: tuple[str, ...], categories: tuple[str, ...]) -> None:
    real_screen = gate.screen_message
    monkeypatch.setattr(gate, "screen_message", lambda **kw: dataclasses.replace(
        real_screen(**kw), decision=decision, reasons=reasons, categories=categories))


def end_cool_down(user: User) -> None:
    """As if the cool-down's minutes had passed."""
    User.objects.filter(pk=user.pk).update(muted_until=timezone.now() - dt.timedelta(seconds=1))
    user.refresh_from_db()


# --- Recorded --------------------------------------------------------------------------------

def test_a_refused_room_message_leaves_an_attempt_with_its_text_and_target(make_user, minors_room):
    teen = make_user(AgeBand.YOUNG_TEEN)
    error = refused(lambda: room_post(teen, minors_room, PHONE_NUMBERS[0]))
    assert error.code == "blocked_by_policy"
    attempt = Attempt.objects.get()
    assert (attempt.sender_id, attempt.context, attempt.room_id_snapshot, attempt.decision) == (
        teen.pk, "room", minors_room.pk, "block")
    assert attempt.text == PHONE_NUMBERS[0] and attempt.evidence_text == PHONE_NUMBERS[0]
    assert "contact_phone" in attempt.reasons and "contact_offplatform" in attempt.categories
    assert attempt.towards_minor and attempt.case is None
    # One refusal is the sender's to rephrase: no case, no measure.
    teen.refresh_from_db()
    assert not Case.objects.exists() and not teen.is_muted()


def test_a_refused_dm_request_leaves_an_attempt_naming_its_recipient(make_user):
    sender, recipient = make_user(), make_user(**open_recipient())
    assert refused(lambda: dm_request(sender, recipient, PHONE_NUMBERS[1])).code == "blocked_by_policy"
    attempt = Attempt.objects.get()
    assert (attempt.context, attempt.recipient_id_snapshot, attempt.conversation_id_snapshot) == (
        "dm_request", recipient.pk, None)
    assert attempt.text == PHONE_NUMBERS[1] and not attempt.towards_minor


def test_a_held_message_is_an_attempt_whose_text_is_kept_once(make_user, adults_room, monkeypatch):
    gate_answers(monkeypatch, "hold", ("harassment",), ("harassment",))
    author = make_user()
    result = room_post(author, adults_room, "un message retenu")
    assert result.status == "held"
    message = Message.objects.get(pk=int(result.message["id"]))
    attempt = Attempt.objects.get()
    assert attempt.decision == "hold" and attempt.message_id_snapshot == message.pk
    # The stored message and its flag hold the text; the attempt points at them.
    assert attempt.text == "" and attempt.flag == Flag.objects.get(message_id_snapshot=message.pk)
    assert attempt.evidence_text == "un message retenu"


def test_an_escalated_refusal_keeps_its_text_in_its_flag_once(make_user, adults_room, monkeypatch):
    gate_answers(monkeypatch, "escalate", ("threat",), ("threat",))
    author = make_user()
    assert refused(lambda: room_post(author, adults_room, "une menace")).code == "blocked_by_policy"
    attempt = Attempt.objects.get()
    assert attempt.text == "" and attempt.flag.text == "une menace" and attempt.evidence_text == "une menace"
    assert attempt.case == attempt.flag.case and attempt.case.subject_type == "user"


# --- Repeated attempts ------------------------------------------------------------------------

def test_three_refusals_in_ten_minutes_open_one_case_and_pause_first_contacts_until_a_moderator_decides(
        make_user, minors_room, moderator):
    sender = make_user(AgeBand.OLDER_TEEN)
    friend = make_user(AgeBand.OLDER_TEEN, **{k: v for k, v in open_recipient().items() if k != "band"})
    for body in PHONE_NUMBERS[:ATTEMPTS_BEFORE_CASE - 1]:
        refused(lambda: room_post(sender, minors_room, body))
    assert not Case.objects.exists()
    refused(lambda: room_post(sender, minors_room, PHONE_NUMBERS[ATTEMPTS_BEFORE_CASE - 1]))

    case = Case.objects.get()
    assert (case.subject_type, case.subject_id, case.subject_user_id) == ("user", sender.pk, sender.pk)
    assert set(case.attempts.values_list("text", flat=True)) == set(PHONE_NUMBERS)
    assert case.interim_restricted and case.minors_involved
    # A cool-down of minutes, told to the sender with the reason and how to appeal.
    sender.refresh_from_db()
    assert sender.is_muted() and sender.muted_until <= timezone.now() + COOL_DOWN
    notice = Notice.objects.get(recipient=sender, kind="interim")
    assert notice.automated and notice.action == "restrict" and notice.appealable_until is not None
    assert notice.scope["first_contacts_paused"] and notice.scope["cool_down_until"]
    with translation.override("en"):
        assert "cannot start new conversations" in notice_text(notice) and "appeal" in notice_text(notice)
    # The moderator reading the case sees every attempt.
    assert {a["text"] for a in case_repr(case)["attempts"]} == set(PHONE_NUMBERS)
    console = Client()
    console.force_login(moderator)
    page = console.get(f"/moderation/cases/{case.pk}/").content.decode()
    assert all(text in page for text in PHONE_NUMBERS)

    # Once the cool-down is over the sender posts again, but starts no conversation.
    end_cool_down(sender)
    assert room_post(sender, minors_room, "bonjour").status == "delivered"
    error = refused(lambda: dm_request(sender, friend))
    assert error.code == "forbidden" and error.extra["reason"] == "first_contacts_paused"

    decide_case(moderator=moderator, case_id=case.pk, action="warn", reason_code="grooming")
    sender.refresh_from_db()
    assert dm_request(sender, friend)["state"] == "requested"


def test_refusals_further_apart_than_the_window_open_no_case(make_user, minors_room):
    sender = make_user(AgeBand.YOUNG_TEEN)
    for body in PHONE_NUMBERS[:2]:
        refused(lambda: room_post(sender, minors_room, body))
    Attempt.objects.update(created_at=timezone.now() - ATTEMPT_WINDOW - dt.timedelta(seconds=5))
    refused(lambda: room_post(sender, minors_room, PHONE_NUMBERS[2]))
    sender.refresh_from_db()
    assert Attempt.objects.count() == 3 and not Case.objects.exists() and not sender.is_muted()


def test_a_critical_refusal_towards_a_minor_opens_a_case_and_pauses_first_contacts_at_once(
        make_user, minors_room, moderator, monkeypatch):
    sender = make_user(AgeBand.OLDER_TEEN)
    friend = make_user(AgeBand.OLDER_TEEN, dm_policy=DmPolicy.ANYONE_IN_BAND)
    gate_answers(monkeypatch, "block", ("sexual_content_minor",), ("sexual_minors",))
    refused(lambda: room_post(sender, minors_room, "un message refusé"))
    case = Case.objects.get()
    assert case.subject_user_id == sender.pk and case.interim_restricted and case.category == "child_safety"
    assert list(case.attempts.values_list("text", flat=True)) == ["un message refusé"]
    monkeypatch.undo()
    end_cool_down(sender)
    assert refused(lambda: dm_request(sender, friend)).extra["reason"] == "first_contacts_paused"
    decide_case(moderator=moderator, case_id=case.pk, action="dismiss", reason_code="other")
    assert dm_request(sender, friend)["state"] == "requested"


def test_the_same_refusal_between_adults_is_not_critical(make_user, adults_room, monkeypatch):
    gate_answers(monkeypatch, "block", ("sexual_content_minor",), ("sexual_minors",))
    sender = make_user()
    refused(lambda: room_post(sender, adults_room, "un message refusé"))
    assert Attempt.objects.count() == 1 and not Case.objects.exists()


def test_later_attempts_join_the_senders_open_case(make_user, minors_room):
    sender = make_user(AgeBand.YOUNG_TEEN)
    for body in PHONE_NUMBERS:
        refused(lambda: room_post(sender, minors_room, body))
    end_cool_down(sender)
    refused(lambda: room_post(sender, minors_room, "rappelle moi au 06 99 88 77 66"))
    assert Case.objects.get().attempts.count() == 4


# --- Proportionate measures -------------------------------------------------------------------

def within_minutes(user: User) -> bool:
    user.refresh_from_db()
    return (user.suspended_until is None and not user.banned
            and (user.muted_until is None or user.muted_until <= timezone.now() + COOL_DOWN))


def test_no_automated_path_mutes_anyone_for_more_than_minutes(make_user, minors_room, adults_room, post,
                                                              monkeypatch):
    # A critical child-safety flag on a stored message (triage's interim measures).
    author = make_user(AgeBand.OLDER_TEEN)
    message = post(author, minors_room)
    flag = Flag.objects.create(subject=author, subject_id_snapshot=author.pk, text=message.body,
                               message_id_snapshot=message.pk, room_id_snapshot=minors_room.pk, decision="flag",
                               reasons=["sexual_minors"], categories=["sexual_minors"], risk=0.95)
    triage_flag(flag_id=flag.pk)
    assert Case.objects.get(subject_user=author).interim_restricted and within_minutes(author)
    # An escalation, at once in the gate's transaction.
    escalated = make_user()
    gate.record_refusal(author=escalated, text="…", room_id=adults_room.pk, verdict=Verdict(
        decision="escalate", reasons=("sexual_minors",), categories=("sexual_minors",), risk=1.0))
    assert Case.objects.get(subject_user=escalated).interim_restricted and within_minutes(escalated)
    # Repeated attempts.
    repeated = make_user(AgeBand.YOUNG_TEEN)
    for body in PHONE_NUMBERS:
        refused(lambda: room_post(repeated, minors_room, body))
    assert Case.objects.get(subject_user=repeated).interim_restricted and within_minutes(repeated)


# Every place that writes when a mute or a suspension ends: a moderator's decision (with its
# undo, which also lifts the suspensions strikes brought before the escalation ladder; strikes
# never sanction by themselves now), and the interim measures' cool-down (COOL_DOWN, whose
# every path is checked above). A new writer is to be looked at here.
SANCTION_FIELDS = {"muted_until", "suspended_until"}
SANCTION_WRITERS = {"moderation/services/decide.py", "moderation/services/interim.py"}


def _writes_a_sanction(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Attribute) and t.attr in SANCTION_FIELDS for t in targets):
            return True
        if isinstance(node, ast.Call) and any(k.arg in SANCTION_FIELDS for k in node.keywords):
            return True  # .update(muted_until=…), create(…)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
                and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in SANCTION_FIELDS):
            return True
    return False


def test_only_moderator_decisions_and_the_cool_down_write_when_a_sanction_ends():
    writers = {
        str(path.relative_to(ROOT))
        for app in ("accounts", "chat", "moderation", "ops", "core")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and _writes_a_sanction(ast.parse(path.read_text()))
    }
    assert writers == SANCTION_WRITERS


# --- Retention --------------------------------------------------------------------------------

def test_retention_purges_old_attempts_but_keeps_those_under_a_case(make_user, adults_room, settings):
    settings.PHARE_MESSAGE_RETENTION_DAYS = 30
    verdict = Verdict(decision="block", reasons=("harassment",), categories=("harassment",))

    def attempt(text: str, case_status: str | None = None, legal_hold: bool = False) -> Attempt:
        sender = make_user()
        recorded = gate.record_refusal(author=sender, text=text, verdict=verdict, room_id=adults_room.pk)
        if case_status is not None:
            case = Case.objects.create(subject_type="user", subject_id=sender.pk, subject_user=sender,
                                       status=case_status, legal_hold=legal_hold)
            Attempt.objects.filter(pk=recorded.pk).update(case=case)
        return recorded

    old = [attempt("alone"), attempt("open case", "open"), attempt("legal hold", "decided", legal_hold=True),
           attempt("decided case", "decided")]
    attempt("recent")
    Attempt.objects.filter(pk__in=[a.pk for a in old]).update(created_at=timezone.now() - dt.timedelta(days=40))
    purge_past_retention()
    assert set(Attempt.objects.values_list("text", flat=True)) == {"open case", "legal hold", "recent"}


# --- The grooming score -----------------------------------------------------------------------

def test_refused_attempts_count_in_the_grooming_score(make_user):
    older = make_user(AgeBand.OLDER_TEEN)
    younger = make_user(AgeBand.OLDER_TEEN, dm_policy=DmPolicy.ANYONE_IN_BAND)
    conversation = dm_request(older, younger, "salut")
    chat_services.accept_conversation(user=younger, conversation_id=conversation["id"])
    chat_services.send_direct_message(sender=older, conversation_id=conversation["id"], body="ça va ?")
    conversation_id = int(conversation["id"])
    # What was stored alone is ordinary.
    assert grooming.assess_conversation(conversation_id=conversation_id) == []

    target = gate.AttemptTarget(context="dm", conversation_id=conversation_id, recipient_id=younger.pk,
                                towards_minor=True)
    for text in ("c'est notre secret, ne dis rien à tes parents", "envoie une photo de toi"):
        gate.record_refusal(author=older, text=text, target=target,
                            verdict=Verdict(decision="block", reasons=("term_match",), categories=("other",)))
    # A refused DM request to the same person counts too.
    gate.record_refusal(author=older, text="tu es seule chez toi ce soir ?", verdict=Verdict(
        decision="block", reasons=("term_match",), categories=("other",)),
        target=gate.AttemptTarget(context="dm_request", recipient_id=younger.pk, towards_minor=True))
    flags = grooming.assess_conversation(conversation_id=conversation_id)
    assert [f.subject_id for f in flags] == [older.pk]
    assert "grooming_risk" in flags[0].reasons and "(refused) envoie une photo de toi" in flags[0].text
