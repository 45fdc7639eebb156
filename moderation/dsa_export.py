"""Statements of reasons for the Commission's DSA Transparency Database.

Every notice Phare sends that restricts something (a decision, an interim measure, a refused
room proposal) is mapped to the Database's published statement fields, validated against
moderation/schemas/dsa_statement.schema.json, and either sent in batches by a Celery task
(`submit_pending_statements`, dry run unless PHARE_DSA_SUBMIT) or exported to a file by
`manage.py export_statements` for operators who submit by hand. docs/moderation.md, "DSA
Transparency Database", is the operator's page.

What is sent is what the Database asks for and nothing personal: no pseudonym, no message
text, no account id. Each statement carries a platform unique id (`puid`, one per notice);
the Database refuses a puid it already holds, which makes re-sending harmless.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from jsonschema import Draft202012Validator

from chat.models import Message
from moderation import outbound, rules
from moderation.audit import record_audit
from moderation.models import Case, Notice, StatementSubmission

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "dsa_statement.schema.json"
# The Database takes 1 to 100 statements per call.
BATCH_MAX = 100
# Batches one task run sends at most; the next run (beat) takes the rest.
BATCHES_PER_RUN = 50

EU_COUNTRIES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
                "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
EEA_COUNTRIES = tuple(sorted(EU_COUNTRIES + ("IS", "LI", "NO")))

# Notice kinds that are statements of reasons (the others tell reporters and appellants).
STATEMENT_KINDS = (Notice.Kind.DECISION, Notice.Kind.INTERIM, Notice.Kind.ROOM_PROPOSAL)

# Phare's reason codes (and case categories, which interim notices carry) to the Database's
# category and keywords. A reason code missing here is a test failure, not a guess.
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "child_safety": ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", ()),
    "grooming": ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", ("KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",)),
    "age_misrepresentation": ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
                              ("KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",)),
    "sexual_content": ("STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT", ("KEYWORD_ADULT_SEXUAL_MATERIAL",)),
    "non_consensual_imagery": ("STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR",
                               ("KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",)),
    "harassment": ("STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR", ("KEYWORD_ONLINE_BULLYING_INTIMIDATION",)),
    "hate": ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", ("KEYWORD_HATE_SPEECH",)),
    "threat": ("STATEMENT_CATEGORY_VIOLENCE", ()),
    "self_harm": ("STATEMENT_CATEGORY_SELF_HARM", ()),
    "spam": ("STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", ()),
    "impersonation": ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", ("KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",)),
    "name_not_allowed": ("STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", ()),
    "room_proposal": ("STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", ()),
    "other": ("STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", ()),
}
# Grounds that say the content is forbidden by law as well as by the rules.
ALSO_ILLEGAL = frozenset({"child_safety", "non_consensual_imagery", "threat"})

# What each action restricts, in the Database's terms: (field, value). Actions absent here
# restrict nothing the Database records (a warning, a referral, a dismissal, an approval) and
# send no statement, unless the notice also says the account was suspended for repeated
# violations.
RESTRICTIONS: dict[str, tuple[str, str]] = {
    "remove_message": ("decision_visibility", "DECISION_VISIBILITY_CONTENT_REMOVED"),
    "hide_message": ("decision_visibility", "DECISION_VISIBILITY_CONTENT_DISABLED"),
    "lock_room": ("decision_visibility", "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"),
    "restrict_to_verified": ("decision_visibility", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"),
    "reject_room": ("decision_visibility", "DECISION_VISIBILITY_OTHER"),
    "mute": ("decision_provision", "DECISION_PROVISION_PARTIAL_SUSPENSION"),
    "restrict": ("decision_provision", "DECISION_PROVISION_PARTIAL_SUSPENSION"),
    "require_age_assurance": ("decision_provision", "DECISION_PROVISION_PARTIAL_SUSPENSION"),
    "suspend": ("decision_account", "DECISION_ACCOUNT_SUSPENDED"),
    "ban": ("decision_account", "DECISION_ACCOUNT_TERMINATED"),
}
END_DATE_FIELDS = {
    "decision_visibility": "end_date_visibility_restriction",
    "decision_provision": "end_date_service_restriction",
    "decision_account": "end_date_account_restriction",
}
ACTION_FACTS = {
    "remove_message": "was removed",
    "hide_message": "was hidden until a moderator reviews it",
    "lock_room": "led to the room being locked",
    "restrict_to_verified": "led to the room being restricted to verified adults",
    "reject_room": "was not published",
    "mute": "led to the account being unable to post for a time",
    "restrict": "led to the account being restricted until a moderator reviews it",
    "require_age_assurance": "led to the account being asked for a new age check",
    "suspend": "led to the account being suspended",
    "ban": "led to the account being closed",
    "warn": "led to a warning",
}
SUBJECT_FACTS = {"message": "A chat message", "room": "A proposed chat room", "user": "An account's conduct"}


class TransientSubmitError(Exception):
    """The Database could not take a batch now (network, timeout, 401, 403, 429, 5xx):
    retry later."""


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate_statement(statement: dict[str, Any]) -> list[str]:
    """The schema's complaints about `statement` (empty when valid), each as 'path: message'."""
    return [f"{'/'.join(map(str, error.absolute_path)) or '(statement)'}: {error.message}"
            for error in sorted(_validator().iter_errors(statement), key=lambda e: list(e.absolute_path))]


def territorial_scope() -> list[str]:
    """PHARE_DSA_TERRITORIAL_SCOPE: "EU", "EEA" or comma-separated country codes."""
    value = settings.PHARE_DSA_TERRITORIAL_SCOPE.strip().upper()
    if value == "EU":
        return list(EU_COUNTRIES)
    if value == "EEA":
        return list(EEA_COUNTRIES)
    return sorted({code.strip() for code in value.split(",") if code.strip()})


def puid_for(notice: Notice) -> str:
    return f"{settings.PHARE_DSA_PUID_PREFIX}{notice.pk}"


def _date(value: dt.datetime) -> str:
    return timezone.localtime(value, dt.timezone.utc).date().isoformat()


def _restriction(notice: Notice) -> dict[str, Any]:
    """The decision fields and end dates for what `notice` restricts ({} for nothing)."""
    fields: dict[str, Any] = {}
    restriction = RESTRICTIONS.get(notice.action)
    if restriction is not None:
        name, value = restriction
        fields[name] = [value] if name == "decision_visibility" else value
        if notice.action == "reject_room":
            fields["decision_visibility_other"] = "Proposed chat room refused publication"
        seconds = notice.scope.get("duration_seconds") or rules.DEFAULT_DURATIONS.get(notice.action)
        if notice.action in ("mute", "suspend") and seconds:
            fields[END_DATE_FIELDS[name]] = _date(notice.created_at + dt.timedelta(seconds=int(seconds)))
    if notice.scope.get("strike_suspension_until") and "decision_account" not in fields:
        fields["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
        until = dt.datetime.fromisoformat(notice.scope["strike_suspension_until"])
        fields["end_date_account_restriction"] = _date(until)
    return fields


def _content(case: Case | None) -> tuple[list[str], dt.datetime | None, str]:
    """(content types, when the content was posted, the subject type) of a case."""
    if case is None:
        return ["CONTENT_TYPE_OTHER"], None, "user"
    if case.subject_type == Case.SubjectType.MESSAGE:
        message = Message.objects.filter(pk=case.subject_id).only("created_at", "image_id").first()
        if message is None:  # purged after the retention period: the case still says it was text
            return ["CONTENT_TYPE_TEXT"], None, "message"
        types = ["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_TEXT"] if message.image_id else ["CONTENT_TYPE_TEXT"]
        return types, message.created_at, "message"
    if case.subject_type == Case.SubjectType.ROOM:
        return ["CONTENT_TYPE_TEXT"], None, "room"
    if any("image_hash_match" in flag.reasons for flag in case.flags.all()):
        return ["CONTENT_TYPE_IMAGE"], None, "user"
    return ["CONTENT_TYPE_OTHER"], None, "user"


def _source_type(notice: Notice, case: Case | None) -> str:
    if case is None or (notice.decision is not None and notice.decision.own_initiative):
        return "SOURCE_VOLUNTARY"
    reports = case.reports.all()
    if any(report.trusted_flagger for report in reports):
        return "SOURCE_TRUSTED_FLAGGER"
    return "SOURCE_ARTICLE_16" if reports else "SOURCE_VOLUNTARY"


def statement_for_notice(notice: Notice) -> dict[str, Any] | None:
    """The Database's statement for `notice`, or None when the notice is no statement of
    reasons for it (a reporter's outcome, an appeal outcome, a warning, a referral, an
    approval). Reads the notice's case, decision, reports, flags and message."""
    if notice.kind not in STATEMENT_KINDS:
        return None
    restriction = _restriction(notice)
    if not restriction:
        return None
    case = notice.case
    content_types, posted_at, subject = _content(case)
    category, keywords = CATEGORIES[notice.reason_code]
    automated_detection = case is not None and case.flags.exists()
    with translation.override("en"):
        ground = str(rules.REASON_GROUNDS.get(notice.reason_code, rules.REASON_GROUNDS["other"]))
    facts = [f"{SUBJECT_FACTS[subject]} {ACTION_FACTS.get(notice.action, 'was restricted')}"
             f" under the rule '{notice.reason_code}': {ground}"]
    if notice.scope.get("strike_suspension_until"):
        facts.append("As a repeated violation, the account was suspended.")
    if automated_detection:
        facts.append("It was detected by automated screening.")
    facts.append("The measure was taken by automated means until a moderator reviews it." if notice.automated
                 else "A moderator decided.")
    statement: dict[str, Any] = {
        **restriction,
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": f"Community rules, rule '{notice.reason_code}'",
        "incompatible_content_explanation": ground,
        "content_type": content_types,
        "category": category,
        "content_date": _date(posted_at or (case.created_at if case is not None else notice.created_at)),
        "application_date": _date(notice.created_at),
        "territorial_scope": territorial_scope(),
        "decision_facts": " ".join(facts),
        "source_type": _source_type(notice, case),
        "automated_detection": "Yes" if automated_detection else "No",
        "automated_decision": "AUTOMATED_DECISION_FULLY" if notice.automated else "AUTOMATED_DECISION_NOT_AUTOMATED",
        "account_type": "ACCOUNT_TYPE_PRIVATE",
        "puid": puid_for(notice),
    }
    if keywords:
        statement["category_specification"] = list(keywords)
    if notice.reason_code in ALSO_ILLEGAL:
        statement["incompatible_content_illegal"] = "Yes"
    if content_types == ["CONTENT_TYPE_OTHER"]:
        statement["content_type_other"] = "User account (pseudonym and conduct)"
    if settings.PHARE_DSA_TERMS_URL:
        statement["decision_ground_reference_url"] = settings.PHARE_DSA_TERMS_URL
    return statement


def _statement_notices() -> QuerySet[Notice]:
    """Notices that may be statements: their kind, and an action that restricts something
    (or a suspension for repeated violations). statement_for_notice has the last word."""
    restricting = Q(action__in=list(RESTRICTIONS)) | Q(scope__has_key="strike_suspension_until")
    return (Notice.objects.filter(restricting, kind__in=STATEMENT_KINDS)
            .select_related("case", "decision").prefetch_related("case__reports", "case__flags").order_by("pk"))


@dataclass
class Export:
    statements: list[dict[str, Any]] = field(default_factory=list)
    # (notice id, schema errors) for statements that failed validation: never sent.
    invalid: list[tuple[int, list[str]]] = field(default_factory=list)
    not_statements: int = 0


def export_statements(*, since: dt.datetime, until: dt.datetime | None = None) -> Export:
    """Every valid statement for notices created in [since, until), for submission by hand.
    Side effect: an audit entry (`dsa.export`)."""
    notices = _statement_notices().filter(created_at__gte=since)
    if until is not None:
        notices = notices.filter(created_at__lt=until)
    result = Export()
    for notice in notices:
        statement = statement_for_notice(notice)
        if statement is None:
            result.not_statements += 1
            continue
        errors = validate_statement(statement)
        if errors:
            result.invalid.append((notice.pk, errors))
        else:
            result.statements.append(statement)
    record_audit(actor=None, action="dsa.export", target_type="dsa_statements", target_id="export",
                 data={"since": since.isoformat(), "until": until.isoformat() if until else None,
                       "statements": len(result.statements), "invalid": [pk for pk, _e in result.invalid]})
    return result


@dataclass
class SubmitResult:
    dry_run: bool
    sent: int = 0
    duplicates: int = 0
    refused: int = 0
    invalid: int = 0
    batches: int = 0


def _new_statements(limit: int) -> tuple[list[tuple[Notice, dict[str, Any]]], int]:
    """Up to `limit` valid statements for notices not yet queued, oldest first, and how many
    failed validation (logged; they get no row, so a fixed mapping sends them later)."""
    found: list[tuple[Notice, dict[str, Any]]] = []
    invalid = 0
    for notice in _statement_notices().filter(dsa_submission__isnull=True).iterator(chunk_size=500):
        statement = statement_for_notice(notice)
        if statement is None:
            continue
        errors = validate_statement(statement)
        if errors:
            invalid += 1
            logger.warning("DSA statement for notice %s is invalid: %s", notice.pk, "; ".join(errors))
            continue
        found.append((notice, statement))
        if len(found) >= limit:
            break
    return found, invalid


def _dry_run(limit: int) -> SubmitResult:
    statements, invalid = _new_statements(limit)
    logger.info("DSA statements (dry run, PHARE_DSA_SUBMIT off): %d would be sent, %d invalid",
                len(statements), invalid)
    return SubmitResult(dry_run=True, sent=len(statements), invalid=invalid)


def _record_batch(rows: list[StatementSubmission], *, status: str, answer: dict[str, Any],
                  result: SubmitResult) -> None:
    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            row.status = status
            row.response = answer
            if status in (StatementSubmission.Status.SENT, StatementSubmission.Status.DUPLICATE):
                row.sent_at = row.sent_at or now
            row.save(update_fields=["status", "response", "sent_at"])
        record_audit(actor=None, action=f"dsa.statements_{status}", target_type="dsa_statements",
                     target_id=rows[0].puid,
                     data={"puids": [row.puid for row in rows], "http_status": answer.get("status")})
    if status == StatementSubmission.Status.SENT:
        result.sent += len(rows)
    elif status == StatementSubmission.Status.DUPLICATE:
        result.duplicates += len(rows)
    else:
        result.refused += len(rows)


def _send_batch(rows: list[StatementSubmission], result: SubmitResult) -> None:
    """One call to the Database with `rows` (no transaction is held open across it).
    Accepted: sent. Refused because some puids are already there (an answer lost earlier):
    those are marked duplicate and the rest is sent again. Refused for another reason:
    refused (an operator looks: the schema and the Database disagree). Network failure,
    401, 403, 429 or 5xx: TransientSubmitError, the rows stay pending with the answer recorded."""
    while rows:
        StatementSubmission.objects.filter(pk__in=[row.pk for row in rows]).update(attempts=F("attempts") + 1)
        try:
            answer = outbound.post_json(settings.PHARE_DSA_API_URL, token=settings.PHARE_DSA_API_TOKEN,
                                        body={"statements": [row.payload for row in rows]})
        except outbound.OutboundError as error:
            StatementSubmission.objects.filter(pk__in=[row.pk for row in rows]).update(
                response={"error": str(error)[:500]})
            raise TransientSubmitError(str(error)) from error
        result.batches += 1
        body = answer.json()
        summary = {"status": answer.status, "body": body}
        # Not the statements' fault: overloaded, down, or our token refused (fixed by an
        # operator). They stay pending and go with a later attempt.
        if answer.status in (401, 403, 429) or answer.status >= 500:
            StatementSubmission.objects.filter(pk__in=[row.pk for row in rows]).update(response=summary)
            raise TransientSubmitError(f"the Database answered {answer.status}")
        if 200 <= answer.status < 300:
            _record_batch(rows, status=StatementSubmission.Status.SENT, answer=summary, result=result)
            return
        errors = body.get("errors") if isinstance(body, dict) else None
        existing = set(errors.get("existing_puids") or []) if isinstance(errors, dict) else set()
        already = [row for row in rows if row.puid in existing]
        if answer.status == 422 and already:
            _record_batch(already, status=StatementSubmission.Status.DUPLICATE, answer=summary, result=result)
            rows = [row for row in rows if row.puid not in existing]
            continue
        _record_batch(rows, status=StatementSubmission.Status.REFUSED, answer=summary, result=result)
        return


def submit_pending_statements(*, batch_size: int = BATCH_MAX, max_batches: int = BATCHES_PER_RUN) -> SubmitResult:
    """Send the statements not yet in the Database, `batch_size` (at most 100) per call.

    Dry run unless PHARE_DSA_SUBMIT: statements are built and validated, counted and logged,
    nothing is sent or recorded. Live: each statement gets a StatementSubmission row (its
    puid unique), each batch's outcome is recorded on the rows and in the audit log.
    Idempotent: a statement accepted or already present is never sent again.
    Raises TransientSubmitError when the Database cannot be reached or is overloaded (the
    task retries later); batches already accepted stay recorded.
    """
    batch_size = max(1, min(batch_size, BATCH_MAX))
    if not settings.PHARE_DSA_SUBMIT:
        return _dry_run(batch_size * max_batches)
    if not settings.PHARE_DSA_API_TOKEN:
        raise TransientSubmitError("PHARE_DSA_SUBMIT is on but PHARE_DSA_API_TOKEN is empty")
    result = SubmitResult(dry_run=False)
    limit = batch_size * max_batches
    fresh, result.invalid = _new_statements(limit)
    for notice, statement in fresh:
        StatementSubmission.objects.get_or_create(notice=notice, defaults={"puid": statement["puid"],
                                                                           "payload": statement})
    pending = list(StatementSubmission.objects.filter(status=StatementSubmission.Status.PENDING)
                   .order_by("pk")[:limit])
    for start in range(0, len(pending), batch_size):
        _send_batch(pending[start:start + batch_size], result)
    return result
