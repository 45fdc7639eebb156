"""The unattended-moderation failsafe: minors' spaces tighten on their own when moderators are
away, and loosen again when they are back (docs/moderation.md, "Failsafe").

`check()` (the beat task `moderation-failsafe`, every minute) decides from the database alone:

- **unattended**: no moderator activity (a console page, a claim, a decision, an appeal
  decided) for `PHARE_FAILSAFE_INACTIVITY_MINUTES`, counted at the earliest from when the
  failsafe first looked (a new deployment gets the whole grace time);
- **critical case overdue**: an open or claimed case of critical priority
  (`rules.CRITICAL_PRIORITY`) whose SLA due time has passed.

Either switches it **on**: every approved minors' room becomes established accounts only with
at least `PHARE_FAILSAFE_SLOW_MODE_SECONDS` of slow mode (chat.protection changes only what is
not already as strict, and says what it changed: a `FailsafeRoom` row each), new DM requests to
minors are refused (`dm_requests_paused`, asked by chat.protection through
`gate.minor_dm_requests_paused`), an audit entry `failsafe.on` is written, moderators get a live
`moderation.alert` and operators an alert (webhook and/or email, both off by default). When
neither holds any more (a moderator is back and no critical case is overdue) it switches
**off**: each room gets back exactly what the failsafe changed and is still the failsafe's, the
rows go, `failsafe.off` is audited and alerted. Running it again changes nothing (one switch per
transition, under a row lock); while on, a minors' room created since is tightened too.

Alerts leave after commit and never undo a switch: a webhook that fails is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chat import protection
from chat.models import Room
from chat.realtime import events
from moderation import outbound, rules
from moderation.audit import record_audit
from moderation.models import Appeal, Case, Decision, FailsafeRoom, FailsafeState

logger = logging.getLogger(__name__)

INACTIVITY = "inactivity"
SLA_BREACH = "sla_breach"
# A console page counts as activity at most once a minute (one UPDATE, not one per page).
SEEN_RESOLUTION = dt.timedelta(seconds=60)
OPEN_STATUSES = (Case.Status.OPEN, Case.Status.CLAIMED)


@dataclass(frozen=True)
class Reading:
    """What the failsafe saw: the grounds that hold now and the figures behind them."""

    reasons: tuple[str, ...]
    last_activity: dt.datetime | None
    overdue_critical: int
    oldest_overdue_due_at: dt.datetime | None
    extra: dict[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return {
            "reasons": list(self.reasons),
            "last_moderator_activity": self.last_activity.isoformat() if self.last_activity else None,
            "overdue_critical_cases": self.overdue_critical,
            "oldest_overdue_due_at": self.oldest_overdue_due_at.isoformat() if self.oldest_overdue_due_at else None,
        }


def _state(*, now: dt.datetime | None = None, lock: bool = False) -> FailsafeState:
    state, _created = FailsafeState.objects.get_or_create(pk=FailsafeState.SINGLETON,
                                                          defaults={"watch_started_at": now or timezone.now()})
    if lock:
        state = FailsafeState.objects.select_for_update().get(pk=FailsafeState.SINGLETON)
    return state


def current() -> FailsafeState | None:
    """The state as the console shows it (None before the failsafe first looked)."""
    return FailsafeState.objects.filter(pk=FailsafeState.SINGLETON).first()


def note_moderator_seen(*, now: dt.datetime | None = None) -> None:
    """A moderator opened a console page: they are there (at most one write a minute)."""
    now = now or timezone.now()
    updated = (FailsafeState.objects.filter(pk=FailsafeState.SINGLETON)
               .exclude(moderator_seen_at__gt=now - SEEN_RESOLUTION).update(moderator_seen_at=now))
    if not updated and not FailsafeState.objects.filter(pk=FailsafeState.SINGLETON).exists():
        FailsafeState.objects.get_or_create(pk=FailsafeState.SINGLETON, defaults={"moderator_seen_at": now})


def last_moderator_activity(state: FailsafeState) -> dt.datetime | None:
    """The latest sign of a moderator at work: a console page, a claim, a decision of theirs
    (not automation's), an appeal decided."""
    marks = [
        state.moderator_seen_at,
        Case.objects.aggregate(at=Max("claimed_at"))["at"],
        Decision.objects.filter(moderator__isnull=False, automated=False).aggregate(at=Max("created_at"))["at"],
        Appeal.objects.filter(decided_by__isnull=False).aggregate(at=Max("decided_at"))["at"],
    ]
    marks = [mark for mark in marks if mark is not None]
    return max(marks) if marks else None


def read(state: FailsafeState, *, now: dt.datetime) -> Reading:
    reasons: list[str] = []
    last_activity = last_moderator_activity(state)
    minutes = settings.PHARE_FAILSAFE_INACTIVITY_MINUTES
    if minutes > 0:
        since = max(last_activity, state.watch_started_at) if last_activity else state.watch_started_at
        if now - since >= dt.timedelta(minutes=minutes):
            reasons.append(INACTIVITY)
    overdue = Case.objects.filter(status__in=OPEN_STATUSES, priority__gte=rules.CRITICAL_PRIORITY,
                                  sla_due_at__lt=now)
    count = overdue.count()
    oldest = overdue.order_by("sla_due_at").values_list("sla_due_at", flat=True).first() if count else None
    if count:
        reasons.append(SLA_BREACH)
    return Reading(reasons=tuple(reasons), last_activity=last_activity, overdue_critical=count,
                   oldest_overdue_due_at=oldest)


def _minors_rooms() -> list[int]:
    return list(Room.objects.filter(audience="minors", status=Room.Status.APPROVED).values_list("pk", flat=True))


def _tighten_rooms(room_ids: list[int]) -> list[int]:
    """Tighten each room and remember what changed; the ids of the rooms changed."""
    changed_ids = []
    slow = settings.PHARE_FAILSAFE_SLOW_MODE_SECONDS
    for room_id in room_ids:
        changed = protection.failsafe_tighten_room(room_id=room_id, slow_mode_seconds=slow)
        FailsafeRoom.objects.create(room_id=room_id, set_established_only=changed["established_only"],
                                    previous_slow_mode=changed["previous_slow_mode"],
                                    applied_slow_mode=changed["applied_slow_mode"])
        if changed["established_only"] or changed["applied_slow_mode"] is not None:
            changed_ids.append(room_id)
    return changed_ids


def _restore_rooms() -> list[int]:
    restored = []
    for row in FailsafeRoom.objects.order_by("room_id"):
        if protection.failsafe_restore_room(room_id=row.room_id, established_only=row.set_established_only,
                                            previous_slow_mode=row.previous_slow_mode,
                                            applied_slow_mode=row.applied_slow_mode):
            restored.append(row.room_id)
    FailsafeRoom.objects.all().delete()
    return restored


def check(*, now: dt.datetime | None = None) -> str | None:
    """Switch the failsafe on or off if the grounds call for it. Returns "on", "off" or None
    (nothing changed). Idempotent; safe from several processes (the state row is locked)."""
    if not settings.PHARE_FAILSAFE:
        return _switch_off_disabled()
    now = now or timezone.now()
    _state(now=now)  # the row exists before anyone locks it
    with transaction.atomic():
        state = _state(lock=True)
        reading = read(state, now=now)
        state.checked_at = now
        if reading.reasons and not state.active:
            changed = _tighten_rooms(_minors_rooms())
            state.active, state.since, state.reasons = True, now, list(reading.reasons)
            state.save()
            _announce("on", state, reading, rooms=changed)
            return "on"
        if reading.reasons and state.active:
            # Still on: rooms opened meanwhile tighten too; the grounds may have changed.
            known = set(FailsafeRoom.objects.values_list("room_id", flat=True))
            _tighten_rooms([pk for pk in _minors_rooms() if pk not in known])
            state.reasons = list(reading.reasons)
            state.save(update_fields=["checked_at", "reasons"])
            return None
        if state.active:
            restored = _restore_rooms()
            state.active, state.reasons = False, []
            state.save()
            _announce("off", state, reading, rooms=restored, since=state.since)
            return "off"
        state.save(update_fields=["checked_at"])
        return None


def _switch_off_disabled() -> str | None:
    """PHARE_FAILSAFE=0 while it was on: lift it, audited like any switch."""
    with transaction.atomic():
        state = FailsafeState.objects.select_for_update().filter(pk=FailsafeState.SINGLETON, active=True).first()
        if state is None:
            return None
        restored = _restore_rooms()
        state.active, state.reasons = False, []
        state.save()
        reading = Reading(reasons=(), last_activity=last_moderator_activity(state), overdue_critical=0,
                          oldest_overdue_due_at=None, extra={"disabled": True})
        _announce("off", state, reading, rooms=restored, since=state.since)
        return "off"


def _announce(switch: str, state: FailsafeState, reading: Reading, *, rooms: list[int],
              since: dt.datetime | None = None) -> None:
    """The audit entry (inside the transaction), the moderators' live alert and the operators'
    alert (after commit)."""
    data = {**reading.data(), **reading.extra, "rooms": sorted(rooms)}
    if switch == "off" and since is not None:
        data["was_on_since"] = since.isoformat()
    record_audit(actor=None, action=f"failsafe.{switch}", target_type="failsafe",
                 target_id=str(FailsafeState.SINGLETON), data=data)
    at = timezone.now().isoformat()
    events.send_to_moderators({"type": "moderation.alert", "kind": f"failsafe_{switch}",
                               "reasons": list(reading.reasons), "at": at})
    payload = {"event": "phare.failsafe", "state": switch, "at": at, **data}
    transaction.on_commit(lambda: alert_operators(payload), robust=True)


def alert_operators(payload: dict[str, Any]) -> dict[str, bool]:
    """POST the payload as JSON to PHARE_FAILSAFE_WEBHOOK_URL and mail it to
    PHARE_FAILSAFE_ALERT_EMAILS, whichever are set. A failure is logged, never raised: the switch
    has happened, and the next one is alerted anew. Returns which channels succeeded."""
    sent = {"webhook": False, "email": False}
    url = settings.PHARE_FAILSAFE_WEBHOOK_URL
    if url:
        try:
            answer = outbound.post_json(url, body=payload, token=settings.PHARE_FAILSAFE_WEBHOOK_TOKEN)
        except outbound.OutboundError as error:
            logger.error("failsafe webhook unreachable", extra={"error": str(error), "state": payload["state"]})
        else:
            sent["webhook"] = 200 <= answer.status < 300
            if not sent["webhook"]:
                logger.error("failsafe webhook refused", extra={"status": answer.status, "state": payload["state"]})
    recipients = settings.PHARE_FAILSAFE_ALERT_EMAILS
    if recipients:
        subject, body = _email(payload)
        try:
            send_mail(subject, body, None, recipients)
        except Exception as error:  # noqa: BLE001 — any mail failure is logged, the switch stands
            logger.error("failsafe email not sent", extra={"error": str(error), "state": payload["state"]})
        else:
            sent["email"] = True
    if url or recipients:
        logger.warning("failsafe %s", payload["state"], extra={"reasons": payload.get("reasons"), **sent})
    return sent


def _email(payload: dict[str, Any]) -> tuple[str, str]:
    """Operators' mail, in English (the operators' language is not known; the webhook carries
    the same facts as JSON)."""
    if payload["state"] == "on":
        subject = "[Phare] Failsafe on: minors' rooms tightened, DM requests to minors paused"
        lead = ("No moderator has been active for a while, or a critical case is past its SLA. Minors' rooms "
                "now take posts from established accounts only, with slow mode, and new DM requests to minors "
                "are paused until a moderator is back and no critical case is overdue.")
    else:
        subject = "[Phare] Failsafe off: minors' rooms restored"
        lead = "A moderator is back and no critical case is overdue: the failsafe restored what it had changed."
    lines = [lead, "",
             f"Reasons: {', '.join(payload.get('reasons') or []) or '-'}",
             f"Last moderator activity: {payload.get('last_moderator_activity') or 'none recorded'}",
             f"Critical cases past their SLA: {payload.get('overdue_critical_cases', 0)}",
             f"Rooms changed: {len(payload.get('rooms') or [])}",
             f"At: {payload['at']}",
             "", "Moderation console: /moderation/"]
    return subject, "\n".join(lines)
