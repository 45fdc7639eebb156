"""The one WebSocket per client: parse a frame, call one service, answer with ack or error.

Connection state (the rooms joined, with their settings) lives here so that posting a
message needs no query for membership; moderation events update it through `chat.control`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.db import DatabaseError

from accounts import controls as account_controls
from accounts import permissions
from accounts import services as account_services
from accounts import throttling
from core.errors import PhareError
from accounts.models import ConnectionLog, User
from chat import posting, protection, services
from chat.services import Post, ReplyTarget, RequestTarget, RoomTarget
from chat.realtime import events, joins, watcher
from chat.realtime.fanout import DirectWriter
from chat.models import Membership, Message, Room
from chat.realtime.internals import get_handler_name, parse_accept_lang_header
from chat.realtime.threads import database_sync_to_async
from chat.realtime.protocol import Frame, ProtocolError, cursor, parse_frame
from chat.representations import room_repr
from moderation.services import report as moderation_report
from ops import metrics
from ops.logs import connection_id_var

logger = logging.getLogger(__name__)

CLOSE_NOT_SIGNED_IN = 4001
CLOSE_SUSPENDED = 4003
CLOSE_FLOODING = 4008
CLOSE_MALFORMED = 4400
# Standard WebSocket code "try again later": the socket fell too far behind its events.
CLOSE_TOO_SLOW = 1013
CLOSE_INTERNAL_ERROR = 1011
# Room posts a socket may have waiting for their batch before its next one waits in turn.
MAX_POSTS_IN_FLIGHT = 8
MALFORMED_WINDOW_SECONDS = 60.0
# Per frame type, the rate-limit reasons whose "retry after" this socket remembers, and
# whether each is per room (built once: it is consulted for every frame).
WAIT_REASONS: dict[str, tuple[tuple[str, bool], ...]] = {
    "room.send": (("room_message_account", False), ("room_message_room", True), ("slow_mode", True)),
    "dm.send": (("dm_message_account", False),),
    "dm.open": (("dm_request_hour", False), ("dm_request_day", False)),
    "room.join": (("room_join_account", False),),
}


def language_for_scope(scope: dict[str, Any]) -> str:
    """The user's language for error messages and explanations on this socket: the language
    cookie the client's switcher sets, else the browser's Accept-Language, else the default."""
    supported = {code for code, _name in settings.LANGUAGES}
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in supported:
        return cookie
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for code, _quality in parse_accept_lang_header(accept):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _refresh_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True, deleted_at__isnull=True).first()


def _held_state(user_id: int) -> tuple[User | None, frozenset[int], set[int]]:
    """What a socket holds, as the database has it now: the account (None: gone), the
    authors it hides (its blocks and mutes) and the rooms it is a member of."""
    user = _refresh_user(user_id)
    if user is None:
        return None, frozenset(), set()
    rooms = set(Membership.objects.filter(user_id=user_id).values_list("room_id", flat=True))
    return user, account_controls.hidden_author_ids(user_id=user_id), rooms


@dataclass(eq=False)
class Opening:
    """What `_open_connections` decided for a socket."""

    policy: throttling.Policy | None = None
    refusal: PhareError | None = None  # admission refused (too many connection attempts)
    close_code: int | None = None  # CLOSE_NOT_SIGNED_IN or CLOSE_SUSPENDED
    user: User | None = None
    hidden_authors: frozenset[int] = frozenset()


def _open_connections(requests: list[tuple[User | None, str | None]]) -> list[Opening]:
    """Everything each socket needs before it is accepted, for the sockets opening together
    (chat.realtime.joins), in the order the checks were always made: admission (connection
    attempts per address), the account (signed in, active, not deleted), its band moved on
    at a birthday, suspension or ban, then the connection record and the authors it hides.

    Each request is (account, address). The account is the one the handshake's
    authentication read a moment ago (the session's auth hash checked against it,
    `session_epoch` included): it is used as read rather than read again; after this, the
    watcher and the channel layer's events keep it current. The connection records are one
    INSERT and the hidden authors one query for the whole batch: in a reconnect storm these
    calls, one per socket, were what the server's CPU spent most on (docs/reliability.md,
    "Reconnect storm").
    """
    openings: list[Opening] = []
    for account, ip in requests:
        try:
            policy = protection.admit_connection(ip=ip)
        except PhareError as error:
            openings.append(Opening(refusal=error))
            continue
        if account is None or not account.is_active or account.deleted_at is not None:
            openings.append(Opening(policy=policy, close_code=CLOSE_NOT_SIGNED_IN))
            continue
        account_services.refresh_age_band(user=account)
        if account.is_suspended():
            openings.append(Opening(policy=policy, close_code=CLOSE_SUSPENDED, user=account))
            continue
        openings.append(Opening(policy=policy, user=account))
    admitted = [(opening, ip) for opening, (_account, ip) in zip(openings, requests)
                if opening.close_code is None and opening.user is not None]
    if admitted:
        account_services.record_connections(connections=[(opening.user, ip) for opening, ip in admitted],
                                            kind=ConnectionLog.Kind.WEBSOCKET)
        hidden = account_controls.hidden_author_ids_of(user_ids={opening.user.pk for opening, _ip in admitted})
        for opening, _ip in admitted:
            opening.hidden_authors = hidden[opening.user.pk]
    return openings


def _handshake_account(scope: dict[str, Any]) -> User | None:
    """The account the handshake's authentication read (Channels' `AuthMiddleware`: the
    session, then the account, its auth hash checked), as a model instance of its own; None
    when the socket is not signed in."""
    scope_user = scope.get("user")
    if scope_user is None or not scope_user.is_authenticated:
        return None
    # `scope["user"]` is a lazy wrapper around the account already read; copying it copies
    # that account (LazyObject.__copy__), so this socket holds a plain `User`.
    return copy.copy(scope_user)


class ChatConsumer(AsyncWebsocketConsumer):
    user: User
    rooms: dict[str, Room]
    groups_joined: set[str]
    malformed_times: list[float]

    async def connect(self) -> None:
        self.language = language_for_scope(self.scope)
        translation.activate(self.language)
        # An id for this socket in every log line it causes (ops.logs); never its address.
        self.connection_id = uuid.uuid4().hex
        connection_id_var.set(self.connection_id)
        self.hidden_authors: frozenset[int] = frozenset()
        self.counted = False
        self.rooms = {}
        self.groups_joined = set()
        self.malformed_times = []
        self.flood = throttling.FloodMeter()
        self.told_to_wait: dict[tuple[str, str], float] = {}
        self.client_ip: str | None = (self.scope.get("client") or (None, None))[0]
        # With the other sockets opening at the same time (chat.realtime.joins).
        opening = await joins.for_this_loop(_open_connections).call((_handshake_account(self.scope), self.client_ip))
        if opening.refusal is not None:
            await self.accept()
            await self.send_error(None, opening.refusal)
            await self.close(code=CLOSE_FLOODING)
            return
        self.policy = opening.policy
        if opening.close_code is not None:
            # Accept first so that the close code reaches the client (a refused handshake has none).
            await self.accept()
            await self.close(code=opening.close_code)
            return
        user = opening.user
        self.user = user
        self.session_epoch = user.session_epoch
        # The watcher ends the socket when this session does (log-out elsewhere included).
        self.session_key = self.scope["session"].session_key
        # Muted and blocked authors, held here so that filtering a delivery is a set lookup.
        self.hidden_authors = opening.hidden_authors
        self.room_posts = posting.room_posts()  # this event loop's batcher
        self.posts_in_flight: set[asyncio.Task] = set()  # answers to room posts still in a batch
        self._attach_direct_delivery()
        # Subscribe before accepting: once the client sees the socket open, nothing sent to
        # it (a DM request, a notice) can fall into the gap.
        await self._join_group(events.user_group(user.pk))
        await self._follow_roles()
        watcher.for_this_loop().add(self)
        await self.accept()
        self.counted = True
        metrics.CONNECTED_SOCKETS.inc()
        logger.info("socket opened", extra={"event": "ws.connect", "user_id": user.pk})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "user"):
            watcher.for_this_loop().discard(self)
        self._detach_direct_delivery()
        for task in list(getattr(self, "posts_in_flight", ())):
            task.cancel()  # nobody left to answer; the posts themselves are stored or refused
        if getattr(self, "counted", False):
            self.counted = False
            metrics.CONNECTED_SOCKETS.dec()
            logger.info("socket closed", extra={"event": "ws.disconnect", "user_id": self.user.pk,
                                                "close_code": code})
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = set()

    async def _join_group(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def _leave_group(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def _follow_roles(self) -> None:
        """The moderators' group (live queue updates and SLA alerts for the console) while
        the account may act as a moderator, and not a moment longer."""
        acting = permissions.is_acting_moderator(self.user)
        if acting and events.MODERATORS_GROUP not in self.groups_joined:
            await self._join_group(events.MODERATORS_GROUP)
        elif not acting and events.MODERATORS_GROUP in self.groups_joined:
            await self._leave_group(events.MODERATORS_GROUP)

    async def account_checked(self, states: watcher.AccountStates) -> None:
        """The watcher's reading of the account (chat.realtime.watcher): end the socket if its session
        or account ended (4001) or the account is suspended or banned (4003), else bring the
        account this socket holds up to date (sanctions, roles)."""
        state = states.users.get(self.user.pk)
        if (state is None or not state["is_active"] or state["deleted_at"] is not None
                or self.session_key not in states.live_sessions):
            await self._end(CLOSE_NOT_SIGNED_IN)
            return
        if state["sanction_version"] != self.user.sanction_version:
            await self._reload_held_state()  # a block, mute, removal or restriction it missed
            return
        for name in watcher.WATCHED_FIELDS:
            setattr(self.user, name, state[name])
        await self._account_changed()

    async def _reload_held_state(self) -> None:
        """Read again all this socket holds about its account (`_held_state`): the account
        itself (sanctions, restrictions, band, roles), the authors it hides, and its rooms (a
        room it was taken out of is left: nothing more from it, no posting to it; no room's
        events while a re-assurance is pending); then act on
        the account as `_account_changed` does. The `refresh_user` and `refresh_hidden`
        controls and the watcher, when the sanction version moved, come here."""
        user, hidden, room_ids = await database_sync_to_async(_held_state)(self.user.pk)
        if user is None:
            await self._end(CLOSE_NOT_SIGNED_IN)
            return
        self.user = user
        self.hidden_authors = hidden
        for slug, room in list(self.rooms.items()):
            if room.pk not in room_ids:
                del self.rooms[slug]
                await self._leave_group(events.room_group(room.pk))
            elif user.reassurance_required:
                # An account asked to prove its age again reads no room until it has
                # (chat.services.moderate.refresh_user_sockets); its posts are answered
                # `assurance_required`, which says why.
                await self._leave_group(events.room_group(room.pk))
        await self._account_changed()

    async def _account_changed(self) -> None:
        """The account this socket holds was just reloaded (the watcher, a `refresh_user`
        event): a log-out since the handshake ends the socket (4001), a suspension or ban
        too (4003); otherwise the moderators' group follows the current role."""
        if self.user.session_epoch != self.session_epoch:
            await self._end(CLOSE_NOT_SIGNED_IN)
        elif self.user.is_suspended():
            await self._end(CLOSE_SUSPENDED)
        else:
            await self._follow_roles()

    async def _end(self, code: int) -> None:
        """Close for an account or session that ended: nothing more reaches the socket. Once:
        the event and the watcher may both find it."""
        if getattr(self, "ended", False):
            return
        self.ended = True
        watcher.for_this_loop().discard(self)
        writer = getattr(self, "writer", None)
        if writer is not None:
            writer.close()
        await self.close(code=code)

    # --- Client frames -----------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Nothing more is done for a socket being closed (flooding, a sanction, a session
        # that ended), even for frames the client sent before it heard of the close.
        if not hasattr(self, "user") or self.flood.closed or getattr(self, "ended", False):
            return
        # This consumer's task has its own context: the language holds for its frames only
        # (activated once; activating again costs more than asking).
        if translation.get_language() != self.language:
            translation.activate(self.language)
        if text_data is None:
            await self._malformed(None, ProtocolError("binary_not_supported"))
            return
        if len(text_data) * 4 > settings.PHARE_MAX_FRAME_BYTES and (
            len(text_data.encode("utf-8", "surrogatepass")) > settings.PHARE_MAX_FRAME_BYTES
        ):
            await self.send_error(None, PhareError("too_large", extra={"max_bytes": settings.PHARE_MAX_FRAME_BYTES}))
            return
        try:
            frame = parse_frame(text_data)
        except ProtocolError as error:
            await self._malformed(error.frame_id, error)
            return
        handler = getattr(self, "frame_" + frame.type.replace(".", "_"))
        try:
            self._check_frame_rate()
            self._check_told_to_wait(frame)
            if (frame.type == "room.send" and "reply_to" not in frame.fields
                    and len(self.posts_in_flight) < MAX_POSTS_IN_FLIGHT):
                self._answer_later(frame, self._room_send_answer(self._submit_room_post(frame)))
                return
        except PhareError as error:
            await self._refused(frame, error)
            return
        await self._answer(frame, handler(frame))

    async def _answer(self, frame: Frame, answer: Awaitable[dict[str, Any]]) -> None:
        """Send a frame's ack, or its error: refusals and an unavailable database are
        answered, and the socket stays open."""
        try:
            content = await answer
        except PhareError as error:
            self._remember_wait(frame, error)
            await self._refused(frame, error)
            return
        except DatabaseError:
            # PostgreSQL down or restarting: an error frame the client may retry, not a dead
            # socket (docs/reliability.md). The connection is re-established on the next frame.
            logger.warning("database unavailable for a %s frame", frame.type)
            await self.send_error(frame.id, PhareError("unavailable", retry_after=5, extra={"reason": "database"}))
            return
        await self.send_json({"type": "ack", "id": frame.id, **content})

    async def _refused(self, frame: Frame, error: PhareError) -> None:
        metrics.count_refusal(channel="ws", code=error.code, reason=error.extra.get("reason"))
        await self.send_error(frame.id, error)
        if error.code == "rate_limited":
            await self._note_rate_limited()

    def _answer_later(self, frame: Frame, answer: Awaitable[dict[str, Any]]) -> None:
        """Answer a room post from its own task, so that the socket's next frames are read
        meanwhile. Otherwise a sender's next post waited for the last one's batch before even
        joining the next: under load the waits added up on every socket that sent twice
        within a batch's time (docs/benchmarks.md). The batcher keeps their order."""
        task = asyncio.ensure_future(self._answer_in_background(frame, answer))
        self.posts_in_flight.add(task)
        task.add_done_callback(self.posts_in_flight.discard)

    async def _answer_in_background(self, frame: Frame, answer: Awaitable[dict[str, Any]]) -> None:
        try:
            await self._answer(frame, answer)
        except (OSError, RuntimeError):
            pass  # the socket closed meanwhile: nobody to answer (the post itself was handled)
        except Exception:
            # As an exception escaping `receive` would: logged, and the socket closed.
            logger.exception("answering a %s frame failed", frame.type)
            await self.close(code=CLOSE_INTERNAL_ERROR)

    # Limits whose refusal says when the next try can succeed at the earliest: until then the
    # same frame is refused here, without a trip through the database thread, so a flood
    # costs the server almost nothing and cannot delay other people's messages.
    @staticmethod
    def _wait_keys(frame: Frame) -> list[tuple[str, str]]:
        reasons = WAIT_REASONS.get(frame.type)
        if not reasons:
            return []
        room = str(frame.fields.get("room", ""))
        return [(reason, room if per_room else "") for reason, per_room in reasons]

    def _check_told_to_wait(self, frame: Frame) -> None:
        now = time.monotonic()
        for key in self._wait_keys(frame):
            until = self.told_to_wait.get(key, 0.0)
            if until > now:
                raise PhareError("rate_limited", retry_after=max(1, math.ceil(until - now)),
                                 extra={"reason": key[0]})

    def _remember_wait(self, frame: Frame, error: PhareError) -> None:
        if error.code != "rate_limited" or not error.retry_after:
            return
        for key in self._wait_keys(frame):
            if key[0] == error.extra.get("reason"):
                self.told_to_wait[key] = time.monotonic() + error.retry_after

    def _check_frame_rate(self) -> None:
        # Counted in this process (the limit's counter): a socket lives in one.
        throttling.take("ws_frames_socket", subject=self.connection_id, policy=self.policy)

    async def _note_rate_limited(self) -> None:
        """Sustained flooding (too many refusals within the policy's window) closes 4008."""
        # The socket's policy is the one read when it opened: no database trip while flooded.
        if self.flood.refused(policy=self.policy):
            logger.info("closing a flooding socket of user %s", self.user.pk)
            self.flood.closed = True
            await self.close(code=CLOSE_FLOODING)

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None,
                   close: bool = False) -> None:
        # Once closed for flooding, answers and events still queued for this socket are
        # dropped: the server may not send on a socket it closed.
        if getattr(self, "flood", None) is not None and self.flood.closed:
            return
        server_send = self.scope.get("phare_server_send")
        if text_data is not None and not close and server_send is not None:
            # Answers go out as events do (config.asgi.KeepServerSend): past the session
            # middleware's wrapper, which only acts on `websocket.accept`.
            await server_send({"type": "websocket.send", "text": text_data})
            return
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def _malformed(self, frame_id: str | None, error: PhareError) -> None:
        now = time.monotonic()
        self.malformed_times = [t for t in self.malformed_times if now - t < MALFORMED_WINDOW_SECONDS]
        self.malformed_times.append(now)
        await self.send_error(frame_id, error)
        if len(self.malformed_times) >= settings.PHARE_MALFORMED_FRAMES_BEFORE_CLOSE:
            await self.close(code=CLOSE_MALFORMED)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def send_error(self, frame_id: str | None, error: PhareError) -> None:
        await self.send_json({"type": "error", "id": frame_id, "error": error.as_dict()})

    async def frame_room_join(self, frame: Frame) -> dict[str, Any]:
        # With the joins of other sockets waiting at the same time (after a restart every
        # socket re-joins at once): chat.realtime.joins.
        room, history = await joins.for_this_loop(joins.join_rooms).call((self.user, frame.fields["room"]))
        self.rooms[room.slug] = room
        await self._join_group(events.room_group(room.pk))
        return {"room": room_repr(room), "history": self._visible(history)}

    async def frame_room_leave(self, frame: Frame) -> dict[str, Any]:
        room = self.rooms.pop(frame.fields["room"], None)
        if room is None:
            raise PhareError("not_member")
        await self._leave_group(events.room_group(room.pk))
        await database_sync_to_async(services.leave_room)(user=self.user, slug=room.slug)
        return {"room": room.slug}

    async def frame_room_send(self, frame: Frame) -> dict[str, Any]:
        """A reply (`reply_to`) is looked up first: it answers a message of the same room."""
        answered = None
        if "reply_to" in frame.fields:
            answered = await database_sync_to_async(services.answered_message)(
                room=self._joined_room(frame), message_id=frame.fields["reply_to"])
        return await self._room_send_answer(self._submit_room_post(frame, reply_to=answered))

    def _joined_room(self, frame: Frame) -> Room:
        room = self.rooms.get(frame.fields["room"])
        if room is None:
            raise PhareError("not_member")
        return room

    def _submit_room_post(self, frame: Frame, reply_to: Message | None = None) -> asyncio.Future:
        return self.room_posts.submit(Post(author=self.user, body=frame.fields["body"],
                                           target=RoomTarget(self._joined_room(frame)),
                                           language=self.language, reply_to=reply_to))

    async def _room_send_answer(self, posted: asyncio.Future) -> dict[str, Any]:
        result = posting.RoomPostBatcher.outcome(await posted)
        return {"message": {**result.message, "status": result.status}, **_ack_notes(result)}

    async def frame_room_history(self, frame: Frame) -> dict[str, Any]:
        messages = await database_sync_to_async(services.room_history)(
            user=self.user,
            slug=frame.fields["room"],
            before=cursor(frame.fields.get("before")),
            limit=frame.fields.get("limit", settings.PHARE_HISTORY_PAGE_SIZE),
        )
        return {"room": frame.fields["room"], "messages": self._visible(messages)}

    async def frame_dm_open(self, frame: Frame) -> dict[str, Any]:
        result = await self._post(Post(author=self.user, body=frame.fields["body"],
                                       target=RequestTarget(frame.fields["to"]), language=self.language))
        return {"conversation": result.conversation}

    @staticmethod
    async def _post(post: Post) -> services.PostResult:
        """A direct message through the posting pipeline, in a posting thread: its checks
        look the conversation or the recipient up (room posts go to the batcher instead)."""
        return await posting.in_pool(services.post_message)(post)

    async def frame_dm_accept(self, frame: Frame) -> dict[str, Any]:
        conversation = await database_sync_to_async(services.accept_conversation)(
            user=self.user, conversation_id=frame.fields["conversation"]
        )
        return {"conversation": conversation}

    async def frame_dm_decline(self, frame: Frame) -> dict[str, Any]:
        conversation = await database_sync_to_async(services.decline_conversation)(
            user=self.user, conversation_id=frame.fields["conversation"]
        )
        return {"conversation": conversation}

    async def frame_dm_block(self, frame: Frame) -> dict[str, Any]:
        conversation = await database_sync_to_async(services.block_conversation)(
            user=self.user, conversation_id=frame.fields["conversation"]
        )
        return {"conversation": conversation}

    async def frame_dm_send(self, frame: Frame) -> dict[str, Any]:
        result = await self._post(Post(author=self.user, body=frame.fields["body"],
                                       target=ReplyTarget(frame.fields["conversation"]), language=self.language))
        return {"message": {**result.message, "status": result.status},
                "conversation": frame.fields["conversation"], **_ack_notes(result)}

    async def frame_dm_list(self, frame: Frame) -> dict[str, Any]:
        conversations = await database_sync_to_async(services.list_conversations)(user=self.user)
        return {"conversations": conversations}

    async def frame_dm_history(self, frame: Frame) -> dict[str, Any]:
        messages = await database_sync_to_async(services.conversation_history)(
            user=self.user,
            conversation_id=frame.fields["conversation"],
            before=cursor(frame.fields.get("before")),
            limit=frame.fields.get("limit", settings.PHARE_HISTORY_PAGE_SIZE),
        )
        return {"conversation": frame.fields["conversation"], "messages": messages}

    async def frame_report(self, frame: Frame) -> dict[str, Any]:
        def file_report():
            # The API's report limits, counted together with reports sent to the API.
            throttling.take_for_action("report", user=self.user, ip=self.client_ip)
            return moderation_report.file_report(
                reporter=self.user, target=frame.fields["target"], category=frame.fields["category"],
                details=frame.fields.get("details", ""), good_faith=frame.fields.get("good_faith"),
            )

        report = await database_sync_to_async(file_report)()
        return {"report": {"id": str(report.pk), "status": report.status}}

    # --- User controls (accounts.controls) ----------------------------------------------

    def _visible(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """History without the authors this user muted or blocked."""
        if not self.hidden_authors:
            return messages
        hidden = {str(i) for i in self.hidden_authors}
        return [m for m in messages if m.get("author", {}).get("id") not in hidden]

    async def frame_user_block(self, frame: Frame) -> dict[str, Any]:
        block, _created = await database_sync_to_async(account_controls.block_user)(
            user=self.user, target_id=frame.fields["user"]
        )
        return {"block": block}

    async def frame_user_unblock(self, frame: Frame) -> dict[str, Any]:
        await database_sync_to_async(account_controls.unblock_user)(user=self.user, target_id=frame.fields["user"])
        return {"user": frame.fields["user"]}

    async def frame_user_mute(self, frame: Frame) -> dict[str, Any]:
        mute, _created = await database_sync_to_async(account_controls.mute_user)(
            user=self.user, target_id=frame.fields["user"]
        )
        return {"mute": mute}

    async def frame_user_unmute(self, frame: Frame) -> dict[str, Any]:
        await database_sync_to_async(account_controls.unmute_user)(user=self.user, target_id=frame.fields["user"])
        return {"user": frame.fields["user"]}

    async def frame_user_controls(self, frame: Frame) -> dict[str, Any]:
        blocks = await database_sync_to_async(account_controls.list_blocks)(user=self.user)
        mutes = await database_sync_to_async(account_controls.list_mutes)(user=self.user)
        return {"blocks": blocks, "mutes": mutes}

    # --- Trusted connections (chat.services.trusted) --------------------------------------

    async def frame_trusted_propose(self, frame: Frame) -> dict[str, Any]:
        connection = await database_sync_to_async(services.propose_trusted_connection)(
            user=self.user, target_id=frame.fields["user"]
        )
        return {"connection": connection}

    async def frame_trusted_accept(self, frame: Frame) -> dict[str, Any]:
        connection = await database_sync_to_async(services.accept_trusted_connection)(
            user=self.user, connection_id=frame.fields["connection"]
        )
        return {"connection": connection}

    async def frame_trusted_end(self, frame: Frame) -> dict[str, Any]:
        connection = await database_sync_to_async(services.end_trusted_connection)(
            user=self.user, connection_id=frame.fields["connection"]
        )
        return {"connection": connection}

    async def frame_trusted_list(self, frame: Frame) -> dict[str, Any]:
        connections = await database_sync_to_async(services.list_trusted_connections)(user=self.user)
        return {"connections": connections}

    # --- Channel-layer events ----------------------------------------------------------

    def _attach_direct_delivery(self) -> None:
        """With Phare's layer (chat.realtime.fanout), events skip the receive loop: the layer hands
        them to `_deliver_direct`, which writes their text straight to the socket."""
        attach = getattr(self.channel_layer, "attach", None)
        if attach is None:
            return
        self.writer = DirectWriter(
            self.scope.get("phare_server_send", self.base_send),
            is_member=self.groups_joined.__contains__,
            on_overflow=lambda: asyncio.ensure_future(self.close(code=CLOSE_TOO_SLOW)),
            render=self._event_text,
            on_failure=self._delivery_failed,
        )
        attach(self.channel_name, self._deliver_direct, on_failure=self._delivery_failed,
               on_resync=self._resync)

    def _detach_direct_delivery(self) -> None:
        writer = getattr(self, "writer", None)
        if writer is not None:
            writer.close()
            self.channel_layer.forget(self.channel_name)

    def _deliver_direct(self, group: str, message: dict[str, Any]) -> bool:
        """Layer sink: True when the message was handled here (an event), False to queue it
        for `dispatch` (a control). Events that follow a control wait until it is handled."""
        if message.get("type") != "chat.event":
            if message.get("action") == "close":
                self.writer.close()  # nothing more reaches a socket being closed by moderation
            self.writer.hold()
            return False
        self.writer.write(group, message)  # rendered (hidden authors left out) when sent
        return True

    def _resync(self, groups: frozenset[str]) -> None:
        """Events for `groups` may have been lost (the layer could not publish them, or its
        reader found a gap or lost Redis): a `resync` frame names the rooms to fetch again
        and whether the direct conversations may have missed something (docs/protocol.md).
        Written behind the events already waiting for this socket."""
        rooms = sorted(slug for slug, room in self.rooms.items() if events.room_group(room.pk) in groups)
        direct = events.user_group(self.user.pk) in groups
        if rooms or direct:
            text = events.encode({"type": "resync", "rooms": rooms, "direct": direct})
            self.writer.write("", {"type": "chat.event", "text": text, "author_id": None})

    def _delivery_failed(self) -> None:
        """Delivering an event to this socket raised (the layer or the writer counted and
        logged it): nothing more is written to it, and it is closed (1011); its client
        reconnects and reads history."""
        self.writer.close()
        asyncio.ensure_future(self.close(code=CLOSE_INTERNAL_ERROR))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first hops to the database thread to close stale connections,
        # for every frame and event. Every database call here goes through
        # database_sync_to_async, which already does that in the thread that runs it, so the
        # hop only added a thread round trip (and a wait behind that one thread) per frame.
        try:
            handler = getattr(self, get_handler_name(message), None)
            if handler is None:
                raise ValueError(f"No handler for message type {message['type']}")
            await handler(message)
        finally:
            writer = getattr(self, "writer", None)
            if writer is not None and not message.get("type", "").startswith("websocket."):
                writer.release()


    async def chat_event(self, event: dict[str, Any]) -> None:
        text = self._event_text(event)
        if text is not None:
            await self.send(text_data=text)

    def _event_text(self, event: dict[str, Any]) -> str | None:
        """The text to write for an event, or None when this user hides its author.
        Both delivery paths (`chat_event`, `_deliver_direct`) go through here."""
        if event.get("author_id") in self.hidden_authors:
            metrics.DELIVERIES_HIDDEN.inc()
            return None
        if "except" in event and self.user.pk in event["except"]:
            return None  # a moderators' event about a case this moderator may not see
        metrics.DELIVERIES.inc()
        return event["text"]

    async def chat_control(self, event: dict[str, Any]) -> None:
        """State changes pushed by moderation and account services."""
        action = event.get("action")
        if action == "close":
            await self._end(int(event.get("code", CLOSE_SUSPENDED)))
        elif action in ("refresh_user", "refresh_hidden"):
            await self._reload_held_state()
        elif action == "leave_room":
            room = self.rooms.pop(event.get("room", ""), None)
            if room is not None:
                await self._leave_group(events.room_group(room.pk))
        elif action == "room_updated":
            slug = event.get("room", "")
            if slug in self.rooms:
                room = await database_sync_to_async(Room.objects.filter(slug=slug).first)()
                if room is not None:
                    self.rooms[slug] = room


def _ack_notes(result: services.PostResult) -> dict[str, Any]:
    """What an ack tells the author beside the message: a contact-details warning, and why a
    held message waits."""
    notes = {"contact_warning": result.contact_warning, "hold": result.hold}
    return {key: value for key, value in notes.items() if value}
