"""PostgreSQL from the event loop, for the one statement room posting runs there.

Django's database layer is synchronous: every query from async code goes through a thread,
and with room batches in posting threads the p99 latency under load was twice to five times
what it is with the batch on the event loop (docs/benchmarks.md; our reading: each reply
left the thread waiting for the loop to release the interpreter lock). The usual batch is one
INSERT in autocommit (`Message.objects.rows_statement`), so `chat.posting` runs it here, on
a psycopg `AsyncConnection` of the event loop's own: the loop serves sockets while PostgreSQL
works. Everything else (flags, refusals, direct messages, HTTP) keeps Django's connections.

The connection is opened with Django's own parameters (read through chat.realtime.internals)
and kept as Django keeps its own: closed after use when CONN_MAX_AGE is 0, reopened after
CONN_MAX_AGE seconds, dropped after an error so that the next statement opens a new one.
Errors come out as Django's `DatabaseError`, which the consumer answers with `unavailable`
(docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

import psycopg
from django.db import DatabaseError, connections

from chat.realtime import internals

# Room messages live in the default database; one connection per event loop.
ALIAS = "default"
_connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnection] = weakref.WeakKeyDictionary()


class _LoopConnection:
    def __init__(self) -> None:
        self.connection: psycopg.AsyncConnection | None = None
        self.opened_at = 0.0
        self.lock = asyncio.Lock()  # one statement at a time on one connection

    async def fetch_column(self, sql: str, params: list[Any]) -> list[Any]:
        wrapper = connections[ALIAS]
        max_age = wrapper.settings_dict.get("CONN_MAX_AGE", 0)
        async with self.lock:
            try:
                connection = await self._open(wrapper, max_age)
                cursor = await connection.execute(sql, params)
                column = [row[0] for row in await cursor.fetchall()]
            except psycopg.Error as exc:
                await self._close()
                raise DatabaseError(str(exc)) from exc
            if not max_age:
                await self._close()
            return column

    async def _open(self, wrapper, max_age: int | None) -> psycopg.AsyncConnection:
        connection = self.connection
        expired = bool(max_age) and time.monotonic() - self.opened_at >= max_age
        if connection is not None and (connection.closed or connection.broken or expired):
            await self._close()
            connection = None
        if connection is None:
            params = internals.psycopg_connection_params(wrapper)
            connection = await psycopg.AsyncConnection.connect(**params, autocommit=True)
            self.connection, self.opened_at = connection, time.monotonic()
        return connection

    async def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                await connection.close()
            except psycopg.Error:
                pass  # already gone


def available() -> bool:
    """True when the database is PostgreSQL (the embedded SQLite default runs posts in a
    thread, as before)."""
    return connections[ALIAS].vendor == "postgresql"


async def fetch_column(sql: str, params: list[Any]) -> list[Any]:
    """Run one statement in autocommit on this event loop's connection; the first column of
    the rows it returns."""
    loop = asyncio.get_running_loop()
    found = _connections.get(loop)
    if found is None:
        found = _connections[loop] = _LoopConnection()
    return await found.fetch_column(sql, params)


def discard_connections() -> None:
    """Close every loop's connection at once, whatever loop it belongs to (tests: a test's
    event loop ends with its connection still open, which keeps the test database busy)."""
    for found in list(_connections.values()):
        connection, found.connection = found.connection, None
        if connection is not None and not connection.closed:
            connection.pgconn.finish()
