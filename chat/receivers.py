"""What chat does when accounts tells it something (accounts/signals.py).

Connected once by `ChatConfig.ready`. Each receiver calls one chat service, synchronously,
inside the sender's transaction; the services say what they change.
"""

from __future__ import annotations

from typing import Any

from accounts import signals as account_signals
from accounts.models import User
from chat import services


def _forget_user_content(sender: Any, *, user: User, **kwargs: Any) -> None:
    services.forget_user_content(user=user)


def _apply_user_control(sender: Any, *, user: User, other: User, action: str, **kwargs: Any) -> None:
    services.apply_user_control(user=user, other=other, action=action)


def _reapply_contact_matrix(sender: Any, *, user: User, previous_band: str, **kwargs: Any) -> None:
    services.reapply_contact_matrix(user=user, previous_band=previous_band)


def _refresh_user_sockets(sender: Any, *, user: User, **kwargs: Any) -> None:
    services.refresh_user_sockets(user=user)


def _close_user_sockets(sender: Any, *, user: User, **kwargs: Any) -> None:
    services.close_user_sockets(user=user)


def _export_user_content(sender: Any, *, user: User, **kwargs: Any) -> dict[str, Any]:
    return services.export_user_content(user=user)


RECEIVERS = (
    (account_signals.account_deleted, _forget_user_content),
    (account_signals.user_control_changed, _apply_user_control),
    (account_signals.age_band_changed, _reapply_contact_matrix),
    (account_signals.account_restricted, _refresh_user_sockets),
    (account_signals.sessions_ended, _close_user_sockets),
    (account_signals.personal_data_requested, _export_user_content),
)


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"chat.{receiver.__name__}")
