"""Statements of reasons for the DSA Transparency Database: the mapping of Phare's notices to
the Database's fields, the schema that checks them, the hand export, and the task that sends
them in batches to a fake Database (a real HTTP server on this machine) with retries and
idempotent ids."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.utils import timezone

from moderation import dsa_export, gate, rules, tasks
from moderation.models import AuditEntry, Case, Notice, ReportCategory, StatementSubmission
from moderation.services.interim import restrict_pending_review
from moderation.services.report import file_report
from moderation.services.triage import attach_flag

pytestmark = pytest.mark.django_db

TOKEN = "X|test-token"


class FakeDatabase(ThreadingHTTPServer):
    """The Database's statements endpoint as its API documentation and source describe it:
    a bearer token, 1 to 100 statements a call, all refused (422, `existing_puids`) when one
    puid is already held. `fail_next` answers 503 that many times; `lose_next_answer` stores
    a batch but answers 500, as when an answer is lost on the way back."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[list[dict[str, Any]]] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.fail_next = 0
        self.lose_next_answer = False
        self.refuse_next = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1/statements"


class _Handler(BaseHTTPRequestHandler):
    server: FakeDatabase

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, {"message": "Unauthenticated."})
        statements = body.get("statements")
        if not isinstance(statements, list) or not 1 <= len(statements) <= 100:
            return self._answer(422, {"errors": {"statements": ["between 1 and 100"]}})
        self.server.calls.append(statements)
        if self.server.fail_next:
            self.server.fail_next -= 1
            return self._answer(503, {"message": "Service Unavailable"})
        if self.server.refuse_next:
            self.server.refuse_next = False
            return self._answer(422, {"message": "invalid", "errors": {"statements.0.category": ["invalid"]}})
        existing = [s["puid"] for s in statements if s["puid"] in self.server.stored]
        if existing:
            return self._answer(422, {"message": "The platform identifier(s) are not all unique within this call.",
                                      "errors": {"puid": ["not unique"], "existing_puids": existing}})
        for statement in statements:
            self.server.stored[statement["puid"]] = statement
        if self.server.lose_next_answer:
            self.server.lose_next_answer = False
            return self._answer(500, {"message": "Server Error"})
        return self._answer(201, {"statements": [{"puid": s["puid"], "uuid": f"u-{s['puid']}"} for s in statements]})


@pytest.fixture
def database(settings):
    server = FakeDatabase()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PHARE_DSA_API_URL = server.url
    settings.PHARE_DSA_API_TOKEN = TOKEN
    settings.PHARE_DSA_SUBMIT = True
    yield server
    server.shutdown()
    server.server_close()


def _decide(api, moderator, case_id: int, action: str, reason_code: str, **extra: Any) -> None:
    response = api(moderator).post(f"/api/v1/moderation/cases/{case_id}/decide",
                                   {"action": action, "reason_code": reason_code, **extra})
    assert response.status_code == 200, response.content


def _removed(api, moderator, make_user, room, post, *, body: str = "un message haineux", category: str = "hate"):
    author = make_user()
    message = post(author, room, body)
    report = file_report(reporter=make_user(), target={"message": str(message.pk)}, category=category,
                         details="", good_faith=True)
    _decide(api, moderator, report.case_id, "remove_message", category)
    return Notice.objects.get(case_id=report.case_id, kind=Notice.Kind.DECISION), author


def test_a_moderators_removal_is_mapped_to_the_database_fields(api, moderator, make_user, adults_room, post):
    notice, author = _removed(api, moderator, make_user, adults_room, post, body="texte privé à ne pas publier")
    statement = dsa_export.statement_for_notice(notice)
    today = timezone.now().date().isoformat()
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert "decision_account" not in statement and "decision_provision" not in statement
    assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert statement["incompatible_content_ground"] == "Community rules, rule 'hate'"
    assert statement["incompatible_content_explanation"] == "Attacking people for who they are is forbidden."
    assert statement["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert statement["category_specification"] == ["KEYWORD_HATE_SPEECH"]
    assert statement["content_type"] == ["CONTENT_TYPE_TEXT"]
    assert statement["source_type"] == "SOURCE_ARTICLE_16"
    assert statement["automated_detection"] == "No"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert statement["content_date"] == statement["application_date"] == today
    assert statement["territorial_scope"] == list(dsa_export.EU_COUNTRIES)
    assert statement["puid"] == f"phare-notice-{notice.pk}"
    assert dsa_export.validate_statement(statement) == []
    # Nothing personal: neither the message nor who wrote it.
    sent = json.dumps(statement, ensure_ascii=False)
    assert "texte privé" not in sent and author.pseudonym not in sent and str(author.pk) not in sent.split("-")


def test_an_automated_interim_restriction_is_flagged_as_automated_detection_and_decision(make_user):
    subject = make_user()
    flag = gate.file_flag(verdict=gate.Verdict(decision="escalate", reasons=("grooming_risk",),
                                               categories=("grooming",), risk=1.0),
                          subject_id=subject.pk, text="…", message_id=None, room_id=None, conversation_id=None)
    case = attach_flag(flag=flag)
    restrict_pending_review(case=case)
    notice = Notice.objects.get(case=case, kind=Notice.Kind.INTERIM)
    statement = dsa_export.statement_for_notice(notice)
    assert statement["automated_detection"] == "Yes"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert statement["source_type"] == "SOURCE_VOLUNTARY"
    assert statement["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert "end_date_service_restriction" not in statement  # until a moderator reviews it
    assert statement["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    assert statement["category_specification"] == ["KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"]
    assert statement["content_type"] == ["CONTENT_TYPE_OTHER"] and statement["content_type_other"]
    assert "automated means" in statement["decision_facts"]
    assert dsa_export.validate_statement(statement) == []


def test_a_suspension_carries_its_end_date_and_a_ban_terminates_the_account(api, moderator, make_user):
    for action, duration in (("suspend", 3 * 86400), ("ban", None)):
        subject = make_user()
        report = file_report(reporter=make_user(), target={"user": str(subject.pk)}, category="threat",
                             details="", good_faith=True)
        _decide(api, moderator, report.case_id, action, "threat",
                **({"duration_seconds": duration} if duration else {}))
        statement = dsa_export.statement_for_notice(Notice.objects.get(case_id=report.case_id, kind="decision"))
        assert statement["incompatible_content_illegal"] == "Yes"  # threats: forbidden by law too
        assert statement["category"] == "STATEMENT_CATEGORY_VIOLENCE"
        if action == "suspend":
            assert statement["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
            in_three_days = (timezone.now() + dt.timedelta(days=3)).date().isoformat()
            assert statement["end_date_account_restriction"] == in_three_days
        else:
            assert statement["decision_account"] == "DECISION_ACCOUNT_TERMINATED"
            assert "end_date_account_restriction" not in statement
        assert dsa_export.validate_statement(statement) == []


def test_a_warning_is_no_statement_and_the_suspension_its_strikes_reach_is_one_once_confirmed(
        api, moderator, moderator2, make_user):
    subject = make_user()
    report = file_report(reporter=make_user(), target={"user": str(subject.pk)}, category="spam",
                         details="", good_faith=True)
    _decide(api, moderator, report.case_id, "warn", "spam")
    assert dsa_export.statement_for_notice(Notice.objects.get(case_id=report.case_id, kind="decision")) is None
    # A threat weighs 6: with the spam, 7, the suspension step. The warning suspends nothing
    # (its statement stays none); the step waits for a moderator on a case about the subject.
    report = file_report(reporter=make_user(), target={"user": str(subject.pk)}, category="threat",
                         details="", good_faith=True)
    _decide(api, moderator, report.case_id, "warn", "threat")
    assert dsa_export.statement_for_notice(Notice.objects.get(case_id=report.case_id, kind="decision")) is None
    subject.refresh_from_db()
    assert not subject.is_suspended()
    step_case = Case.objects.get(subject_type="user", subject_id=subject.pk, status="open")
    assert step_case.escalations.get().action == "suspend"
    _decide(api, moderator2, step_case.pk, "suspend", "threat", duration_seconds=7 * 86400)
    statement = dsa_export.statement_for_notice(Notice.objects.get(case_id=step_case.pk, kind="decision"))
    assert statement["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert statement["end_date_account_restriction"] >= timezone.now().date().isoformat()
    assert dsa_export.validate_statement(statement) == []


def test_every_reason_code_and_case_category_has_a_database_category():
    schema = json.loads(dsa_export.SCHEMA_PATH.read_text())
    categories = schema["properties"]["category"]["enum"]
    keywords = schema["properties"]["category_specification"]["items"]["enum"]
    codes = (set(rules.REASON_CODES) | set(ReportCategory.values)) - {"no_violation", "approved"}
    for code in codes:
        category, code_keywords = dsa_export.CATEGORIES[code]
        assert category in categories, code
        assert set(code_keywords) <= set(keywords), code
    for action, (name, value) in dsa_export.RESTRICTIONS.items():
        allowed = schema["properties"][name]
        assert value in (allowed["items"]["enum"] if "items" in allowed else allowed["enum"]), action


def test_the_schema_refuses_a_missing_field_a_wrong_enum_or_no_restriction(api, moderator, make_user, adults_room,
                                                                           post):
    notice, _author = _removed(api, moderator, make_user, adults_room, post)
    valid = dsa_export.statement_for_notice(notice)

    def errors_with(change) -> list[str]:
        statement = copy.deepcopy(valid)
        change(statement)
        return dsa_export.validate_statement(statement)

    assert any("category" in e for e in errors_with(lambda s: s.pop("category")))
    assert any("puid" in e for e in errors_with(lambda s: s.pop("puid")))
    assert errors_with(lambda s: s.update(automated_decision="Yes"))
    assert errors_with(lambda s: s.update(automated_detection=True))
    assert errors_with(lambda s: s.update(decision_visibility=["DECISION_VISIBILITY_HIDDEN"]))
    assert errors_with(lambda s: s.update(content_date="05/12/2026"))
    assert errors_with(lambda s: s.update(territorial_scope=["US"]))
    assert errors_with(lambda s: s.pop("decision_visibility"))  # restricts nothing
    assert errors_with(lambda s: s.pop("incompatible_content_explanation"))
    assert errors_with(lambda s: s.update(decision_ground="DECISION_GROUND_ILLEGAL_CONTENT"))  # its fields missing
    assert errors_with(lambda s: s.update(content_type=["CONTENT_TYPE_OTHER"]))  # without content_type_other
    assert errors_with(lambda s: s.update(pseudonym="x"))  # nothing beyond the published fields
    assert errors_with(lambda s: s.update(decision_facts="x" * 5001))


def test_export_statements_writes_the_database_body_for_hand_submission(api, moderator, make_user, adults_room,
                                                                        post, tmp_path):
    notice, _author = _removed(api, moderator, make_user, adults_room, post)
    warned = file_report(reporter=make_user(), target={"user": str(make_user().pk)}, category="spam",
                         details="", good_faith=True)
    _decide(api, moderator, warned.case_id, "warn", "spam")
    today = timezone.now().date()
    out = tmp_path / "statements.json"
    err = io.StringIO()
    call_command("export_statements", "--since", str(today), "--until", str(today + dt.timedelta(days=1)),
                 "--out", str(out), stderr=err)
    statements = json.loads(out.read_text())["statements"]
    assert [s["puid"] for s in statements] == [f"phare-notice-{notice.pk}"]
    assert "1 statements, 0 invalid" in err.getvalue()
    assert AuditEntry.objects.filter(action="dsa.export").exists()
    # Nothing before --since.
    stdout = io.StringIO()
    call_command("export_statements", "--since", str(today + dt.timedelta(days=1)), stdout=stdout, stderr=io.StringIO())
    assert json.loads(stdout.getvalue()) == {"statements": []}


def test_the_hourly_task_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["moderation-submit-dsa-statements"]
    assert entry["task"] == tasks.submit_dsa_statements.name and entry["schedule"] == 3600.0
    assert settings.PHARE_DSA_SUBMIT is False  # a dry run until an operator turns it on


def test_nothing_is_sent_in_dry_run(api, moderator, make_user, adults_room, post, database, settings):
    _removed(api, moderator, make_user, adults_room, post)
    settings.PHARE_DSA_SUBMIT = False
    result = dsa_export.submit_pending_statements()
    assert result.dry_run and result.sent == 1
    assert database.calls == [] and not StatementSubmission.objects.exists()


def test_statements_are_sent_in_batches_once(api, moderator, make_user, adults_room, post, database):
    notices = [_removed(api, moderator, make_user, adults_room, post)[0] for _ in range(5)]
    result = dsa_export.submit_pending_statements(batch_size=2)
    assert [len(call) for call in database.calls] == [2, 2, 1]
    assert (result.sent, result.batches) == (5, 3)
    assert set(database.stored) == {f"phare-notice-{n.pk}" for n in notices}
    rows = StatementSubmission.objects.all()
    assert {r.status for r in rows} == {"sent"} and all(r.sent_at and r.attempts == 1 for r in rows)
    assert all(r.response["status"] == 201 for r in rows)
    assert AuditEntry.objects.filter(action="dsa.statements_sent").count() == 3
    # Idempotent: a second run sends nothing; a new notice goes alone.
    assert dsa_export.submit_pending_statements(batch_size=2).sent == 0
    assert len(database.calls) == 3
    _removed(api, moderator, make_user, adults_room, post)
    assert dsa_export.submit_pending_statements(batch_size=2).sent == 1
    assert len(database.calls) == 4 and len(database.stored) == 6


def test_the_task_retries_later_while_the_database_is_unavailable(api, moderator, make_user, adults_room, post,
                                                                   database):
    notice, _author = _removed(api, moderator, make_user, adults_room, post)
    database.fail_next = 2
    # Each failed run asks Celery for a retry, later each time (eager mode raises the retry
    # instead of waiting: the worker's next runs are played by hand, as its retries would be).
    for retries, countdown in ((0, 60), (1, 120)):
        with pytest.raises(Retry) as retry:
            tasks.submit_dsa_statements.apply(retries=retries)
        assert retry.value.when == countdown
        assert StatementSubmission.objects.get(notice=notice).status == "pending"
    tasks.submit_dsa_statements.apply(retries=2)
    row = StatementSubmission.objects.get(notice=notice)
    assert row.status == "sent" and row.attempts == 3
    assert len(database.calls) == 3 and list(database.stored) == [row.puid]


def test_a_lost_answer_is_not_sent_twice(api, moderator, make_user, adults_room, post, database):
    notices = [_removed(api, moderator, make_user, adults_room, post)[0] for _ in range(2)]
    database.lose_next_answer = True
    with pytest.raises(dsa_export.TransientSubmitError):
        dsa_export.submit_pending_statements()
    assert set(StatementSubmission.objects.values_list("status", flat=True)) == {"pending"}
    fresh, _author = _removed(api, moderator, make_user, adults_room, post)
    result = dsa_export.submit_pending_statements()
    # The two the Database already held are recorded as such; the new one is sent.
    assert (result.duplicates, result.sent) == (2, 1)
    statuses = dict(StatementSubmission.objects.values_list("notice_id", "status"))
    assert statuses == {notices[0].pk: "duplicate", notices[1].pk: "duplicate", fresh.pk: "sent"}
    assert len(database.stored) == 3


def test_a_refused_batch_is_recorded_for_an_operator(api, moderator, make_user, adults_room, post, database):
    notice, _author = _removed(api, moderator, make_user, adults_room, post)
    database.refuse_next = True
    result = dsa_export.submit_pending_statements()
    row = StatementSubmission.objects.get(notice=notice)
    assert result.refused == 1 and row.status == "refused" and row.response["status"] == 422
    assert AuditEntry.objects.filter(action="dsa.statements_refused").exists()
    # Not sent again by the next run: an operator looks at it first.
    assert dsa_export.submit_pending_statements().sent == 0 and len(database.calls) == 1


def test_a_wrong_token_leaves_the_statements_pending(api, moderator, make_user, adults_room, post, database, settings):
    notice, _author = _removed(api, moderator, make_user, adults_room, post)
    settings.PHARE_DSA_API_TOKEN = "wrong"
    with pytest.raises(dsa_export.TransientSubmitError):
        dsa_export.submit_pending_statements()
    row = StatementSubmission.objects.get(notice=notice)
    assert row.status == "pending" and row.response["status"] == 401
    settings.PHARE_DSA_API_TOKEN = TOKEN
    assert dsa_export.submit_pending_statements().sent == 1
