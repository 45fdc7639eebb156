"""User controls: blocks, mutes, and a copy of one's personal data.

Services (verb-first, keyword-only). What other apps must do when a control changes (end a
conversation, tell the user's open sockets) they learn from accounts' signals, because
`accounts` depends on no other app of ours (accounts/signals.py):
- `user_control_changed`: sent with `user=`, `other=`, `action=` ("block", "unblock",
  "mute", "unmute") inside the transaction;
- `personal_data_requested`: sent with `user=`, each receiver returns `{section: data}`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts import signals
from core.errors import PhareError
from accounts.models import AgeBand, ConnectionLog, User, UserBlock, UserMute
from accounts.policies import audience_bands, may_contact
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
    """Bands whose members `user` can have met: their own audience's rooms, or a
    conversation the contact matrix allows."""
    own = audience_bands(user.audience)
    return [band for band in AgeBand.values if band in own or may_contact(user.age_band, band)]


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


def block_user(*, user: User, target_id: str | int) -> tuple[dict[str, Any], bool]:
    """Block another account: ends any conversation with them, refuses their requests
    forever (until unblocked), hides their messages from `user` everywhere.

    Returns (the block, created). Idempotent: blocking twice changes nothing more.
    """
    other = _other_user(user=user, target_id=target_id)
    with transaction.atomic():
        block, created = UserBlock.objects.get_or_create(blocker=user, blocked=other)
        _control_changed(user=user, other=other, action="block")
    return {"user": public_user(other), "created_at": iso(block.created_at)}, created


def unblock_user(*, user: User, target_id: str | int) -> None:
    """Remove a block. A conversation the block ended stays ended."""
    pk = _target_pk(user=user, target_id=target_id)
    with transaction.atomic():
        # The DELETE alone decides: no lookup of the account first, so that an unknown id
        # and a known one that was not blocked cost the same one query.
        deleted, _ = UserBlock.objects.filter(blocker=user, blocked_id=pk).delete()
        if not deleted:
            raise _no_such_account()
        _control_changed(user=user, other=User.objects.get(pk=pk), action="unblock")


def mute_user(*, user: User, target_id: str | int) -> tuple[dict[str, Any], bool]:
    """Mute another account: their room messages are hidden for `user`; they are not told."""
    other = _other_user(user=user, target_id=target_id)
    with transaction.atomic():
        mute, created = UserMute.objects.get_or_create(muter=user, muted=other)
        _control_changed(user=user, other=other, action="mute")
    return {"user": public_user(other), "created_at": iso(mute.created_at)}, created


def unmute_user(*, user: User, target_id: str | int) -> None:
    pk = _target_pk(user=user, target_id=target_id)
    with transaction.atomic():
        # As in unblock_user: one query decides, whoever the id names.
        deleted, _ = UserMute.objects.filter(muter=user, muted_id=pk).delete()
        if not deleted:
            raise _no_such_account()
        _control_changed(user=user, other=User.objects.get(pk=pk), action="unmute")


def list_blocks(*, user: User) -> list[dict[str, Any]]:
    rows = UserBlock.objects.filter(blocker=user).select_related("blocked").order_by("-created_at")
    return [{"user": public_user(b.blocked), "created_at": iso(b.created_at)} for b in rows]


def list_mutes(*, user: User) -> list[dict[str, Any]]:
    rows = UserMute.objects.filter(muter=user).select_related("muted").order_by("-created_at")
    return [{"user": public_user(m.muted), "created_at": iso(m.created_at)} for m in rows]


def hidden_author_ids(*, user_id: int) -> frozenset[int]:
    """Authors whose messages `user_id`'s sockets must not show: muted or blocked by them.

    Read once per connection and on each control change, so that filtering a delivery is a
    set lookup, not a query.
    """
    muted = UserMute.objects.filter(muter_id=user_id).values_list("muted_id", flat=True)
    blocked = UserBlock.objects.filter(blocker_id=user_id).values_list("blocked_id", flat=True)
    return frozenset(muted) | frozenset(blocked)


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
