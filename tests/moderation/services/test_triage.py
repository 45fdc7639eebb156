"""Triage: priority and SLA from the case's facts, idempotence, interim measures, the sweeper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AgeBand, User
from chat.models import Message
from moderation import gate, rules
from moderation.services.interim import COOL_DOWN
from moderation.services.report import file_report
from moderation.services.score import sla_hours
from moderation.services.triage import alert_sla_breaches, sweep_untriaged, triage_flag, triage_report
from moderation.models import Case, Flag, Notice, Report, TrustedFlagger

pytestmark = pytest.mark.django_db


def _report(reporter, target, category="harassment"):
    return file_report(reporter=reporter, target=target, category=category, details="", good_faith=True)


def test_priority_grows_with_severity_minors_reporters_and_trust():
    base = rules.PriorityInputs(category="spam", minors_involved=False, distinct_reporters=1,
                                reporter_reliability=0.75, subject_violations=0, trusted_source=False,
                                critical_flag=False)
    spam = rules.compute_priority(base)
    child = rules.compute_priority(base.__class__(**{**base.__dict__, "category": "child_safety"}))
    minors = rules.compute_priority(base.__class__(**{**base.__dict__, "minors_involved": True}))
    crowd = rules.compute_priority(base.__class__(**{**base.__dict__, "distinct_reporters": 4}))
    trusted = rules.compute_priority(base.__class__(**{**base.__dict__, "trusted_source": True}))
    history = rules.compute_priority(base.__class__(**{**base.__dict__, "subject_violations": 3}))
    unreliable = rules.compute_priority(base.__class__(**{**base.__dict__, "reporter_reliability": 0.1}))
    assert child > minors > spam
    assert crowd > spam and trusted > spam and history > spam and unreliable < spam


def test_child_safety_is_critical_whoever_reported_it():
    unreliable = rules.PriorityInputs(category="grooming", minors_involved=False, distinct_reporters=0,
                                      reporter_reliability=0.0, subject_violations=0, trusted_source=False,
                                      critical_flag=False)
    assert rules.compute_priority(unreliable) == rules.CRITICAL_PRIORITY
    hours = sla_hours()
    assert rules.sla_for(priority=rules.CRITICAL_PRIORITY, trusted_source=False, hours=hours) == dt.timedelta(
        hours=hours["critical"])


def test_trusted_flagger_gets_a_shorter_sla():
    hours = {"critical": 1, "high": 4, "normal": 24, "low": 72, "trusted_factor": 0.5}
    assert rules.sla_for(priority=50, trusted_source=True, hours=hours) == dt.timedelta(hours=12)
    assert rules.sla_for(priority=50, trusted_source=False, hours=hours) == dt.timedelta(hours=24)


def test_triage_sets_priority_and_sla_and_runs_once(make_user, adults_room, post):
    message = post(make_user(pseudonym="subject1"), adults_room)
    report = _report(make_user(pseudonym="reporter_a"), {"message": str(message.pk)}, "threat")
    assert triage_report(report_id=report.pk) is True
    case = Case.objects.get(pk=report.case_id)
    assert case.priority > 0 and case.category == "threat"
    assert case.sla_due_at == case.created_at + rules.sla_for(priority=case.priority, trusted_source=False,
                                                              hours=sla_hours())
    state = (case.priority, case.sla_due_at, case.triaged_at)
    assert triage_report(report_id=report.pk) is False
    case.refresh_from_db()
    assert (case.priority, case.sla_due_at, case.triaged_at) == state


def test_child_safety_in_minors_space_outranks_adult_spam(make_user, adults_room, minors_room, post):
    spam_msg = post(make_user(pseudonym="spammer"), adults_room)
    teen_msg = post(make_user(AgeBand.OLDER_TEEN, "noa_s"), minors_room)
    spam = _report(make_user(pseudonym="rep_spam"), {"message": str(spam_msg.pk)}, "spam")
    child = _report(make_user(AgeBand.OLDER_TEEN, "ines_r"), {"message": str(teen_msg.pk)}, "grooming")
    triage_report(report_id=spam.pk)
    triage_report(report_id=child.pk)
    from moderation import selectors

    queue = selectors.queue(moderator=None, status="open")
    assert [c["id"] for c in queue] == [str(child.case_id), str(spam.case_id)]
    assert queue[0]["minors_involved"] is True


def test_trusted_flagger_report_goes_first(make_user, adults_room, post):
    flagger = make_user(pseudonym="ngo_user")
    TrustedFlagger.objects.create(user=flagger, organisation="Point de Contact")
    m1, m2 = post(make_user(pseudonym="s_one"), adults_room), post(make_user(pseudonym="s_two"), adults_room)
    ordinary = _report(make_user(pseudonym="plain_rep"), {"message": str(m1.pk)}, "hate")
    trusted = _report(flagger, {"message": str(m2.pk)}, "hate")
    triage_report(report_id=ordinary.pk)
    triage_report(report_id=trusted.pk)
    a, b = Case.objects.get(pk=ordinary.case_id), Case.objects.get(pk=trusted.case_id)
    assert b.trusted_source and b.priority > a.priority
    assert (b.sla_due_at - b.created_at) < (a.sla_due_at - a.created_at)


def test_message_reported_by_several_established_users_is_hidden_pending_review(
        make_user, adults_room, post, django_capture_on_commit_callbacks):
    # make_user's accounts are 30 days old: established reporters (tests/security/test_report_abuse.py
    # has the new accounts, visitors and moderators that never count).
    author = make_user(pseudonym="loud_one")
    message = post(author, adults_room)
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            _report(make_user(pseudonym=f"witness{i}"), {"message": str(message.pk)})
        message.refresh_from_db()
        assert message.status == (Message.Status.HELD if i == 2 else Message.Status.VISIBLE)
    case = Case.objects.get()
    assert case.interim_hidden and not case.interim_restricted
    notice = Notice.objects.get(recipient=author, kind="interim")
    assert notice.action == "hide_message" and notice.automated


def test_critical_flag_hides_the_message_and_child_safety_escalation_restricts_the_author(
        make_user, minors_room, post):
    author = make_user(AgeBand.OLDER_TEEN, "lea_m")
    message = post(author, minors_room)
    flag = Flag.objects.create(subject=author, subject_id_snapshot=author.pk, text=message.body,
                               message_id_snapshot=message.pk, room_id_snapshot=minors_room.pk,
                               decision="flag", reasons=["sexual_minors"], categories=["sexual_minors"], risk=0.95)
    assert triage_flag(flag_id=flag.pk) is True
    message.refresh_from_db()
    author.refresh_from_db()
    assert message.status == Message.Status.HELD
    # Restricted pending review: a cool-down of minutes, no new conversation until decided.
    assert author.is_muted() and author.muted_until <= timezone.now() + COOL_DOWN
    assert gate.first_contacts_paused(user_id=author.pk)
    case = Case.objects.get()
    assert case.interim_hidden and case.interim_restricted and case.category == "child_safety"
    assert triage_flag(flag_id=flag.pk) is False


def test_gate_escalation_restricts_the_sender_at_once(make_user, minors_room):
    from moderation.policy import Verdict

    sender = make_user(AgeBand.ADULT, "bad_actor")
    verdict = Verdict(decision="escalate", reasons=("sexual_minors",), categories=("sexual_minors",), risk=1.0)
    gate.record_refusal(author=sender, text="…", verdict=verdict, room_id=minors_room.pk)
    sender.refresh_from_db()
    assert sender.is_muted() and sender.muted_until <= timezone.now() + COOL_DOWN
    assert gate.first_contacts_paused(user_id=sender.pk)
    case = Case.objects.get()
    assert case.subject_type == "user" and case.interim_restricted


def test_sweeper_re_enqueues_untriaged_reports_and_flags(make_user, monkeypatch):
    from moderation import tasks

    subject = make_user(pseudonym="swept")
    report = _report(make_user(pseudonym="sweeper_rep"), {"user": str(subject.pk)}, "spam")
    flag = Flag.objects.create(subject=subject, subject_id_snapshot=subject.pk, text="x", decision="flag",
                               reasons=["spam"], categories=[], risk=0.2)
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    Flag.objects.filter(pk=flag.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert sweep_untriaged() == 2  # eager in tests: the tasks ran
    report.refresh_from_db()
    flag.refresh_from_db()
    assert report.triaged_at is not None and flag.triaged_at is not None
    assert sweep_untriaged() == 0


def test_sla_breach_alerts_once(make_user):
    subject = make_user(pseudonym="late_sub")
    report = _report(make_user(pseudonym="late_rep"), {"user": str(subject.pk)}, "spam")
    triage_report(report_id=report.pk)
    Case.objects.filter(pk=report.case_id).update(sla_due_at=timezone.now() - dt.timedelta(minutes=1))
    assert alert_sla_breaches() == 1
    assert alert_sla_breaches() == 0


def test_reporter_with_many_unfounded_reports_is_slowed_down(make_user, settings):
    from core.errors import PhareError

    settings.PHARE_UNFOUNDED_REPORTS_BEFORE_SLOWDOWN = 2
    reporter = make_user(pseudonym="crier")
    for i in range(2):
        report = _report(reporter, {"user": str(make_user(pseudonym=f"victim{i}").pk)}, "spam")
        Report.objects.filter(pk=report.pk).update(founded=False)
    _report(reporter, {"user": str(make_user(pseudonym="victim8").pk)}, "spam")
    with pytest.raises(PhareError) as error:
        _report(reporter, {"user": str(make_user(pseudonym="victim9").pk)}, "spam")
    assert error.value.code == "rate_limited" and error.value.retry_after
    assert User.objects.filter(pseudonym="victim9").exists()
