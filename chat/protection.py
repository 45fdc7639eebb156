"""Anti-abuse for the chat: which limit each chat action spends, first-contact rules for new
accounts, join-wave lockdown and the shield preset.

The posting pipeline (chat.services.post) asks which buckets each message spends and calls
the `check_*` functions; moderators and operators
call `lift_room_lockdown` and `shield_room` (admin actions, the moderator console). The
limits themselves (numbers, keys, counters, outage rules) are the table in
`accounts.throttling`; this module only names the limit and the subject (`throttling.take`).
Every change of a room's protection is audited through `accounts.signals.request_audit`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import permissions, throttling
from accounts import signals as account_signals
from core.errors import PhareError
from accounts.models import User
from chat.realtime import events
from chat.models import Room
from moderation import gate

JOIN_WAVE = "join_wave"
SHIELD = "shield"
# The gate's reason for a link (moderation.policy detectors): new accounts may not send one.
LINK_REASON = "contact_url"


def _is_staff(user: User) -> bool:
    return permissions.has_role(user, "moderator", "operator")


# --- Checks on the hot paths --------------------------------------------------------------------

def check_join(*, user: User) -> None:
    """Room joins per account (tighter for new accounts)."""
    throttling.take("room_join_account", subject=user.pk, new_account=throttling.is_new_account(user))


def posting_buckets(*, author: User, room: Room, policy: throttling.Policy) -> list[throttling.Bucket]:
    """What posting in `room` costs `author`, in order; raises `room_locked` first when the
    room is for established accounts only (no token spent on a message that cannot be
    posted). The per-account bucket, then the room's bucket shared by all its authors.
    Moderators are never held back by the room's bucket, so they can always speak in a
    busy room."""
    new = throttling.is_new_account(author, policy=policy)
    if room.established_only and new:
        raise PhareError(
            "room_locked", _("Only established accounts may post in this room for now."),
            extra={"reason": "established_only"},
        )
    buckets = [throttling.Bucket("room_message_account", str(author.pk), new)]
    if not _is_staff(author):
        buckets.append(throttling.Bucket("room_message_room", str(room.pk)))
    return buckets


def check_may_post(*, author: User, room: Room) -> None:
    """`posting_buckets` and their tokens, for one post (images)."""
    buckets = posting_buckets(author=author, room=room, policy=throttling.current_policy())
    refusal = throttling.check_chains([buckets])[0]
    if refusal is not None:
        raise refusal


def dm_message_buckets(*, sender: User, policy: throttling.Policy) -> list[throttling.Bucket]:
    """What a direct message (or an image in a conversation) costs its sender."""
    return [throttling.Bucket("dm_message_account", str(sender.pk), throttling.is_new_account(sender, policy=policy))]


def check_dm_message(*, sender: User) -> None:
    """`dm_message_buckets` and their tokens, for one image sent in a conversation."""
    refusal = throttling.check_chains([dm_message_buckets(sender=sender, policy=throttling.current_policy())])[0]
    if refusal is not None:
        raise refusal


def check_first_contact(*, sender: User) -> None:
    """New accounts may not send DM requests at all (by default, new accounts in minors'
    bands: an adult posing as a teenager starts with a fresh account), nor may an account
    whose first contacts are paused: repeated refused attempts or a critical one put it
    under a case, and a moderator decides it first (moderation.gate.first_contacts_paused).
    Called before anything else so that neither can even probe who exists."""
    if gate.first_contacts_paused(user_id=sender.pk):
        raise PhareError(
            "forbidden", _("You cannot start new conversations until a moderator has reviewed your recent messages."),
            extra={"reason": "first_contacts_paused"},
        )
    policy = throttling.current_policy()
    if policy.first_contact_ban_scope == "minors" and not sender.is_minor:
        return
    wait = throttling.new_account_wait(sender, policy=policy)
    if wait:
        raise PhareError(
            "forbidden", _("New accounts cannot send direct message requests yet."),
            extra={"reason": "new_account", "wait_seconds": wait},
        )


def dm_request_buckets(*, sender: User) -> list[throttling.Bucket]:
    """The per-sender caps on new DM requests, per day then per hour. Refused outright, not
    counted in one process, when Redis is unreachable (the outage rule of both limits)."""
    return [throttling.Bucket("dm_request_day", str(sender.pk)), throttling.Bucket("dm_request_hour", str(sender.pk))]


def take_upload(*, user: User) -> None:
    """Image uploads per account, counted once an upload passed its checks (a refused file
    spends nothing)."""
    throttling.take("uploads_per_hour", subject=user.pk)


def check_links(*, author: User, reasons: tuple[str, ...] | list[str]) -> None:
    """New accounts may not send links (the gate's URL detection decides what a link is)."""
    if LINK_REASON not in reasons:
        return
    wait = throttling.new_account_wait(author)
    if wait:
        raise PhareError(
            "blocked_by_policy", _("New accounts cannot send links yet."),
            extra={"reasons": ["new_account_link"], "reason": "new_account", "wait_seconds": wait},
        )


# --- Join waves and lockdown ----------------------------------------------------------------

def note_join(*, room: Room, user: User) -> bool:
    """Count a new account's first join; lock the room down when too many join at once.
    Returns True if this join started a lockdown."""
    policy = throttling.current_policy()
    if room.established_only or not throttling.is_new_account(user, policy=policy):
        return False
    joined = throttling.count_recent(
        JOIN_WAVE, subject=room.pk, member=user.pk, window=policy.join_wave_window_seconds
    )
    if joined < policy.join_wave_accounts:
        return False
    return lock_down_room(
        room_id=room.pk, reason=JOIN_WAVE, actor=None,
        data={"new_accounts": joined, "window_seconds": policy.join_wave_window_seconds},
    )


def _announce(room: Room, kind: str, data: dict[str, Any]) -> None:
    events.control_room(room.pk, {"action": "room_updated", "room": room.slug})
    events.send_to_moderators({
        "type": "moderation.alert", "kind": kind,
        "room": {"slug": room.slug, "name": room.name},
        "reason": room.lockdown_reason or None, "at": timezone.now().isoformat(), **data,
    })


def lock_down_room(*, room_id: int, reason: str, actor: User | None, data: dict[str, Any]) -> bool:
    """Only established accounts may post until a moderator lifts it. Idempotent: returns
    False if the room was already locked down. Alerts moderators and audits."""
    now = timezone.now()
    with transaction.atomic():
        changed = Room.objects.filter(pk=room_id, established_only=False).update(
            established_only=True, lockdown_reason=reason, lockdown_started_at=now
        )
        if not changed:
            return False
        room = Room.objects.get(pk=room_id)
        _announce(room, "room_lockdown", data)
        account_signals.request_audit(actor=actor, action="room.lockdown", target_type="room",
                                      target_id=str(room.pk), data={"reason": reason, **data})
    return True


def _get_room_for_staff(actor: User, slug: str) -> Room:
    if not _is_staff(actor):
        raise PhareError("not_found")
    room = Room.objects.select_for_update().filter(slug=slug).first()
    if room is None:
        raise PhareError("not_found")
    return room


def shield_room(*, actor: User, slug: str) -> Room:
    """The one-click shield: established accounts only and the policy's slow mode (kept if
    the room already has a longer one). Lifting it restores the previous slow mode."""
    policy = throttling.current_policy()
    with transaction.atomic():
        room = _get_room_for_staff(actor, slug)
        if room.shield_previous_slow_mode is None:
            room.shield_previous_slow_mode = room.slow_mode_seconds
        room.slow_mode_seconds = max(room.slow_mode_seconds, policy.shield_slow_mode_seconds)
        room.established_only = True
        room.lockdown_reason = SHIELD
        room.lockdown_started_at = room.lockdown_started_at or timezone.now()
        room.save(update_fields=["shield_previous_slow_mode", "slow_mode_seconds", "established_only",
                                 "lockdown_reason", "lockdown_started_at"])
        data = {"slow_mode_seconds": room.slow_mode_seconds}
        _announce(room, "room_shield", data)
        account_signals.request_audit(actor=actor, action="room.shield", target_type="room",
                                      target_id=str(room.pk), data=data)
    return room


def lift_room_lockdown(*, actor: User, slug: str) -> Room:
    """End a lockdown or a shield (moderators and operators only; others get `not_found`)."""
    with transaction.atomic():
        room = _get_room_for_staff(actor, slug)
        if not room.established_only:
            raise PhareError("conflict", extra={"reason": "not_locked_down"})
        was = room.lockdown_reason
        fields = ["established_only", "lockdown_reason", "lockdown_started_at"]
        if room.shield_previous_slow_mode is not None:
            room.slow_mode_seconds = room.shield_previous_slow_mode
            room.shield_previous_slow_mode = None
            fields += ["slow_mode_seconds", "shield_previous_slow_mode"]
        room.established_only = False
        room.lockdown_reason = ""
        room.lockdown_started_at = None
        room.save(update_fields=fields)
        # A fresh wave, not the tail of the one a moderator just dealt with, locks it again.
        throttling.forget_recent(JOIN_WAVE, subject=room.pk)
        _announce(room, "room_lockdown_lifted", {"was": was})
        account_signals.request_audit(actor=actor, action="room.lockdown_lifted", target_type="room",
                                      target_id=str(room.pk), data={"was": was})
    return room


# --- The unattended-moderation failsafe (moderation.services.failsafe) ---------------------------

FAILSAFE = "failsafe"


def failsafe_tighten_room(*, room_id: int, slow_mode_seconds: int) -> dict[str, Any]:
    """Established accounts only and at least `slow_mode_seconds` of slow mode in one room,
    changing only what is not already as strict (a lockdown or a longer slow mode a moderator
    set stays theirs). Returns what it changed, for `failsafe_restore_room`:
    {"established_only": bool, "previous_slow_mode": int | None, "applied_slow_mode": int | None}.
    Called inside the failsafe's transaction, which audits the switch as a whole."""
    room = Room.objects.select_for_update().get(pk=room_id)
    changed: dict[str, Any] = {"established_only": False, "previous_slow_mode": None, "applied_slow_mode": None}
    fields: list[str] = []
    if not room.established_only:
        room.established_only = True
        room.lockdown_reason = FAILSAFE
        room.lockdown_started_at = timezone.now()
        fields += ["established_only", "lockdown_reason", "lockdown_started_at"]
        changed["established_only"] = True
    if room.slow_mode_seconds < slow_mode_seconds:
        changed["previous_slow_mode"] = room.slow_mode_seconds
        changed["applied_slow_mode"] = slow_mode_seconds
        room.slow_mode_seconds = slow_mode_seconds
        fields.append("slow_mode_seconds")
    if fields:
        room.save(update_fields=fields)
        events.control_room(room.pk, {"action": "room_updated", "room": room.slug})
    return changed


def failsafe_restore_room(*, room_id: int, established_only: bool, previous_slow_mode: int | None,
                          applied_slow_mode: int | None) -> bool:
    """Undo what `failsafe_tighten_room` changed, and only what is still the failsafe's: a
    lockdown a moderator lifted or took over (the shield, a join wave) and a slow mode someone
    changed since are left as they are. Returns whether anything changed."""
    room = Room.objects.select_for_update().filter(pk=room_id).first()
    if room is None:
        return False
    fields: list[str] = []
    if established_only and room.established_only and room.lockdown_reason == FAILSAFE:
        room.established_only = False
        room.lockdown_reason = ""
        room.lockdown_started_at = None
        fields += ["established_only", "lockdown_reason", "lockdown_started_at"]
    if applied_slow_mode is not None and previous_slow_mode is not None:
        if room.shield_previous_slow_mode is None:
            if room.slow_mode_seconds == applied_slow_mode:
                room.slow_mode_seconds = previous_slow_mode
                fields.append("slow_mode_seconds")
        elif room.shield_previous_slow_mode == applied_slow_mode:
            # A moderator raised the shield meanwhile: it stays, and lifting it later returns
            # to the room's own slow mode, not to the failsafe's.
            room.shield_previous_slow_mode = previous_slow_mode
            fields.append("shield_previous_slow_mode")
    if fields:
        room.save(update_fields=fields)
        events.control_room(room.pk, {"action": "room_updated", "room": room.slug})
    return bool(fields)


def check_request_recipient(*, recipient: User) -> None:
    """New DM requests to minors wait while moderation is unattended (the failsafe is on);
    conversations already accepted go on. Asked once the request is otherwise allowed, so the
    answer tells nothing the sender could not learn by sending it."""
    if recipient.is_minor and gate.minor_dm_requests_paused():
        raise PhareError(
            "dm_requests_paused",
            _("Requests to start a conversation with this person are paused for now, while moderators "
              "are away. Please try again later."),
            extra={"reason": "moderation_unattended"},
        )


# --- Connections --------------------------------------------------------------------------------

def admit_connection(*, ip: str | None) -> throttling.Policy:
    """Connection attempts per IP address (an IPv6 address counts by its /64, as one
    household or phone does). Returns the policy the socket will use."""
    if not throttling.is_exempt_ip(ip):
        throttling.take("connect_ip", subject=throttling.ip_subject(ip))
    return throttling.current_policy()
