"""What accounts tells the apps above it.

accounts imports no app of ours (docs/decisions.md, "Where the apps meet"): when an account
changes in a way chat or moderation must act on, accounts sends one of these Django signals
and the app concerned connects its receiver in its `AppConfig.ready` (chat/receivers.py,
moderation/receivers.py, ops/apps.py). A receiver calls one service of its own app: the
signal says what happened, the receiving app decides what that means for its data.

Every signal is sent synchronously with `Signal.send`, inside the sender's transaction when
it has one (said per signal below): a receiver's writes commit or roll back with the change
that caused them, and its exception reaches the caller, as a direct call's would.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

# An account is being deleted: `user=`. Sent inside the deletion's transaction, after its
# sessions ended and before its identity is erased (chat blanks messages, closes DMs).
account_deleted = Signal()

# A block or mute changed: `user=` (who acted), `other=`, `action=` ("block", "unblock",
# "mute", "unmute"). Sent inside the transaction that stores the change.
user_control_changed = Signal()

# An account moved to another age band: `user=`, `previous_band=`. Sent after the save, in
# the caller's transaction (birthday housekeeping, age assurance).
age_band_changed = Signal()

# An account's restrictions, assurance or roles changed: `user=`. Sent inside the
# transaction that saved the change (chat reloads the account in its live sockets).
account_restricted = Signal()

# Every session of the account ended (its session epoch moved): `user=`. Sent inside that
# transaction (chat closes the account's sockets after commit).
sessions_ended = Signal()

# A change the audit log must hold: `actor=` (a User, or None for the system), `action=`,
# `target_type=`, `target_id=` (a string), `data=`. Sent inside the change's transaction
# when it has one, so that the entry commits with it.
audit_requested = Signal()


def request_audit(*, actor: Any, action: str, target_type: str, target_id: Any, data: dict[str, Any]) -> None:
    """Put a change on the audit log (`audit_requested`); `actor` None = automatic. The one
    way every app below moderation writes to it."""
    audit_requested.send(sender=None, actor=actor, action=action, target_type=target_type,
                         target_id=str(target_id), data=data)

# A pseudonym (or another name everyone sees) to screen beyond the reserved names: `name=`,
# `kind=` ("pseudonym"). Each receiver returns the refusal's reason code, or None.
name_screening = Signal()

# A person's copy of their personal data: `user=`. Each receiver returns `{section: data}`
# for the sections its app holds.
personal_data_requested = Signal()

# Ban-evasion linking (accounts/evasion.py) asks which accounts a moderator banned: `since=`
# (a datetime). Each receiver returns `{user_id: banned_at}` for accounts banned by a
# moderator's decision at or after `since` and still banned.
moderator_bans_requested = Signal()

# An account was linked to banned ones (accounts/evasion.py): `user=`, `links=` (EvasionLink
# rows, which signals matched and the banned account). Sent inside the link's transaction;
# the receiver that opens a case for a moderator returns its id.
evasion_link_found = Signal()
