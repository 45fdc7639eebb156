"""User controls: blocks, mutes, and a copy of one's personal data.

Services (verb-first, keyword-only). What other apps must do when a control changes (end a
conversation, tell the user's open sockets) they learn from accounts' signals, because
`accounts` depends on no other app of ours (accounts/signals.py):
- `user_control_changed`: sent with `user=`, `other=`, `action=` ("block", "unblock",
  "mute", "unmute") inside the transaction;
- `personal_data_requested`: sent with `user=`, each receiver returns `{section: data}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts import signals
from core.errors import PhareError
from accounts.models import AgeBand, ConnectionLog, User, UserBlock, UserMute
from accounts.policies import audience_bands
from accounts.representations import iso, own_user, public_user


# Ids are 64-bit: a longer digit string cannot name an account.
_MAX_ID_DIGITS = 18


def _no_such_account() -> PhareError:
    # One answer, byte for byte, for an id that does not exist, a deleted account, an
    # account `user` could never have seen, and (unmute, unblock) one that was not muted
    # or blocked: controls must not tell which ids exist or who is a minor.
    return PhareError("not_found")


def _target_pk(*, user: User, target_id: str | int) -> int:
    text = str(target_id).strip()
    if not text.isdecimal() or len(text) > _MAX_ID_DIGITS or int(text) == user.pk:
        raise _no_such_account()
    return int(text)


def _visible_bands(user: User) -> list[str]:
    """Bands whose members `user` can have met in a room: their own audience's, within which
    the matrix opens a pair. Across audiences (16-17 ↔ 18+) only a trusted connection brings
    two people together, and answering for the whole band would tell an adult which ids are
    16-17s rather than 13-15s; such a person is blocked from the conversation (`dm.block`) or
    by ending the connection."""
    own = audience_bands(user.audience)
    return [band for band in AgeBand.values if band in own]


def _other_user(*, user: User, target_id: str | int) -> User:
    """The account a new block or mute is about: active, and one `user` can have met.
    One query, whatever the answer."""
    other = User.objects.filter(
        pk=_target_pk(user=user, target_id=target_id), is_active=True, deleted_at__isnull=True,
        age_band__in=_visible_bands(user),
    ).first()
    if other is None:
        raise _no_such_account()
    return other


def _control_changed(*, user: User, other: User, action: str) -> None:
    signals.user_control_changed.send(sender=User, user=user, other=other, action=action)


@dataclass(frozen=True)
class _Control:
    """A block or a mute: one row per (owner, other) pair, named by the model's two fields."""

    model: type[UserBlock] | type[UserMute]
    owner: str  # the field naming the account that set the control
    other: str  # the field naming the account it is about
    action: str  # the signal's action; "un" + action when it is removed


_BLOCK = _Control(UserBlock, owner="blocker", other="blocked", action="block")
_MUTE = _Control(UserMute, owner="muter", other="muted", action="mute")


def _entry(control: _Control, row: UserBlock | UserMute) -> dict[str, Any]:
    return {"user": public_user(getattr(row, control.other)), "created_at": iso(row.created_at)}


def _add(control: _Control, *, user: User, target_id: str | int) -> tuple[dict[str, Any], bool]:
    other = _other_user(user=user, target_id=target_id)
    # Stored, then the user's sockets told: the telling is best-effort (Redis may be down).
    with transaction.atomic():
        row, created = control.model.objects.get_or_create(**{control.owner: user, control.other: other})
        _control_changed(user=user, other=other, action=control.action)
    return _entry(control, row), created


def _remove(control: _Control, *, user: User, target_id: str | int) -> None:
    pk = _target_pk(user=user, target_id=target_id)
    with transaction.atomic():
        # The DELETE alone decides: no lookup of the account first, so that an unknown id
        # and a known one that was not blocked or muted cost the same one query.
        deleted, _ = control.model.objects.filter(**{control.owner: user, f"{control.other}_id": pk}).delete()
        if not deleted:
            raise _no_such_account()
        _control_changed(user=user, other=User.objects.get(pk=pk), action="un" + control.action)


def _entries(control: _Control, *, user: User) -> list[dict[str, Any]]:
    rows = control.model.objects.filter(**{control.owner: user}).select_related(control.other)
    return [_entry(control, row) for row in rows.order_by("-created_at")]


def block_user(*, user: User, target_id: str | int) -> tuple[dict[str, Any], bool]:
    """Block another account: ends any conversation with them, refuses their requests
    forever (until unblocked), hides their messages from `user` everywhere.

    Returns (the block, created). Idempotent: blocking twice changes nothing more.
    """
    return _add(_BLOCK, user=user, target_id=target_id)


def unblock_user(*, user: User, target_id: str | int) -> None:
    """Remove a block. A conversation the block ended stays ended."""
    _remove(_BLOCK, user=user, target_id=target_id)


def mute_user(*, user: User, target_id: str | int) -> tuple[dict[str, Any], bool]:
    """Mute another account: their room messages are hidden for `user`; they are not told."""
    return _add(_MUTE, user=user, target_id=target_id)


def unmute_user(*, user: User, target_id: str | int) -> None:
    _remove(_MUTE, user=user, target_id=target_id)


def list_blocks(*, user: User) -> list[dict[str, Any]]:
    return _entries(_BLOCK, user=user)


def list_mutes(*, user: User) -> list[dict[str, Any]]:
    return _entries(_MUTE, user=user)


def hidden_author_ids(*, user_id: int) -> frozenset[int]:
    """Authors whose messages `user_id`'s sockets must not show: muted or blocked by them.

    Read once per connection and on each control change, so that filtering a delivery is a
    set lookup, not a query.
    """
    # One query (a UNION) for both: it runs for every socket that opens, and a reconnect
    # storm queues those reads one behind another on the database thread.
    muted = UserMute.objects.filter(muter_id=user_id).values_list("muted_id", flat=True)
    blocked = UserBlock.objects.filter(blocker_id=user_id).values_list("blocked_id", flat=True)
    return frozenset(muted.union(blocked))


def hidden_author_ids_of(*, user_ids: set[int]) -> dict[int, frozenset[int]]:
    """`hidden_author_ids` of several users in one query: user id → the authors it hides
    (sockets opening together: chat.realtime.joins)."""
    if not user_ids:
        return {}
    muted = UserMute.objects.filter(muter_id__in=user_ids).values_list("muter_id", "muted_id")
    blocked = UserBlock.objects.filter(blocker_id__in=user_ids).values_list("blocker_id", "blocked_id")
    hidden: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    for user_id, author_id in muted.union(blocked, all=True):
        hidden[user_id].add(author_id)
    return {user_id: frozenset(authors) for user_id, authors in hidden.items()}


# What stays after an account is deleted, and why (docs/operations.md, "Personal data").
RETAINED_AFTER_DELETION = [
    {
        "what": "connection_records",
        "why": "legal_retention",
        "detail": "Time and network address of sign-ups, sign-ins and connections, kept for "
                  "the legal retention period and readable only by the legal role.",
    },
    {
        "what": "report_evidence",
        "why": "open_cases",
        "detail": "Copies of reported content saved as evidence, kept until the moderation "
                  "case and any appeal are closed, or longer under a legal hold.",
    },
    {
        "what": "moderation_decisions",
        "why": "legal_retention",
        "detail": "Decisions, statements of reasons and the audit log, which record that a "
                  "decision was taken (the account appears as its tombstone id).",
    },
]


def export_personal_data(*, user: User) -> dict[str, Any]:
    """Everything Phare holds about `user`, as JSON-ready data (GDPR art. 15 and 20).

    Connection records are listed with their time and kind; their network addresses are
    given only on a request to the operator, checked by the legal role, because a stolen
    session must not be enough to read someone's address history.
    """
    connections = ConnectionLog.objects.filter(user_id_snapshot=user.pk).order_by("-created_at")
    data: dict[str, Any] = {
        "format": "phare-export-1",
        "account": {
            **own_user(user),
            "created_at": iso(user.date_joined),
            "age_band_until": user.band_until.isoformat() if user.band_until else None,
            "assurance_method": user.assurance_method,
            "assurance_provider": user.assurance_provider,
            "assured_at": iso(user.assured_at),
            "muted_until": iso(user.muted_until),
            "suspended_until": iso(user.suspended_until),
            "banned": user.banned,
            "language": user.language,
        },
        "blocks": list_blocks(user=user),
        "mutes": list_mutes(user=user),
        "connection_records": [
            {"kind": c.kind, "at": iso(c.created_at)} for c in connections[:10_000]
        ],
        "connection_records_retention_days": settings.PHARE_CONNECTION_LOG_RETENTION_DAYS,
        "retained_after_deletion": RETAINED_AFTER_DELETION,
    }
    for _receiver, sections in signals.personal_data_requested.send(sender=User, user=user):
        data.update(sections)
    return data
