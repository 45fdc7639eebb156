"""Rooms: which rooms a person may know of and enter, joining, leaving and history; the
rooms operators create and change (audited), and members' proposals.

Refusals are `PhareError` with a protocol code.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models.functions import RowNumber

from accounts import signals as account_signals
from accounts.age_assurance.registry import providers_satisfying
from accounts.models import ASSURANCE_ORDER, User
from accounts.policies import audience_bands
from chat import protection
from chat.models import Membership, Message, Room
from chat.realtime import events
from chat.representations import message_repr
from core.errors import PhareError


HISTORY_MAX = 100
# What `chat.representations.message_repr` reads of a message, its author and its image.
HISTORY_FIELDS = ("id", "room_id", "author_id", "body", "created_at", "image_id", "author__id", "author__pseudonym",
                  "image__id", "image__width", "image__height", "image__content_type")


def visible_rooms(*, user: User):
    """Approved rooms of the user's own audience: the only rooms they may know exist.

    Ordered by the level they need, then by name: the rooms the user's own level already
    opens always come first.
    """
    audience = "minors" if user.is_minor else "adults"
    level_needed = models.Case(
        *[models.When(min_assurance=name, then=models.Value(rank)) for name, rank in ASSURANCE_ORDER.items()],
        default=models.Value(len(ASSURANCE_ORDER)),
    )
    return (Room.objects.filter(status=Room.Status.APPROVED, audience=audience)
            .annotate(level_needed=level_needed).order_by("level_needed", "name"))


def get_visible_room(*, user: User, slug: str) -> Room:
    """The room if the user may see it; otherwise `not_found`, never `forbidden`."""
    room = visible_rooms(user=user).filter(slug=slug).first()
    if room is None:
        raise PhareError("not_found")
    return room


def create_room(
    *,
    slug: str,
    name: str,
    audience: str,
    min_assurance: str = "declared",
    description: str = "",
    slow_mode_seconds: int = 0,
    max_message_length: int = 1000,
    media_allowed: bool = False,
    created_by: User | None = None,
) -> Room:
    if audience not in ("minors", "adults"):
        raise PhareError("bad_request", "audience must be minors or adults")
    if min_assurance not in ASSURANCE_ORDER:
        raise PhareError("bad_request", "min_assurance must be declared, estimated or verified")
    if media_allowed and audience == "minors":
        raise PhareError("media_not_allowed", "Images are never allowed in minors' rooms.")
    try:
        return Room.objects.create(
            slug=slug, name=name, audience=audience, min_assurance=min_assurance,
            description=description, slow_mode_seconds=slow_mode_seconds,
            max_message_length=max_message_length, media_allowed=media_allowed,
            created_by=created_by,
        )
    except IntegrityError as exc:
        raise PhareError("conflict", f"A room with slug {slug!r} exists.") from exc


def assurance_required(level: str, *, reason: str, message: str | None = None) -> PhareError:
    """The refusal that tells the client which checks would open the way (`message`: when it
    is not a room that asks, e.g. a trusted connection)."""
    return PhareError(
        "assurance_required", message,
        extra={"min_assurance": level, "providers": providers_satisfying(level), "reason": reason},
    )


def check_may_enter(*, user: User, room: Room) -> None:
    """Refuse a room the user's band or assurance level does not open."""
    if user.age_band not in audience_bands(room.audience):
        raise PhareError("not_found")
    if user.reassurance_required:
        raise assurance_required(user.reassurance_level or "estimated", reason="reassurance")
    if ASSURANCE_ORDER[user.assurance_level] < ASSURANCE_ORDER[room.min_assurance]:
        raise assurance_required(room.min_assurance, reason="room_level")


def join_room(*, user: User, slug: str) -> tuple[Room, list[dict[str, Any]]]:
    """Make the user a member; returns the room and its latest messages.

    Reads the account afresh: joins are rare, and a band change or restriction must hold
    even before the socket has processed the event announcing it.
    """
    # A member coming back (a reconnection, a restarted server: every socket re-joins its
    # rooms at once) is the common case: the membership, the room and the account afresh in
    # one query, and nothing to write (docs/reliability.md, "Reconnect storm").
    membership = (Membership.objects.select_related("room", "user")
                  .filter(user_id=user.pk, room__slug=slug).first())
    if membership is not None:
        user, room = membership.user, membership.room
        if room.status != Room.Status.APPROVED or room.audience != user.audience:
            raise PhareError("not_found")  # what `get_visible_room` answers for such a room
    else:
        user = User.objects.get(pk=user.pk)
        room = get_visible_room(user=user, slug=slug)
    check_may_enter(user=user, room=room)
    protection.check_join(user=user)
    if membership is None:
        _, joined = Membership.objects.get_or_create(room=room, user=user)
        if joined:
            protection.note_join(room=room, user=user)
    return room, latest_messages(room=room, limit=HISTORY_MAX // 2)


def join_rooms(*, joins: list[tuple[User, str]]) -> list[tuple[Room, list[dict[str, Any]]] | PhareError]:
    """`join_room` for several sockets at once (chat.realtime.joins batches the joins that
    wait together): for each (user, slug), what `join_room` returns, or the refusal it raises.

    The same checks in the same order, for each join, on the account read afresh. Members
    coming back (every socket re-joins after a server restart) are read together: their
    memberships, rooms and accounts in one query, and the history of each room in one more,
    shared by the joins of that room; a first join goes through `join_room` itself. So a
    reconnect storm costs a few queries per batch rather than three or four per socket
    (docs/reliability.md, "Reconnect storm").
    """
    if len(joins) == 1:
        user, slug = joins[0]
        try:
            return [join_room(user=user, slug=slug)]
        except PhareError as error:
            return [error]
    found = {
        (membership.user_id, membership.room.slug): membership
        for membership in Membership.objects.select_related("room", "user").filter(
            user_id__in={user.pk for user, _slug in joins}, room__slug__in={slug for _user, slug in joins})
    }
    results: list[Room | tuple[Room, list[dict[str, Any]]] | PhareError] = []
    for user, slug in joins:
        membership = found.get((user.pk, slug))
        try:
            if membership is None:
                results.append(join_room(user=user, slug=slug))  # a first join: it writes
                continue
            fresh, room = membership.user, membership.room
            if room.status != Room.Status.APPROVED or room.audience != fresh.audience:
                raise PhareError("not_found")
            check_may_enter(user=fresh, room=room)
            protection.check_join(user=fresh)
            results.append(room)
        except PhareError as error:
            results.append(error)
    rooms = {result.pk: result for result in results if isinstance(result, Room)}
    histories = latest_messages_of_rooms(room_ids=set(rooms), limit=HISTORY_MAX // 2)
    return [(result, list(histories.get(result.pk, []))) if isinstance(result, Room) else result
            for result in results]


def latest_messages_of_rooms(*, room_ids: set[int], limit: int = 50) -> dict[int, list[dict[str, Any]]]:
    """`latest_messages` of several rooms in one query: room id → its latest `limit` visible
    messages, oldest first (a room without any is absent)."""
    if not room_ids:
        return {}
    ranked = (Message.objects.filter(room_id__in=room_ids, status=Message.Status.VISIBLE)
              .annotate(newest_first=models.Window(RowNumber(), partition_by=models.F("room_id"),
                                                   order_by=models.F("pk").desc()))
              .filter(newest_first__lte=max(1, min(limit, HISTORY_MAX))))
    rows = ranked.select_related("author", "image").only(*HISTORY_FIELDS).order_by("room_id", "pk")
    histories: dict[int, list[dict[str, Any]]] = {}
    for message in rows:
        histories.setdefault(message.room_id, []).append(message_repr(message))
    return histories


def leave_room(*, user: User, slug: str) -> Room:
    room = get_visible_room(user=user, slug=slug)
    Membership.objects.filter(room=room, user=user).delete()
    return room


def latest_messages(*, room: Room, before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    query = Message.objects.filter(room=room, status=Message.Status.VISIBLE)
    if before is not None:
        query = query.filter(pk__lt=before)
    # Only the columns `message_repr` shows: the author's whole account row, for each of up to
    # a hundred messages, cost more to build than the rest of a join (py-spy, reconnect storm).
    query = query.select_related("author", "image").only(*HISTORY_FIELDS)
    rows = list(query.order_by("-pk")[: max(1, min(limit, HISTORY_MAX))])
    return [message_repr(m) for m in reversed(rows)]


def room_history(*, user: User, slug: str, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Cursor-paginated history, oldest first, of a room the user has joined."""
    room = get_visible_room(user=user, slug=slug)
    if not Membership.objects.filter(room=room, user=user).exists():
        raise PhareError("not_member")
    return latest_messages(room=room, before=before, limit=limit)


def update_room_settings(*, room_id: int, **fields: Any) -> tuple[Room, dict[str, Any]]:
    """Change a room's lock, status or minimum assurance; returns the room and the previous
    values. Members' sockets reload the room after commit (`room_updated`)."""
    allowed = {"is_locked", "status", "min_assurance"}
    if not set(fields) <= allowed:
        raise PhareError("bad_request")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room_id)
        previous = {name: getattr(room, name) for name in fields}
        for name, value in fields.items():
            setattr(room, name, value)
        room.save(update_fields=list(fields))
        events.control_room(room.pk, {"action": "room_updated", "room": room.slug})
    return room, previous


def create_room_proposal(*, user: User, slug: str, name: str, description: str, audience: str) -> Room:
    """A user's proposed room: stored pending review, invisible until a moderator approves it.

    Precondition: the name was screened by the caller (moderation). A proposer may only
    propose a room for their own audience.
    """
    if audience != user.audience:
        raise PhareError("bad_request", extra={"field": "audience"})
    room = create_room(slug=slug, name=name, audience=audience, description=description, created_by=user)
    room.status = Room.Status.PENDING
    room.save(update_fields=["status"])
    return room


# What an operator may change on a room. Not the slug (clients address rooms by it), nor the
# audience (members of the other audience would stay in), nor the status (a proposal is
# decided in the moderator console, which tells its proposer), nor the lockdown (the
# shield and lift actions, protection.py).
ROOM_SETTINGS = frozenset({"name", "description", "min_assurance", "slow_mode_seconds", "max_message_length",
                           "media_allowed", "is_locked"})


def add_room(*, actor: User | None, slug: str, name: str, audience: str, min_assurance: str = "declared",
             description: str = "", slow_mode_seconds: int = 0, max_message_length: int = 1000,
             media_allowed: bool = False) -> Room:
    """An operator's room (admin, or `actor` None: `manage.py createroom`): `create_room`'s
    checks, and an audit entry (`room.created`)."""
    with transaction.atomic():
        room = create_room(slug=slug, name=name, audience=audience, min_assurance=min_assurance,
                           description=description, slow_mode_seconds=slow_mode_seconds,
                           max_message_length=max_message_length, media_allowed=media_allowed,
                           created_by=actor)
        account_signals.request_audit(actor=actor, action="room.created", target_type="room", target_id=str(room.pk),
                                      data={"slug": slug, "name": name, "audience": audience,
                                            "min_assurance": min_assurance, "media_allowed": media_allowed})
    return room


def edit_room(*, actor: User, room_id: int, changes: dict[str, Any]) -> Room:
    """Change a room's settings (ROOM_SETTINGS only, else `bad_request`; images never in a
    minors' room, `media_not_allowed`). Side effects: an audit entry (`room.changed`, with
    the values before), and members' sockets reload the room after commit."""
    if not set(changes) <= ROOM_SETTINGS:
        raise PhareError("bad_request", extra={"fields": sorted(set(changes) - ROOM_SETTINGS)})
    if "min_assurance" in changes and changes["min_assurance"] not in ASSURANCE_ORDER:
        raise PhareError("bad_request", extra={"field": "min_assurance"})
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None:
            raise PhareError("not_found")
        if changes.get("media_allowed") and room.audience == "minors":
            raise PhareError("media_not_allowed")
        previous = {name: getattr(room, name) for name in changes}
        if not changes or previous == changes:
            return room
        for name, value in changes.items():
            setattr(room, name, value)
        room.save(update_fields=list(changes))
        events.control_room(room.pk, {"action": "room_updated", "room": room.slug})
        account_signals.request_audit(actor=actor, action="room.changed", target_type="room", target_id=str(room.pk),
                                      data={"from": previous, "to": changes})
    return room
