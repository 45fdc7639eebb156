"""The event-loop posting path (chat.posting.post_on_loop) under `make test-fast`.

On PostgreSQL the path runs as in production: the batch on the event loop, its INSERT on the
loop's own psycopg connection (chat.loopdb). SQLite has no asynchronous driver here, so under
`make test-fast` this stands in for chat.loopdb alone: the same batch phases, buckets, gate,
events and answers run on the event loop, and only the INSERT that chat.loopdb would send to
PostgreSQL goes through Django's SQLite connection in the database thread. What stays
PostgreSQL's own, and is tested only there: the psycopg connection (reconnection after an
error) and the `json_populate_recordset` statement text.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from chat import loopdb
from chat.models import Message


async def _insert_on_sqlite(sql: str, params: list[Any]) -> list[Any]:
    """chat.loopdb.fetch_column for the loop's one statement, the room batch's INSERT: its rows
    come as the JSON document of `Message.objects.rows_statement`, its text (on SQLite) as one
    VALUES row per message, in the order of the model's columns."""
    rows = json.loads(params[0])

    def insert() -> list[Any]:
        connection = connections[loopdb.ALIAS]
        fields = [field for field in Message._meta.concrete_fields if not field.primary_key]
        values = [field.get_db_prep_save(field.to_python(row[field.column]), connection)
                  for row in rows for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return [found[0] for found in cursor.fetchall()]

    return await sync_to_async(insert, thread_sensitive=True)()


@pytest.fixture
def event_loop_path(monkeypatch):
    """Room batches run on the event loop, on PostgreSQL or (standing in for chat.loopdb) on
    SQLite; yields the database's vendor."""
    if loopdb.available():
        yield "postgresql"
        loopdb.discard_connections()  # a test's loop ends with its connection open
        return
    monkeypatch.setattr(loopdb, "available", lambda: True)
    monkeypatch.setattr(loopdb, "fetch_column", _insert_on_sqlite)
    yield "sqlite"
