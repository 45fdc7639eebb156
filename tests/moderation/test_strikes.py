"""Weighted strikes and the escalation ladder, through the real services: a strike weighs what
its reason weighs and keeps it; expired and revoked strikes stop counting; reaching a step of
the ladder proposes it on a case and applies nothing until a moderator, never the subject,
confirms it; operators' edits of the weights and the ladder apply and are audited; people
read their own record (GET /api/v1/me/strikes)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import PhareError
from moderation import rules
from moderation.models import AuditEntry, Case, Decision, Escalation, EscalationStep, Notice, Strike
from moderation.services.appeal import decide_appeal, file_appeal
from moderation.services.decide import decide_case
from moderation.services.report import file_report
from moderation.services.strike_rules import set_strike_weight
from moderation.services.strikes import active_weight

pytestmark = pytest.mark.django_db

_bodies = itertools.count(1)
DAY = 86400


@pytest.fixture
def violation(make_user, moderator, adults_room, post):
    """A message of `subject` reported and decided against them by `moderator` (its own case
    each time); returns the decision."""
    def violate(subject, reason: str = "harassment", action: str = "remove_message",
                duration: int | None = None, by=None) -> Decision:
        message = post(subject, adults_room, f"message numéro {next(_bodies)}")
        category = reason if reason in rules.REPORT_CATEGORIES else "other"
        report = file_report(reporter=make_user(), target={"message": str(message.pk)}, category=category,
                             details="", good_faith=True)
        decide_case(moderator=by or moderator, case_id=report.case_id, action=action, reason_code=reason,
                    duration_seconds=duration)
        return Decision.objects.get(case_id=report.case_id)
    return violate


def step_case(user) -> Case:
    """The open case about `user` that carries the proposed step."""
    return Case.objects.get(subject_type="user", subject_id=user.pk, status__in=["open", "claimed"])


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def near(moment: dt.datetime, expected: dt.datetime) -> bool:
    return abs((moment - expected).total_seconds()) < 60


# --- Weights --------------------------------------------------------------------------------

def test_a_strike_weighs_what_its_reason_weighs_and_counts_for_its_days(make_user, violation):
    spammer, abuser = make_user(), make_user()
    violation(spammer, reason="spam")
    violation(abuser, reason="child_safety")
    spam, child = Strike.objects.get(user=spammer), Strike.objects.get(user=abuser)
    assert (spam.weight, child.weight) == (1, 10)
    assert near(spam.expires_at, spam.created_at + dt.timedelta(days=90))
    assert near(child.expires_at, child.created_at + dt.timedelta(days=365))
    # The decision keeps its strike, and its notice tells the person.
    notice = Notice.objects.get(recipient=abuser, kind="decision")
    assert notice.scope["strike"]["weight"] == 10 and notice.scope["active_weight"] == 10
    assert "weight 10" in client_for(abuser).get("/api/v1/notices").json()["notices"][0]["text"]


def test_an_operators_weight_applies_to_later_strikes_only_and_is_audited(make_user, violation):
    operator = make_user(is_operator=True, is_staff=True)
    spammer = make_user()
    violation(spammer, reason="spam")
    set_strike_weight(actor=operator, reason_code="spam", weight=5, days=30)
    violation(spammer, reason="spam")
    first, second = Strike.objects.filter(user=spammer).order_by("pk")
    assert (first.weight, second.weight) == (1, 5)  # history is not rewritten
    assert near(second.expires_at, second.created_at + dt.timedelta(days=30))
    entry = AuditEntry.objects.get(action="strikes.weight_changed")
    assert (entry.actor_id, entry.target_id) == (operator.pk, "spam")
    assert entry.data == {"weight": 5, "days": 30, "before": {"weight": 1, "days": 90}}
    for bad in ({"weight": -1, "days": 30}, {"weight": 101, "days": 30}, {"weight": 2, "days": 0},
                {"weight": "2", "days": 30}):
        with pytest.raises(PhareError) as refused:
            set_strike_weight(actor=operator, reason_code="spam", **bad)
        assert refused.value.code == "bad_request"
    with pytest.raises(PhareError):
        set_strike_weight(actor=operator, reason_code="no_violation", weight=1, days=1)


# --- What counts ----------------------------------------------------------------------------

def test_expired_strikes_stop_counting_and_do_not_help_reach_a_step(make_user, moderator2, violation):
    author = make_user()
    violation(author)  # harassment: 2, the warning step
    decide_case(moderator=moderator2, case_id=step_case(author).pk, action="dismiss", reason_code="no_violation")
    Strike.objects.filter(user=author).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert active_weight(author.pk) == 0
    assert client_for(author).get("/api/v1/me/strikes").json()["strikes"] == []
    violation(author)  # 2 again, not 4: the mute step is not reached, the warning step is
    assert Escalation.objects.get(status="proposed").action == "warn"


def test_a_reversed_decision_revokes_its_strike_which_stops_counting(make_user, moderator2, violation):
    author = make_user()
    decision = violation(author, reason="hate")
    assert active_weight(author.pk) == 3
    notice = Notice.objects.get(recipient=author, kind="decision", decision=decision)
    appeal = file_appeal(user=author, notice_id=str(notice.pk), reason="C'était une citation.")
    decide_appeal(moderator=moderator2, appeal_id=str(appeal.pk), outcome="reversed")
    assert Strike.objects.get(user=author).revoked_at is not None
    assert active_weight(author.pk) == 0
    assert client_for(author).get("/api/v1/me/strikes").json() == {
        "strikes": [], "active_weight": 0, "next_step": {"action": "warn", "duration_seconds": None,
                                                         "threshold": 2, "text": "warning"}}
    # The step the strike had reached waits for a moderator, who sees it is no longer reached.
    page = client_for(moderator2).get(f"/moderation/cases/{step_case(author).pk}/").content.decode()
    assert "Below the step since it was proposed" in page


# --- The ladder: proposed, never applied ------------------------------------------------------

def test_reaching_a_step_proposes_it_on_a_case_and_applies_nothing(make_user, violation):
    author = make_user()
    first = violation(author)  # harassment weighs 2: the warning step
    case = step_case(author)
    assert case.subject_user_id == author.pk and case.category == "harassment"
    escalation = case.escalations.get()
    assert (escalation.status, escalation.action, escalation.threshold, escalation.active_weight) == (
        "proposed", "warn", 2, 2)
    assert escalation.triggered_by_id == first.pk
    second = violation(author)  # 4: the mute step replaces the warning on the same case
    escalation.refresh_from_db()
    assert step_case(author).pk == case.pk and case.escalations.count() == 1
    assert (escalation.action, escalation.duration_seconds, escalation.threshold, escalation.active_weight) == (
        "mute", DAY, 4, 4)
    assert escalation.triggered_by_id == second.pk
    author.refresh_from_db()
    assert not author.is_muted() and not author.is_suspended() and not author.banned
    assert Decision.objects.filter(case=case).count() == 0  # nobody decided anything
    proposals = AuditEntry.objects.filter(action="strikes.step_proposed", target_id=str(case.pk)).order_by("seq")
    assert [(e.actor_id, e.data["action"], e.data["replaces"]) for e in proposals] == [
        (None, "warn", False), (None, "mute", True)]


def test_a_moderator_confirms_the_step_which_applies_with_its_audit_and_notice(
        make_user, moderator2, violation):
    author = make_user()
    violation(author)
    violation(author)  # 4: mute proposed
    case = step_case(author)
    decide_case(moderator=moderator2, case_id=case.pk, action="mute", reason_code="harassment",
                duration_seconds=DAY, note="Escalation ladder: the step for a weight of 4.")
    author.refresh_from_db()
    assert author.is_muted() and near(author.muted_until, timezone.now() + dt.timedelta(days=1))
    escalation = case.escalations.get()
    decision = Decision.objects.get(case=case)
    assert (escalation.status, escalation.decision_id) == ("confirmed", decision.pk)
    # Carrying out the step is no new violation: still two strikes, weight 4.
    assert Strike.objects.filter(user=author).count() == 2 and active_weight(author.pk) == 4
    assert AuditEntry.objects.filter(action="strikes.step_confirmed", target_id=str(case.pk),
                                     actor=moderator2).exists()
    assert AuditEntry.objects.get(action="case.decided", target_id=str(case.pk)).data["action"] == "mute"
    notice = Notice.objects.get(recipient=author, case=case, kind="decision")
    assert notice.scope["escalation"] == {"threshold": 4, "active_weight": 4} and notice.appealable_until
    text = client_for(author).get("/api/v1/notices").json()["notices"][0]["text"]
    assert "step for a weight of 4" in text
    # Nothing is proposed by the confirmation itself.
    assert not Case.objects.filter(subject_type="user", subject_id=author.pk, status="open").exists()


def test_the_subject_of_a_step_cannot_confirm_it(make_user, moderator, violation):
    colleague = make_user(is_moderator=True)
    violation(colleague)
    violation(colleague)
    case = step_case(colleague)
    with pytest.raises(PhareError) as refused:
        decide_case(moderator=colleague, case_id=case.pk, action="mute", reason_code="harassment",
                    duration_seconds=DAY)
    assert refused.value.code == "conflict_of_interest"
    response = client_for(colleague).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                                          {"action": "mute", "reason_code": "harassment"},
                                          content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "conflict_of_interest"
    colleague.refresh_from_db()
    assert not colleague.is_muted() and case.escalations.get().status == "proposed"


def test_a_moderator_who_decides_otherwise_declines_the_step(make_user, moderator2, violation):
    author = make_user()
    violation(author)
    case = step_case(author)
    decide_case(moderator=moderator2, case_id=case.pk, action="dismiss", reason_code="no_violation")
    assert case.escalations.get().status == "declined"
    assert AuditEntry.objects.filter(action="strikes.step_declined", target_id=str(case.pk)).exists()
    assert Strike.objects.filter(user=author).count() == 1


def test_a_step_no_stronger_than_the_decision_is_not_proposed(make_user, violation):
    muted, suspended = make_user(), make_user()
    violation(muted, action="mute", duration=3600)  # 2, the warning step: the mute said more
    violation(suspended, reason="threat", action="suspend", duration=DAY)  # 6: past the mute step
    assert active_weight(muted.pk) == 2 and active_weight(suspended.pk) == 6
    assert not Escalation.objects.exists()


def test_one_child_safety_violation_proposes_a_ban_review_at_once(make_user, violation):
    offender = make_user()
    violation(offender, reason="child_safety")
    case = step_case(offender)
    escalation = case.escalations.get()
    assert (escalation.action, escalation.threshold, escalation.active_weight) == ("ban", 10, 10)
    assert case.category == "child_safety" and case.priority >= rules.CRITICAL_PRIORITY
    offender.refresh_from_db()
    assert not offender.banned


def test_the_console_shows_the_proposed_step_with_a_confirm_button(make_user, moderator2, violation):
    author = make_user()
    violation(author)
    violation(author)
    page = client_for(moderator2).get(f"/moderation/cases/{step_case(author).pk}/").content.decode()
    assert "Proposed step of the escalation ladder" in page
    assert 'class="quick-decide confirm-step" data-action="mute" data-reason="harassment" data-duration="86400"' in page
    assert "Active strikes of the subject" in page and "Active weight: 4." in page
    detail = client_for(moderator2).get(f"/api/v1/moderation/cases/{step_case(author).pk}").json()["case"]
    assert detail["escalation"]["action"] == "mute" and detail["escalation"]["status"] == "proposed"
    assert detail["subject_strikes"]["active_weight"] == 4 and len(detail["subject_strikes"]["strikes"]) == 2


# --- The operators' ladder (admin) ------------------------------------------------------------

def test_operators_edit_the_ladder_in_the_admin_each_change_audited_and_in_effect(make_user, violation):
    operator = make_user(is_operator=True, is_staff=True)
    admin = client_for(operator)
    steps = {step.action: step for step in EscalationStep.objects.all()}
    assert [(s.threshold, s.action, s.duration_seconds) for s in EscalationStep.objects.order_by("threshold")] == [
        (2, "warn", None), (4, "mute", DAY), (7, "suspend", 7 * DAY), (10, "ban", None)]
    # A mute needs a duration, a warning has none: refused at the form, nothing changes.
    for form in ({"threshold": 3, "action": "mute", "duration_seconds": ""},
                 {"threshold": 3, "action": "warn", "duration_seconds": 60},
                 {"threshold": 7, "action": "warn", "duration_seconds": ""}):  # 7 is taken
        response = admin.post("/admin/moderation/escalationstep/add/", form)
        assert response.status_code == 200 and EscalationStep.objects.count() == 4
    response = admin.post(f"/admin/moderation/escalationstep/{steps['mute'].pk}/change/",
                          {"threshold": 3, "action": "mute", "duration_seconds": 2 * 3600})
    assert response.status_code == 302, response.content[:500]
    response = admin.post(f"/admin/moderation/escalationstep/{steps['warn'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = admin.post("/admin/moderation/escalationstep/add/",
                          {"threshold": 12, "action": "suspend", "duration_seconds": 30 * DAY})
    assert response.status_code == 302, response.content[:500]
    entries = AuditEntry.objects.filter(target_type="escalation_step").order_by("seq")
    assert [(e.action, e.actor_id) for e in entries] == [
        ("strikes.step_changed", operator.pk), ("strikes.step_removed", operator.pk),
        ("strikes.step_added", operator.pk)]
    assert entries[0].data["before"] == {"threshold": 4, "action": "mute", "duration_seconds": DAY}
    # In effect for the next decisions: 2 reaches no step now, 3 the two-hour mute.
    author = make_user()
    violation(author)
    assert not Escalation.objects.exists()
    violation(author, reason="spam")
    assert (Escalation.objects.get().action, Escalation.objects.get().duration_seconds) == ("mute", 2 * 3600)


def test_operators_edit_weights_in_the_admin_audited_never_deleted(make_user):
    operator = make_user(is_operator=True, is_staff=True)
    admin = client_for(operator)
    spam = "/admin/moderation/strikeweight/"
    from moderation.models import StrikeWeight
    row = StrikeWeight.objects.get(reason_code="spam")
    response = admin.post(f"{spam}{row.pk}/change/", {"weight": 3, "days": 45})
    assert response.status_code == 302, response.content[:500]
    row.refresh_from_db()
    assert (row.weight, row.days) == (3, 45)
    assert AuditEntry.objects.get(action="strikes.weight_changed").actor_id == operator.pk
    assert admin.post(f"{spam}{row.pk}/change/", {"weight": 500, "days": 45}).status_code == 200
    assert admin.post(f"{spam}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert StrikeWeight.objects.filter(pk=row.pk).exists()


# --- The person's own record ------------------------------------------------------------------

def test_people_read_their_active_strikes_reasons_and_expiry(make_user, violation, api):
    author, other = make_user(), make_user()
    decision = violation(author, reason="harassment")
    violation(other, reason="spam")
    body = client_for(author).get("/api/v1/me/strikes").json()
    strike = Strike.objects.get(decision=decision)
    assert body["strikes"] == [{
        "id": str(strike.pk), "reason": "harassment",
        "reason_text": "Harassing, insulting or intimidating people is forbidden.", "weight": 2,
        "created_at": strike.created_at.isoformat().replace("+00:00", "Z"),
        "expires_at": strike.expires_at.isoformat().replace("+00:00", "Z")}]
    assert body["active_weight"] == 2
    assert body["next_step"] == {"action": "mute", "duration_seconds": DAY, "threshold": 4,
                                 "text": "mute for 1 day(s)"}
    french = client_for(author, "fr").get("/api/v1/me/strikes").json()
    assert french["strikes"][0]["reason_text"] == "Harceler, insulter ou intimider est interdit."
    assert api().get("/api/v1/me/strikes").status_code == 401
    # A suspended account still reads its record: a suspension may be the step it reached.
    author.suspended_until = timezone.now() + dt.timedelta(days=1)
    author.save(update_fields=["suspended_until"])
    assert client_for(author).get("/api/v1/me/strikes").status_code == 200
    assert client_for(author).post("/api/v1/me/strikes").status_code == 405
