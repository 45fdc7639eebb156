"""The private internals chat.realtime.internals relies on are still there, with the shape it
expects, in the versions it was checked against.

An upgrade of uvicorn, websockets, asgiref, Channels, Django or redis-py fails here first, with
what to re-check, instead of silently slowing the server down or writing frames uvicorn would
not write. Re-check the reliance named in the message (chat/realtime/internals.py lists each,
with why it is worth it and what breaks), run tests/chat/test_frames.py and
tests/chat/test_group_posting.py, then update `CHECKED_AGAINST` and the pin in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import threading
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import uvicorn
from asgiref.sync import SyncToAsync
from channels.consumer import AsyncConsumer
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.protocol import State
from websockets.server import ServerProtocol

from chat.realtime import internals

ROOT = Path(__file__).resolve().parents[3]

# What each package's internals are used for (the numbers of internals' docstring).
RELIANCES = {
    "uvicorn": "1: WebSocketsSansIOProtocol's attributes and bound `send` (frame_connection, "
               "open_for_frames, write_frame; config.asgi.KeepServerSend)",
    "websockets": "2: the protocol's `state` and `extensions` as uvicorn holds them (open_for_frames)",
    "asgiref": "3: SyncToAsync.thread_handler, overridden by SyncToAsyncAroundCall",
    "django": "4, 5: the database wrapper's health_check_done, errors_occurred, "
              "close_if_unusable_or_obsolete, get_connection_params; trans_real.parse_accept_lang_header",
    "channels": "6: get_handler_name, AsyncConsumer.dispatch (repeated by the chat consumer) and base_send",
    "redis": "7: nothing private; the layer's client calls",
}


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        found = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^;\s]+)", requirement)
        if found:
            pins[found.group(1).lower()] = found.group(2)
    return pins


def test_every_package_relied_on_is_checked_and_described():
    assert set(internals.CHECKED_AGAINST) == set(RELIANCES)


@pytest.mark.parametrize("package", sorted(RELIANCES))
def test_the_installed_and_pinned_versions_are_those_the_internals_were_checked_against(package):
    checked = internals.CHECKED_AGAINST[package]
    what = (f"chat.realtime.internals was checked against {package} {checked}: re-check reliance "
            f"{RELIANCES[package]} (chat/realtime/internals.py), run tests/chat/test_frames.py and "
            f"tests/chat/test_group_posting.py, then update CHECKED_AGAINST and pyproject.toml")
    installed = version(package)
    assert installed == checked, f"{package} {installed} is installed. {what}"
    pins = pyproject_pins()
    assert pins.get(package) == checked, f"pyproject.toml pins {package} {pins.get(package)}. {what}"


# --- 1, 2: uvicorn's connection and websockets' state -------------------------------------

async def test_uvicorns_connection_has_what_the_frame_writer_reads():
    async def app(scope, receive, send):
        pass

    config = uvicorn.Config(app, ws="websockets-sansio", lifespan="off", ws_per_message_deflate=False)
    config.load()
    connection = WebSocketsSansIOProtocol(config, ServerState(), app_state={}, _loop=asyncio.get_running_loop())
    assert internals.frame_connection(connection.send) is connection, \
        "uvicorn's ASGI send is no longer a bound method of its connection (reliance 1)"
    assert inspect.iscoroutinefunction(WebSocketsSansIOProtocol.send)
    for name in ("handshake_complete", "close_sent", "disconnected"):
        assert getattr(connection, name) is False, f"uvicorn's connection.{name} changed (reliance 1)"
    assert connection.initial_response is None
    assert hasattr(connection, "transport"), "uvicorn's connection has no transport (reliance 1)"
    assert isinstance(connection.writable, asyncio.Event) and connection.writable.is_set()
    connection.pause_writing()  # backpressure clears `writable`: open_for_frames must see it
    assert not connection.writable.is_set()
    connection.resume_writing()
    assert connection.writable.is_set()
    assert isinstance(connection.conn, ServerProtocol), "uvicorn no longer holds websockets' protocol (2)"
    assert isinstance(connection.conn.state, State) and connection.conn.extensions == []
    assert State.OPEN is internals._OPEN


def test_a_send_that_is_not_uvicorns_has_no_frame_connection():
    async def send(message):
        pass

    assert internals.frame_connection(send) is None


# --- 3: asgiref's worker-thread hook -------------------------------------------------------

def test_asgirefs_thread_handler_is_still_the_call_in_the_worker_thread():
    parameters = list(inspect.signature(SyncToAsync.thread_handler).parameters)
    assert parameters[:5] == ["self", "loop", "exc_info", "task_context", "func"], \
        f"asgiref's SyncToAsync.thread_handler changed its arguments: {parameters} (reliance 3)"
    seen: list[tuple[str, str]] = []

    class Recorded(internals.SyncToAsyncAroundCall):
        def before_call(self) -> None:
            seen.append(("before", threading.current_thread().name))

        def after_call(self) -> None:
            seen.append(("after", threading.current_thread().name))

    def work() -> str:
        seen.append(("call", threading.current_thread().name))
        return "done"

    assert asyncio.run(Recorded(work, thread_sensitive=False)()) == "done"
    assert [step for step, _ in seen] == ["before", "call", "after"], \
        "asgiref no longer runs calls through thread_handler (reliance 3)"
    assert len({thread for _, thread in seen}) == 1
    assert seen[0][1] != threading.current_thread().name


# --- 4, 5: Django -----------------------------------------------------------------------------

def test_djangos_connection_flags_are_still_the_ones_behind_its_health_checks():
    wrapper = connections["default"]
    for name in ("health_check_done", "errors_occurred", "connection"):
        assert hasattr(wrapper, name), f"Django's database wrapper has no {name} (reliance 4)"
    assert callable(wrapper.close_if_unusable_or_obsolete)
    checked = inspect.getsource(BaseDatabaseWrapper.close_if_health_check_failed)
    assert "self.health_check_done" in checked, \
        "Django's health check no longer reads health_check_done: skip_next_health_check does nothing (4)"
    recycled = inspect.getsource(BaseDatabaseWrapper.close_if_unusable_or_obsolete)
    assert "self.errors_occurred" in recycled and "self.health_check_done = False" in recycled, \
        "Django's close_if_unusable_or_obsolete changed what it does with the flags (reliance 4)"


@pytest.mark.django_db
def test_djangos_postgresql_parameters_open_a_psycopg_connection():
    from django.db.backends.postgresql.base import DatabaseWrapper

    assert callable(DatabaseWrapper.get_connection_params)
    wrapper = connections["default"]
    if wrapper.vendor != "postgresql":
        pytest.skip("the embedded SQLite default has no psycopg parameters")
    params = internals.psycopg_connection_params(wrapper)
    assert "cursor_factory" not in params
    assert params.get("dbname") == wrapper.settings_dict["NAME"], \
        "Django's get_connection_params no longer gives psycopg's keyword arguments (reliance 4)"


def test_djangos_accept_language_parser_reads_a_header_as_before():
    assert internals.parse_accept_lang_header("fr-CH, fr;q=0.9, en;q=0.8") == (
        ("fr-ch", 1.0), ("fr", 0.9), ("en", 0.8)), "trans_real.parse_accept_lang_header changed (reliance 5)"


# --- 6: Channels -----------------------------------------------------------------------------

def test_channels_dispatch_is_still_what_the_chat_consumer_repeats():
    assert internals.get_handler_name({"type": "chat.event"}) == "chat_event"
    dispatch = inspect.getsource(AsyncConsumer.dispatch)
    assert "get_handler_name(message)" in dispatch and "aclose_old_connections()" in dispatch, \
        "Channels' AsyncConsumer.dispatch changed: re-check ChatConsumer.dispatch, which repeats it (reliance 6)"
    assert "self.base_send = send" in inspect.getsource(AsyncConsumer.__call__), \
        "Channels no longer keeps the ASGI send as base_send (reliance 6)"
