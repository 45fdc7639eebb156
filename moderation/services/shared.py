"""What several moderation actions share: settings with their defaults, task enqueues after
commit, a subject's open case, a case locked for a change, the moderator check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts import permissions
from core.errors import PhareError
from accounts.models import User
from moderation import tasks
from moderation.models import Case


def setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def enqueue(task_name: str, *args: Any) -> None:
    task = getattr(tasks, task_name)
    # robust: the row is committed; if the broker is down the sweeper re-enqueues it, and the
    # caller gets its answer instead of a 500 for something that was in fact saved.
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def open_case_for(*, subject_type: str, subject_id: int, defaults: dict[str, Any]) -> Case:
    """The subject's open case, created if there is none. Safe against concurrent filings:
    the partial unique index lets only one open case exist; the loser reads the winner's."""
    for _attempt in range(3):
        case = (Case.objects.select_for_update()
                .filter(subject_type=subject_type, subject_id=subject_id, status__in=["open", "claimed"]).first())
        if case is not None:
            return case
        try:
            with transaction.atomic():
                return Case.objects.create(subject_type=subject_type, subject_id=subject_id, **defaults)
        except IntegrityError:
            continue
    raise PhareError("conflict")


def require_moderator(user: User | None) -> None:
    # Not a moderator now (role, suspension, deletion): the moderation API does not exist for you.
    permissions.require_moderator(user)


def get_case_locked(case_id: Any) -> Case:
    if not str(case_id).isdecimal():
        raise PhareError("not_found")
    case = Case.objects.select_for_update().filter(pk=int(case_id)).first()
    if case is None:
        raise PhareError("not_found")
    return case
