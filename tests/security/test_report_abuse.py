"""Reports never sanction by themselves.

Visitors carry no weight and can report only what they could see (nothing, today); nobody
reports what they could not see, and a refusal looks like a missing id; automatic measures
from reports go no further than hiding the reported message, and only when several
established reporters with a good record agree, never for a moderator's message; a
child-safety report goes to the top of the queue at once. Through the HTTP API and the real
services, as an attacker would try it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AgeBand, User
from chat import services as chat_services
from chat.models import Membership, Message
from moderation import rules, selectors
from moderation.services.report import file_report
from moderation.services.score import sla_hours
from moderation.services.snapshot import snapshot_evidence
from moderation.services.triage import triage_report
from moderation.services import notify
from moderation.models import Case, Notice, Report
from tests.moderation.conftest import JsonClient

pytestmark = pytest.mark.django_db


def _post(author: User, room, body: str = "un message ordinaire") -> Message:
    Membership.objects.get_or_create(room=room, user=author)
    result = chat_services.post_room_message(author=author, room=room, body=body)
    return Message.objects.get(pk=int(result.message["id"]))


def _report(client: JsonClient, target: dict, category: str = "harassment"):
    return client.post("/api/v1/reports", {"target": target, "category": category, "details": "",
                                           "good_faith": True})


def _dm(sender: User, recipient: User, body: str = "salut, ça va ?") -> Message:
    recipient.dm_policy = "anyone_in_band"
    recipient.save(update_fields=["dm_policy"])
    conversation = chat_services.open_conversation(sender=sender, to=str(recipient.pk), body=body)
    return Message.objects.filter(conversation_id=int(conversation["id"])).get()


def _untouched(user: User) -> bool:
    user.refresh_from_db()
    return not user.is_muted() and not user.is_suspended()


def _witnesses(make_user, prefix: str, n: int, **fields) -> list[User]:
    return [make_user(pseudonym=f"{prefix}{i}", **fields) for i in range(n)]


# --- Visitors -------------------------------------------------------------------------------

@pytest.mark.parametrize("visitors", [2, 3])
def test_visitor_reports_never_mute_restrict_or_hide_anyone(make_user, adults_room, visitors,
                                                            django_capture_on_commit_callbacks):
    # The attack reported before 2026-12-04: fresh browsers reporting someone for child safety muted them for 30 days.
    ordinary = make_user(pseudonym="plain_target")
    moderator = make_user(pseudonym="mod_target", is_moderator=True)
    messages = [_post(ordinary, adults_room, "bonjour"), _post(moderator, adults_room, "rappel des règles")]
    with django_capture_on_commit_callbacks(execute=True):
        for browser in range(visitors):
            visitor = JsonClient()
            visitor.client.defaults["REMOTE_ADDR"] = f"198.51.100.{browser + 10}"
            for target in ({"user": str(ordinary.pk)}, {"user": str(moderator.pk)},
                           {"message": str(messages[0].pk)}, {"message": str(messages[1].pk)}):
                refused = _report(visitor, target, "child_safety")
                assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    assert _untouched(ordinary) and _untouched(moderator)
    for message in messages:
        message.refresh_from_db()
        assert message.status == Message.Status.VISIBLE
    assert not Report.objects.exists() and not Case.objects.exists() and not Notice.objects.exists()


def test_visitors_cannot_report_users_or_dms_and_cannot_tell_which_ids_exist(make_user):
    alice, bob = make_user(pseudonym="dm_alice"), make_user(pseudonym="dm_bob")
    dm = _dm(alice, bob)
    visitor = JsonClient()
    answers = [_report(visitor, target, "child_safety") for target in (
        {"user": str(bob.pk)}, {"user": "bob_nobody"}, {"message": str(dm.pk)}, {"message": str(dm.pk + 1000)})]
    assert {a.status_code for a in answers} == {401}
    assert len({str(a.json()["error"]) for a in answers}) == 1
    assert not Report.objects.exists()


def test_visitor_reports_on_record_weigh_nothing(make_user, adults_room):
    # Reports visitors filed before this rule stay in the database: they must not count for
    # hiding the message nor for the several-reporters bonus.
    author = make_user(pseudonym="legacy_author")
    message = _post(author, adults_room)
    witness = make_user(pseudonym="legacy_witness")
    first = file_report(reporter=witness, target={"message": str(message.pk)}, category="harassment",
                        details="", good_faith=True)
    triage_report(report_id=first.pk)
    alone = Case.objects.get().priority
    for i in range(5):
        evidence = snapshot_evidence(target_type="message", target=message)
        legacy = Report.objects.create(reporter=None, visitor_session=f"browser{i}", category="harassment",
                                       good_faith=True, target_type="message", target_id=message.pk,
                                       case=first.case, evidence=evidence)
        triage_report(report_id=legacy.pk)
    message.refresh_from_db()
    case = Case.objects.get()
    assert message.status == Message.Status.VISIBLE and not case.interim_hidden
    assert case.priority == alone


# --- Nobody reports what they could not see ------------------------------------------------------

def test_guessed_dm_ids_answer_not_found_exactly_like_missing_ids(make_user):
    alice, bob, outsider = make_user(pseudonym="gd_alice"), make_user(pseudonym="gd_bob"), make_user(pseudonym="gd_eve")
    dm = _dm(alice, bob, "on se voit où ?")
    guessed = _report(JsonClient(outsider), {"message": str(dm.pk)})
    missing = _report(JsonClient(outsider), {"message": str(dm.pk + 1000)})
    assert guessed.status_code == missing.status_code == 404
    assert guessed.json()["error"] == missing.json()["error"]
    assert not Report.objects.exists()
    # The people in the conversation may report it.
    assert _report(JsonClient(bob), {"message": str(dm.pk)}).status_code == 201


def test_signed_in_reporters_only_report_what_they_could_see(make_user, adults_room, minors_room):
    adult, teen, other_teen = make_user(pseudonym="see_adult"), make_user(AgeBand.YOUNG_TEEN, "see_tom"), \
        make_user(AgeBand.YOUNG_TEEN, "see_lou")
    teen_message = _post(other_teen, minors_room, "salut")
    verified_room = chat_services.create_room(slug="verifies", name="Vérifiés", audience="adults",
                                              min_assurance="verified")
    verified_message = _post(make_user(pseudonym="see_verified", assurance_level="verified"), verified_room)
    held = _post(make_user(pseudonym="see_held"), adults_room, "retenu")
    Message.objects.filter(pk=held.pk).update(status=Message.Status.HELD)
    client = JsonClient(adult)
    unseen = [
        {"message": str(teen_message.pk)},  # a minors' room
        {"message": str(verified_message.pk)},  # a room their age check does not open, not a member
        {"message": str(held.pk)},  # never delivered to anyone
        {"user": str(teen.pk)},  # someone they could not have met
        {"user": "see_tom"},
        {"room": "college"},
    ]
    missing = _report(client, {"message": "99999999"}).json()["error"]
    for target in unseen:
        answer = _report(client, target)
        assert answer.status_code == 404 and answer.json()["error"] == missing, target
    assert _report(JsonClient(teen), {"user": str(adult.pk)}).status_code == 404
    assert not Report.objects.exists()
    # What they could see: another adult, a message of a room of their audience, that room.
    seen_message = _post(make_user(pseudonym="see_poster"), adults_room)
    assert _report(client, {"message": str(seen_message.pk)}).status_code == 201
    assert _report(client, {"user": "see_poster"}).status_code == 201
    assert _report(client, {"room": "cafe"}).status_code == 201
    assert _report(JsonClient(teen), {"message": str(teen_message.pk)}).status_code == 201


# --- Automatic measures from reports ---------------------------------------------------------

def _reported_by(witnesses: list[User], message: Message, category: str = "harassment", capture=None):
    for witness in witnesses:
        with capture(execute=True):
            assert _report(JsonClient(witness), {"message": str(message.pk)}, category).status_code == 201


def test_established_reporters_hide_only_the_message_never_sanction_the_author(
        make_user, adults_room, django_capture_on_commit_callbacks):
    author = make_user(pseudonym="hid_author")
    message = _post(author, adults_room, "message litigieux")
    # A child-safety category from several established reporters: the old rule restricted
    # the author for 30 days; now the message is hidden pending review, nothing more.
    _reported_by(_witnesses(make_user, "est_wit", 3), message, "child_safety", django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Message.Status.HELD
    assert _untouched(author)
    case = Case.objects.get()
    assert case.interim_hidden and not case.interim_restricted
    assert list(Notice.objects.filter(recipient=author).values_list("action", flat=True)) == ["hide_message"]


def test_two_established_reporters_are_not_enough(make_user, adults_room, django_capture_on_commit_callbacks):
    message = _post(make_user(pseudonym="two_author"), adults_room)
    _reported_by(_witnesses(make_user, "two_wit", 2), message, capture=django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE


def test_new_or_sanctioned_accounts_do_not_count(make_user, adults_room, django_capture_on_commit_callbacks):
    author = make_user(pseudonym="new_author")
    message = _post(author, adults_room)
    fresh = _witnesses(make_user, "fresh_wit", 4, date_joined=timezone.now() - dt.timedelta(days=1))
    muted = _witnesses(make_user, "muted_wit", 2, muted_until=timezone.now() + dt.timedelta(days=1))
    # Seven reporters, only one of them established and unsanctioned: no measure.
    _reported_by(fresh + muted + [make_user(pseudonym="real_wit")], message,
                 capture=django_capture_on_commit_callbacks)
    assert Report.objects.filter(case=Case.objects.get()).count() == 7
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE
    assert _untouched(author)


def test_reporters_with_an_unfounded_record_weigh_less(make_user, adults_room, django_capture_on_commit_callbacks):
    witnesses = _witnesses(make_user, "cry_wit", 3)
    for i, witness in enumerate(witnesses):
        # Each had three reports found unfounded: a track record of 0.2 each, 0.6 in all.
        for j in range(3):
            target = make_user(pseudonym=f"cry_victim{i}{j}")
            report = file_report(reporter=witness, target={"user": str(target.pk)}, category="spam",
                                 details="", good_faith=True)
            Report.objects.filter(pk=report.pk).update(founded=False)
    message = _post(make_user(pseudonym="cry_author"), adults_room)
    fair = _witnesses(make_user, "fair_wit", 2)
    # Four reporters weigh 0.6 + 0.75 (no history yet): below the threshold of 2, where three
    # reporters without a history (2.25) would have been enough.
    _reported_by(witnesses + fair[:1], message, capture=django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE
    _reported_by(fair[1:], message, capture=django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Message.Status.HELD


@pytest.mark.parametrize("role", ["is_moderator", "is_operator"])
def test_a_moderators_message_is_never_hidden_by_reports(make_user, adults_room, role,
                                                         django_capture_on_commit_callbacks):
    staff = make_user(pseudonym=f"crew_{role[3:6]}", **{role: True})
    message = _post(staff, adults_room, "merci de rester courtois")
    _reported_by(_witnesses(make_user, f"mob_{role[3:6]}", 6), message, "child_safety",
                 django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE
    assert _untouched(staff)
    assert not Case.objects.get().interim_hidden


def test_gate_escalation_still_restricts_the_sender_at_once(make_user, minors_room):
    # Not a report: the gate's escalation path (gate.file_flag → on_flag_filed) is unchanged.
    from moderation import gate
    from moderation.policy import Verdict

    sender = make_user(AgeBand.ADULT, "gate_sender")
    verdict = Verdict(decision="escalate", reasons=("sexual_minors",), categories=("sexual_minors",), risk=1.0)
    gate.record_refusal(author=sender, text="…", verdict=verdict, room_id=minors_room.pk)
    sender.refresh_from_db()
    assert sender.is_muted() and Case.objects.get().interim_restricted


# --- Urgency, not sanction --------------------------------------------------------------------

def test_child_safety_report_reaches_top_priority_and_alerts_moderators_at_once(
        make_user, adults_room, monkeypatch, django_capture_on_commit_callbacks):
    sent: list[dict] = []
    monkeypatch.setattr(notify.events, "send_to_moderators", lambda payload, **_: sent.append(payload))
    threat = _post(make_user(pseudonym="cs_threat_author"), adults_room)
    for witness in _witnesses(make_user, "cs_threat_wit", 2):
        report = file_report(reporter=witness, target={"message": str(threat.pk)}, category="threat",
                             details="", good_faith=True)
        triage_report(report_id=report.pk)
    message = _post(make_user(pseudonym="cs_author"), adults_room, "envoie-moi des photos")
    # From anyone: a brand-new account whose earlier reports were all unfounded.
    newcomer = make_user(pseudonym="cs_newcomer", date_joined=timezone.now() - dt.timedelta(hours=1))
    for i in range(4):
        target = make_user(pseudonym=f"cs_victim{i}")
        earlier = file_report(reporter=newcomer, target={"user": str(target.pk)}, category="spam",
                              details="", good_faith=True)
        Report.objects.filter(pk=earlier.pk).update(founded=False)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = _report(JsonClient(newcomer), {"message": str(message.pk)}, "child_safety")
    assert response.status_code == 201
    case = Report.objects.get(pk=int(response.json()["report"]["id"])).case
    # Before any triage task ran (the callbacks were not executed).
    assert pending and Report.objects.get(case=case).triaged_at is None
    assert case.priority >= rules.CRITICAL_PRIORITY
    assert case.sla_due_at - case.created_at == dt.timedelta(hours=sla_hours()["critical"])
    queue = selectors.queue(moderator=None, status="open")
    assert queue[0]["id"] == str(case.pk)
    alerts = [event for event in sent if event["type"] == "moderation.alert"]
    assert [a["kind"] for a in alerts] == ["child_safety_report"] and alerts[0]["case"]["id"] == str(case.pk)
    # Urgency only: nothing happened to the message or its author.
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE and _untouched(message.author)
