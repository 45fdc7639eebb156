"""Telling people: notices to the person a measure concerns (in their own language, pushed
after commit) and live events to the moderators' queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone, translation

from accounts.models import User
from accounts.services import language_of
from chat.realtime import events
from moderation.models import Case, Decision, Notice, Report
from moderation.representations import case_summary, notice_repr
from moderation.services.recuse import recused_moderator_ids
from moderation.services.shared import setting


def tell_moderators(case: Case, event: str = "moderation.case", **extra: Any) -> None:
    # `recused`: the moderators with a conflict of interest. Their sockets do not get the event
    # at all; their console, reloading the queue, shows the case as assigned to another moderator.
    recused = recused_moderator_ids(case)
    events.send_to_moderators({"type": event, "case": case_summary(case), "recused": recused, **extra},
                              except_user_ids=[int(pk) for pk in recused])


def appeal_window() -> dt.timedelta:
    return dt.timedelta(days=int(setting("PHARE_APPEAL_DAYS", 183)))


def notify(*, recipient_id: int, kind: str, case: Case | None, action: str, reason_code: str,
            automated: bool, decision: Decision | None = None, report: Report | None = None,
            scope: dict[str, Any] | None = None, facts: str = "", appealable: bool = True) -> Notice:
    """Write a notice and push it to the recipient's sockets after commit, its statement of
    reasons written in the recipient's language (the push has no request of theirs: whoever
    or whatever decided, a moderator's request or a task, must not choose the language)."""
    notice = Notice.objects.create(
        recipient_id=recipient_id, kind=kind, case=case, decision=decision, report=report, action=action,
        reason_code=reason_code, automated=automated, scope=scope or {}, facts=facts,
        appealable_until=timezone.now() + appeal_window() if appealable else None,
    )
    with translation.override(language_of(user_id=recipient_id)):
        payload = {"type": "notice", **notice_repr(notice)}
    events.send_to_user(recipient_id, payload)
    return notice


def list_notices(*, user: User) -> list[Notice]:
    return list(Notice.objects.filter(recipient=user).order_by("-created_at", "-pk")[:200])
