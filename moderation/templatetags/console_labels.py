"""The console's words for the codes a case carries: categories, statuses, actions, reasons,
the gate's findings and dates. The labels come from the tables the rest of Phare already
translates (the models' choices, `rules.ACTION_LABELS`, the gate's words in
`moderation.gate_labels`, which the terms page reads too), so the
console and the notices never name one thing two ways; an unknown code is shown as it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from accounts.models import AgeBand
from chat.models import Room
from moderation import rules
from moderation.gate_labels import DECISION_LABELS, DESCRIPTIONS
from moderation.models import Case, Escalation, ReportCategory

register = template.Library()

CATEGORY_LABELS: dict[str, Any] = dict(ReportCategory.choices)
CASE_STATUS_LABELS: dict[str, Any] = dict(Case.Status.choices)
SUBJECT_LABELS: dict[str, Any] = dict(Case.SubjectType.choices)
AUDIENCE_LABELS: dict[str, Any] = dict(Room._meta.get_field("audience").choices)
ROOM_STATUS_LABELS: dict[str, Any] = dict(Room._meta.get_field("status").choices)
AGE_BAND_LABELS: dict[str, Any] = dict(AgeBand.choices)
# Where the gate refused or held something (moderation.models.Attempt.Context).
CONTEXT_LABELS: dict[str, Any] = {"room": _("in a room"), "dm_request": _("in a private message request"),
                                  "dm": _("in a private conversation")}


def _label(table: dict[str, Any], code: Any) -> str:
    return str(table.get(code, code)) if code not in (None, "") else "–"


def _labeller(table: dict[str, Any]):
    def label(code: str) -> str:
        return _label(table, code)
    return label


# {{ code|category_label }} and the like: one filter per table.
for _name, _table in {"category_label": CATEGORY_LABELS, "case_status_label": CASE_STATUS_LABELS,
                      "subject_label": SUBJECT_LABELS, "action_label": rules.ACTION_LABELS,
                      "context_label": CONTEXT_LABELS, "audience_label": AUDIENCE_LABELS,
                      "room_status_label": ROOM_STATUS_LABELS, "age_band_label": AGE_BAND_LABELS,
                      "escalation_status_label": dict(Escalation.Status.choices)}.items():
    register.filter(_name, _labeller(_table))


@register.filter
def reason_label(code: str) -> str:
    """A decision's reason code: the category it names, else the ground it states."""
    return _label(CATEGORY_LABELS, code) if code in CATEGORY_LABELS else _label(rules.REASON_GROUNDS, code)


@register.filter
def gate_reason_labels(codes: str | list[str] | None) -> str:
    """The gate's findings (moderation.policy reason codes, one or a list) by the titles of
    the terms page."""
    if isinstance(codes, str):
        codes = [codes]
    return ", ".join(str(DESCRIPTIONS[code][0]) if code in DESCRIPTIONS else code for code in codes or ()) or "–"


@register.filter
def gate_decision_label(code: str) -> str:
    return _label(DECISION_LABELS, code)


@register.filter
def local_time(value: str | dt.datetime | None) -> str:
    """A protocol time (ISO 8601) in the server's time zone and the page's language; the
    console script writes it again in the reader's own time zone with the same language."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return "–"
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


@register.filter
def name_of(user_id: str | None, names: dict[str, str]) -> str:
    """A moderator's pseudonym from their id (the protocol names them by id)."""
    if not user_id:
        return "–"
    return names.get(str(user_id), "–")
