"""Every socket's account kept current from the database, without Redis.

A socket holds its account from the handshake on, so that a frame costs no query. Sanctions,
role changes, blocks, mutes and log-outs reach it first through the channel layer
(`chat.control` events); if one of those events is lost (Redis down or restarting, a process
that fell behind), this watcher still ends the socket or brings its account up to date, and
when the account's `sanction_version` moved, has the socket read again the authors it hides
and its rooms: a sanction never waits for Redis. Every WATCH_INTERVAL_SECONDS, one watcher per process (per event loop) reads the
account state of every connected user in one query and which of their sessions still exist
in another, whatever the number of sockets (docs/benchmarks.md: 1,000 per process), then
hands each socket its account's state (`ChatConsumer.account_checked`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Iterable, Protocol

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

from accounts.models import User
from chat.realtime.threads import database_sync_to_async

logger = logging.getLogger(__name__)

# A log-out, deletion, suspension or ban reaches a socket whose event was lost within this
# (and a query's time): well inside the 5 s a sanctioned socket may stay open.
WATCH_INTERVAL_SECONDS = 2.0
# What a socket acts on: whether the account may still be here, its sanctions and its roles,
# and the version of everything else it holds (blocks and mutes it set, its rooms, its
# restrictions): a socket that sees a new `sanction_version` reads those again.
WATCHED_FIELDS = ("is_active", "deleted_at", "banned", "suspended_until", "muted_until",
                  "is_moderator", "is_operator", "is_legal", "is_staff", "session_epoch", "sanction_version")


@dataclass
class AccountStates:
    """One tick's reading: user id → its WATCHED_FIELDS (absent: the account is gone), and
    the session keys that still exist and have not expired."""

    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    live_sessions: set[str] = field(default_factory=set)


class Watched(Protocol):
    user: User
    session_key: str

    async def account_checked(self, states: AccountStates) -> None: ...


def _chunks(values: Iterable[Any]) -> list[list[Any]]:
    # SQLite takes at most 999 parameters in a statement; PostgreSQL has no such limit, so
    # there it is always one query.
    values = list(values)
    size = connections["default"].features.max_query_params or len(values) or 1
    return [values[i:i + size] for i in range(0, len(values), size)] or [[]]


def _live_sessions(keys: set[str]) -> set[str]:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model_class = getattr(store, "get_model_class", None)
    if model_class is not None:  # the database backends (db, cached_db): one query
        now = timezone.now()
        live: set[str] = set()
        for chunk in _chunks(keys):
            live.update(model_class().objects.filter(session_key__in=chunk, expire_date__gt=now)
                        .values_list("session_key", flat=True))
        return live
    if settings.SESSION_ENGINE.endswith("signed_cookies"):
        return set(keys)  # nothing on the server to end: the epoch is what ends them
    return {key for key in keys if store().exists(key)}


def load_account_states(*, user_ids: set[int], session_keys: set[str]) -> AccountStates:
    """The state of these accounts and sessions, as the database has it now."""
    states = AccountStates()
    for chunk in _chunks(user_ids):
        for row in User.objects.filter(pk__in=chunk).values("pk", *WATCHED_FIELDS):
            states.users[row.pop("pk")] = row
    states.live_sessions = _live_sessions(session_keys)
    return states


class SocketWatcher:
    """The sockets of one event loop, checked together every WATCH_INTERVAL_SECONDS while
    there is at least one."""

    def __init__(self) -> None:
        self.sockets: set[Watched] = set()
        self.task: asyncio.Task | None = None

    def add(self, socket: Watched) -> None:
        self.sockets.add(socket)
        if self.task is None or self.task.done():
            # A fresh context: the watcher belongs to no one socket (no connection id in its logs).
            self.task = asyncio.get_running_loop().create_task(self._run(), context=contextvars.Context())

    def discard(self, socket: Watched) -> None:
        self.sockets.discard(socket)
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
            try:
                await self.tick()
            except DatabaseError:
                # The next tick tries again; meanwhile the channel-layer events still work.
                logger.warning("socket watcher: database unavailable")
            except Exception:
                # Logged, and the watcher carries on: a dead watcher would let every later
                # sanction whose event is lost go unnoticed.
                logger.exception("socket watcher tick failed")

    async def tick(self) -> None:
        """Check every socket of this loop now."""
        sockets = list(self.sockets)
        if not sockets:
            return
        states = await database_sync_to_async(load_account_states)(
            user_ids={s.user.pk for s in sockets}, session_keys={s.session_key for s in sockets})
        for socket in sockets:
            if socket in self.sockets:  # not closed meanwhile
                try:
                    await socket.account_checked(states)
                except (OSError, RuntimeError):
                    self.sockets.discard(socket)  # its connection went away under us


_watchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SocketWatcher] = weakref.WeakKeyDictionary()


def for_this_loop() -> SocketWatcher:
    """The watcher of the running event loop (one per server process; tests run one loop
    per test)."""
    loop = asyncio.get_running_loop()
    found = _watchers.get(loop)
    if found is None:
        found = _watchers[loop] = SocketWatcher()
    return found
