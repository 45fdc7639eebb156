"""Trusted connections: the only way two people of different age bands talk in private.

`may_talk` is THE person-to-person check: every DM request, accept, message and image, and
every re-check after a band change, asks it, and nothing else. Within a band it is the
contact matrix (accounts.policies); across bands the pair must be open in the matrix (never
13-15 ↔ 18+) and the two people must share an active trusted connection, both at the
assurance level the operator set (`PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE`), read again at
every check.

A connection is proposed by one person to someone they could have met (a shared room, a
conversation, an earlier connection), accepted or declined by the other, and ended by either
at any time (or by an operator). Proposals, acceptances and ends are audited
(`trusted.proposed`, `trusted.accepted`, `trusted.declined`, `trusted.ended`); both people's
sockets are told (`trusted.proposed`, `trusted.accepted`, `trusted.ended`). Ending one closes
the cross-band conversation of the two at once (`dm.declined`), as a band change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts import signals as account_signals
from accounts import throttling
from accounts.models import ASSURANCE_ORDER, User, UserBlock
from accounts.policies import NEVER_IN_CONTACT, may_contact, needs_trusted_connection
from accounts.representations import iso, public_user
from chat.models import Conversation, Membership, TrustedConnection
from chat.realtime import events
from chat.services.rooms import assurance_required
from chat.services.conversation_state import notify_participants, set_state
from core.errors import PhareError

LIVE_STATES = (TrustedConnection.State.PROPOSED, TrustedConnection.State.ACTIVE)
# Why a connection is over (`end_reason`), as the console shows it.
END_REASON_LABELS = {
    "declined": gettext_lazy("declined by the other person"),
    "withdrawn": gettext_lazy("withdrawn by the one who proposed it"),
    "ended": gettext_lazy("ended by one of the two"),
    "operator": gettext_lazy("ended by an operator"),
    "blocked": gettext_lazy("ended by a block"),
    "band_change": gettext_lazy("ended by a change of age band"),
    "account_deleted": gettext_lazy("ended by an account deletion"),
}
# Ids are 64-bit: a longer digit string cannot name a row.
_MAX_ID_DIGITS = 18


class Person(Protocol):
    """What `may_talk` needs of an account: a `User`, or a `Party` where only these are known."""

    pk: int
    age_band: str


@dataclass(frozen=True)
class Party:
    """An account known by its id and band only (the DM fast path reads no more of it)."""

    pk: int
    age_band: str


def required_level() -> str:
    return settings.PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE


def _levels_at_least(level: str) -> list[str]:
    return [name for name, rank in ASSURANCE_ORDER.items() if rank >= ASSURANCE_ORDER[level]]


def _pair(a_id: int, b_id: int) -> dict[str, int]:
    low, high = sorted((a_id, b_id))
    return {"user_low_id": low, "user_high_id": high}


def _active_between(a_id: int, b_id: int) -> QuerySet[TrustedConnection]:
    """The pair's active connection while both accounts still hold the required level (the
    operator may have raised it since they accepted)."""
    levels = _levels_at_least(required_level())
    return TrustedConnection.objects.filter(
        **_pair(a_id, b_id), state=TrustedConnection.State.ACTIVE,
        user_low__assurance_level__in=levels, user_high__assurance_level__in=levels,
    )


def active_connection_with(user_id: int, other: Any) -> Exists:
    """An `Exists` for a query of accounts (`other`: their `OuterRef("pk")`): an active
    connection with `user_id` that `may_talk` would count. `find_recipient` reads it in its
    one query, so that a DM request costs the same queries whoever it is for."""
    levels = _levels_at_least(required_level())
    pair = (Q(user_low_id=user_id, user_high_id=other) | Q(user_low_id=other, user_high_id=user_id))
    return Exists(TrustedConnection.objects.filter(
        pair, state=TrustedConnection.State.ACTIVE,
        user_low__assurance_level__in=levels, user_high__assurance_level__in=levels))


def may_talk(a: Person, b: Person, *, trusted: bool | None = None) -> bool:
    """Whether `a` and `b` may talk person to person now (requests, accepts, messages,
    images). One query across bands, none within one; none either when the caller already
    read the connection (`trusted`, from `active_connection_with`)."""
    if not may_contact(a.age_band, b.age_band):
        return False
    if not needs_trusted_connection(a.age_band, b.age_band):
        return True
    return trusted if trusted is not None else _active_between(a.pk, b.pk).exists()


# --- The refusals ---------------------------------------------------------------------------

def _no_such_person() -> PhareError:
    # One answer for an id that does not exist, a deleted account, someone you could not have
    # met, a block either way, and a proposal the other person already declined: the answer
    # does not tell which ids exist, who is a minor, or who blocked whom.
    return PhareError("not_found")


def _check_pair(user: User, other: User) -> None:
    if (user.age_band, other.age_band) in NEVER_IN_CONTACT:
        raise PhareError("contact_not_allowed", extra={"reason": "never_allowed"})
    if not may_contact(user.age_band, other.age_band):
        raise PhareError("contact_not_allowed", extra={"reason": "pair_closed"})


def _check_levels(user: User, other: User) -> None:
    """`user` (the one acting) first: what they can fix themselves is what they hear first."""
    level = required_level()
    if user.reassurance_required:  # restricted to no contact until a stronger check
        raise assurance_required(user.reassurance_level or "estimated", reason="reassurance")
    if ASSURANCE_ORDER[user.assurance_level] < ASSURANCE_ORDER[level]:
        raise assurance_required(level, reason="trusted_connection",
                                 message=gettext("A trusted connection needs a stronger age check."))
    if ASSURANCE_ORDER[other.assurance_level] < ASSURANCE_ORDER[level]:
        raise PhareError(
            "assurance_required",
            gettext("This person's age check is not strong enough for a trusted connection yet."),
            extra={"min_assurance": level, "providers": [], "reason": "trusted_connection_other"},
        )


def _parse_pk(value: object) -> int | None:
    text = str(value).strip()
    if not text.isdecimal() or len(text) > _MAX_ID_DIGITS:
        return None
    return int(text)


def _someone_met(*, user: User, target_id: object) -> User:
    """The account a proposal is for: active, not blocked either way, and someone `user` could
    have met (a shared room, a conversation, an earlier connection). One answer otherwise."""
    pk = _parse_pk(target_id)
    if pk is None or pk == user.pk:
        raise _no_such_person()
    other = User.objects.filter(pk=pk, is_active=True, deleted_at__isnull=True).first()
    if other is None or UserBlock.objects.filter(
            Q(blocker=user, blocked=other) | Q(blocker=other, blocked=user)).exists():
        raise _no_such_person()
    met = (
        Membership.objects.filter(user=other, room__in=Membership.objects.filter(user=user).values("room")).exists()
        or Conversation.objects.filter(**_pair(user.pk, other.pk)).exists()
        or TrustedConnection.objects.filter(**_pair(user.pk, other.pk)).exists()
    )
    if not met:
        raise _no_such_person()
    return other


# --- What each side sees --------------------------------------------------------------------

def connection_repr(connection: TrustedConnection, *, viewer_id: int) -> dict[str, Any]:
    other = connection.user_high if viewer_id == connection.user_low_id else connection.user_low
    return {
        "id": str(connection.pk),
        "state": connection.state,
        "with": public_user(other),
        "proposed_by_me": connection.proposer_id == viewer_id,
        "created_at": iso(connection.created_at),
        "accepted_at": iso(connection.accepted_at),
        "ended_at": iso(connection.ended_at),
    }


def _notify(connection: TrustedConnection, kind: str) -> None:
    for user_id in (connection.user_low_id, connection.user_high_id):
        events.send_to_user(user_id, {"type": kind, "connection": connection_repr(connection, viewer_id=user_id)})


def _audit(connection: TrustedConnection, *, actor: User | None, action: str, **data: Any) -> None:
    account_signals.request_audit(
        actor=actor, action=action, target_type="trusted_connection", target_id=str(connection.pk),
        data={"users": [connection.user_low_id, connection.user_high_id], "proposer": connection.proposer_id,
              "bands": [connection.user_low.age_band, connection.user_high.age_band], **data},
    )


def _get(*, user: User, connection_id: object) -> TrustedConnection:
    """One of `user`'s connections, locked; anyone else's answers as one that does not exist."""
    pk = _parse_pk(connection_id)
    connection = None if pk is None else (
        TrustedConnection.objects.select_for_update().select_related("user_low", "user_high")
        .filter(pk=pk).first())
    if connection is None or not connection.involves(user.pk):
        raise PhareError("not_found")
    return connection


# --- The conversation of the two ------------------------------------------------------------

def _set_conversation_state(a: User, b: User, *, from_states: tuple[str, ...], to_state: str, event: str) -> None:
    conversation = (Conversation.objects.select_for_update().select_related("initiator", "recipient")
                    .filter(**_pair(a.pk, b.pk), state__in=from_states).first())
    if conversation is not None:
        set_state(conversation, to_state)
        notify_participants(conversation, event)


def _close_conversation_if_untrusted(a: User, b: User) -> None:
    """Close the two people's open conversation when they may no longer talk, on both sides'
    sockets at once; their next message would be refused anyway (`may_talk` at every message)."""
    if not may_talk(a, b):
        _set_conversation_state(a, b, from_states=(Conversation.State.REQUESTED, Conversation.State.ACCEPTED),
                                to_state=Conversation.State.CLOSED, event="dm.declined")


def _reopen_closed_conversation(a: User, b: User) -> None:
    """A conversation the band policy closed (a band change, an ended connection) opens again
    when the two accept a connection: nobody said no to it. A declined or blocked one stays so."""
    _set_conversation_state(a, b, from_states=(Conversation.State.CLOSED,),
                            to_state=Conversation.State.ACCEPTED, event="dm.accepted")


# --- The services ---------------------------------------------------------------------------

def propose_trusted_connection(*, user: User, target_id: object) -> dict[str, Any]:
    """Ask `target_id` for a trusted connection. Refusals, in this order: `not_found`
    (unknown, not met, blocked, or they declined this proposer before), `contact_not_allowed`
    (`reason`: `never_allowed`, `pair_closed`), `assurance_required` (`reason`:
    `trusted_connection` for the proposer, `trusted_connection_other`), `conflict` (one is
    pending or active: `reason` `pending` / `active`, `connection`), `rate_limited`
    (`trusted_proposal_account`, spent only by a proposal that passed every check)."""
    other = _someone_met(user=user, target_id=target_id)
    _check_pair(user, other)
    _check_levels(user, other)
    with transaction.atomic():
        pair = _pair(user.pk, other.pk)
        live = TrustedConnection.objects.filter(**pair, state__in=LIVE_STATES).first()
        if live is not None:
            reason = "active" if live.state == TrustedConnection.State.ACTIVE else "pending"
            raise PhareError("conflict", extra={"reason": reason, "connection": str(live.pk)})
        last = TrustedConnection.objects.filter(**pair).order_by("-pk").first()
        if last is not None and last.state == TrustedConnection.State.DECLINED and last.proposer_id == user.pk:
            raise _no_such_person()  # "no" stays "no"; the one who declined may propose
        throttling.take("trusted_proposal_account", subject=user.pk, new_account=throttling.is_new_account(user))
        try:
            with transaction.atomic():  # a savepoint: a concurrent proposal refuses this one only
                connection = TrustedConnection.objects.create(proposer=user, **pair)
        except IntegrityError as exc:
            raise PhareError("conflict", extra={"reason": "pending"}) from exc
        connection.user_low, connection.user_high = sorted((user, other), key=lambda u: u.pk)
        _audit(connection, actor=user, action="trusted.proposed", min_assurance=required_level())
        _notify(connection, "trusted.proposed")
    return connection_repr(connection, viewer_id=user.pk)


def accept_trusted_connection(*, user: User, connection_id: object) -> dict[str, Any]:
    """The other person accepts a proposal: both checks again (bands and levels may have
    changed since), then both may talk; a conversation the policy had closed reopens."""
    with transaction.atomic():
        connection = _get(user=user, connection_id=connection_id)
        if connection.state != TrustedConnection.State.PROPOSED or connection.proposer_id == user.pk:
            raise PhareError("conflict", extra={"state": connection.state})
        # The account as it is now, not as the socket last read it.
        me = connection.user_low if connection.user_low_id == user.pk else connection.user_high
        other = connection.user_high if me is connection.user_low else connection.user_low
        _check_pair(me, other)
        _check_levels(me, other)
        connection.state = TrustedConnection.State.ACTIVE
        connection.accepted_at = timezone.now()
        connection.save(update_fields=["state", "accepted_at"])
        _audit(connection, actor=user, action="trusted.accepted", min_assurance=required_level())
        _notify(connection, "trusted.accepted")
        _reopen_closed_conversation(me, other)
    return connection_repr(connection, viewer_id=user.pk)


def _end(connection: TrustedConnection, *, actor: User | None, ended_by: User | None, reason: str) -> None:
    """End a live connection (the caller holds its row lock): audited, both told, and their
    cross-band conversation closed."""
    declined = reason == "declined"
    connection.state = TrustedConnection.State.DECLINED if declined else TrustedConnection.State.ENDED
    connection.ended_at = timezone.now()
    connection.ended_by = ended_by
    connection.end_reason = reason
    connection.save(update_fields=["state", "ended_at", "ended_by", "end_reason"])
    _audit(connection, actor=actor, action="trusted.declined" if declined else "trusted.ended", reason=reason)
    _notify(connection, "trusted.ended")
    _close_conversation_if_untrusted(connection.user_low, connection.user_high)


def end_trusted_connection(*, user: User, connection_id: object) -> dict[str, Any]:
    """Either side, at any time: ends an active connection, declines a proposal made to
    `user`, or withdraws `user`'s own. Idempotent: one already over is answered as it is."""
    with transaction.atomic():
        connection = _get(user=user, connection_id=connection_id)
        if connection.state in LIVE_STATES:
            if connection.state == TrustedConnection.State.ACTIVE:
                reason = "ended"
            else:
                reason = "withdrawn" if connection.proposer_id == user.pk else "declined"
            _end(connection, actor=user, ended_by=user, reason=reason)
    return connection_repr(connection, viewer_id=user.pk)


def end_trusted_connection_as_operator(*, actor: User, connection_id: int) -> bool:
    """An operator ends a connection (the admin's action): audited with the operator as actor.
    False when it was already over."""
    with transaction.atomic():
        connection = (TrustedConnection.objects.select_for_update().select_related("user_low", "user_high")
                      .filter(pk=connection_id, state__in=LIVE_STATES).first())
        if connection is None:
            return False
        _end(connection, actor=actor, ended_by=actor, reason="operator")
    return True


def end_trusted_connections_of(*, user: User, reason: str, other: User | None = None,
                               only_outside_matrix: bool = False) -> int:
    """What the system ends (inside the caller's transaction): `user`'s live connections, or
    only the one with `other` (a block: `user` blocked them), or only those whose pair the
    matrix no longer opens (a band change). Returns how many."""
    query = TrustedConnection.objects.select_for_update().select_related("user_low", "user_high").filter(
        Q(user_low=user) | Q(user_high=user), state__in=LIVE_STATES)
    if other is not None:
        query = query.filter(**_pair(user.pk, other.pk))
    ended = 0
    for connection in query:
        if only_outside_matrix and may_contact(connection.user_low.age_band, connection.user_high.age_band):
            continue
        by_user = reason == "blocked"
        _end(connection, actor=user if by_user else None, ended_by=user if by_user else None, reason=reason)
        ended += 1
    return ended


def list_trusted_connections(*, user: User) -> list[dict[str, Any]]:
    """`user`'s pending and active connections, newest first."""
    rows = (TrustedConnection.objects.filter(Q(user_low=user) | Q(user_high=user), state__in=LIVE_STATES)
            .select_related("user_low", "user_high").order_by("-pk")[:200])
    return [connection_repr(row, viewer_id=user.pk) for row in rows]


def trusted_connections_for_moderators(*, user_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Every connection of an account, ended ones included, newest first, for the console:
    with whom (pseudonym and band), its state and who ended it why."""
    rows = (TrustedConnection.objects.filter(Q(user_low_id=user_id) | Q(user_high_id=user_id))
            .select_related("user_low", "user_high").order_by("-pk")[:limit])
    result = []
    for row in rows:
        other = row.user_high if row.user_low_id == user_id else row.user_low
        result.append({"id": row.pk, "state": row.state, "state_label": TrustedConnection.State(row.state).label,
                       "with": other.pseudonym, "with_band": other.age_band,
                       "proposed_by_subject": row.proposer_id == user_id, "created_at": row.created_at,
                       "accepted_at": row.accepted_at, "ended_at": row.ended_at, "end_reason": row.end_reason,
                       "end_reason_label": END_REASON_LABELS.get(row.end_reason, row.end_reason)})
    return result
