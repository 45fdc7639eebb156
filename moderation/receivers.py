"""What moderation does when accounts or its own gate tells it something
(accounts/signals.py, moderation/signals.py).

Connected once by `ModerationConfig.ready`. Each receiver calls one moderation service,
synchronously, inside the sender's transaction; the services say what they change.
"""

from __future__ import annotations

from typing import Any

from accounts import signals as account_signals
from accounts.models import User
from moderation import gate
from moderation.services.triage import on_flag_filed, schedule_grooming_assessment
from moderation.services.attempts import on_attempt_recorded
from moderation.services.evasion import moderator_bans, open_evasion_case
from moderation import signals as moderation_signals
from moderation.audit import record_audit
from moderation.models import Attempt, Flag


def _record_audit(sender: Any, *, actor: User | None, action: str, target_type: str, target_id: str,
                  data: dict[str, Any], **kwargs: Any) -> None:
    record_audit(actor=actor, action=action, target_type=target_type, target_id=target_id, data=data)


def _screen_name(sender: Any, *, name: str, kind: str, **kwargs: Any) -> str | None:
    return gate.screen_name(name, kind)


def _flag_filed(sender: Any, *, flag: Flag, **kwargs: Any) -> None:
    on_flag_filed(flag=flag)


def _attempt_recorded(sender: Any, *, attempt: Attempt, **kwargs: Any) -> None:
    on_attempt_recorded(attempt=attempt)


def _grooming_check_due(sender: Any, *, conversation_id: int, sender_id: int, **kwargs: Any) -> None:
    schedule_grooming_assessment(conversation_id=conversation_id, sender_id=sender_id)


def _moderator_bans(sender: Any, *, since: Any, **kwargs: Any) -> dict[int, Any]:
    return moderator_bans(since=since)


def _evasion_link_found(sender: Any, *, user: User, links: list[Any], **kwargs: Any) -> int:
    return open_evasion_case(user=user, links=links)


RECEIVERS = (
    (account_signals.audit_requested, _record_audit),
    (account_signals.name_screening, _screen_name),
    (moderation_signals.flag_filed, _flag_filed),
    (moderation_signals.grooming_check_due, _grooming_check_due),
    (moderation_signals.attempt_recorded, _attempt_recorded),
    (account_signals.moderator_bans_requested, _moderator_bans),
    (account_signals.evasion_link_found, _evasion_link_found),
)


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"moderation.{receiver.__name__}")
