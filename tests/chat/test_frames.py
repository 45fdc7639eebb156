"""Events written as frames on uvicorn's connection (chat.realtime.internals `frame_connection`): what a
client receives is what uvicorn's own `send` would have sent, in order, and the writer falls
back to `send` whenever a frame of its own would not be the same (compression negotiated,
backpressure, a close sent)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.frames import Opcode
from websockets.protocol import Protocol, Side, State

from chat.realtime.fanout import DirectWriter, text_frame
from chat.realtime.internals import open_for_frames
from tests.integration.conftest import free_port

pytestmark = pytest.mark.asyncio

TEXTS = ["", "a", "é" * 62, "x" * 125, "y" * 126, "ça va ? " * 40, "z" * 65535, "w" * 65536, "🌊" * 20000]


@pytest.mark.parametrize("text", TEXTS)
async def test_a_text_frame_reads_back_as_the_text(text):
    client = Protocol(Side.CLIENT, state=State.OPEN, max_size=None)
    client.receive_data(text_frame(text))
    [frame] = client.events_received()
    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)


@contextlib.asynccontextmanager
async def served(app, *, deflate: bool) -> AsyncIterator[str]:
    """`app` on a real uvicorn in this event loop; yields its WebSocket URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio", lifespan="off",
                            ws_per_message_deflate=deflate, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task


async def written_by_a_writer(*, deflate_server: bool, compression: str | None, steps):
    """Run `steps(writer, connection)` on the server side of one socket; what the client got,
    and for each step whether the writer could write frames itself."""
    frames_open: list[bool] = []

    async def app(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        writer = DirectWriter(send, is_member=lambda group: True, on_overflow=lambda: None)
        await steps(writer, writer.connection, frames_open)
        while (await receive())["type"] != "websocket.disconnect":
            pass

    async with served(app, deflate=deflate_server) as url:
        async with connect(url, compression=compression, max_size=None) as client:
            received = [await asyncio.wait_for(client.recv(), 5) for _ in range(len(TEXTS))]
    return received, frames_open


async def write_all(writer, connection, frames_open):
    for text in TEXTS:
        frames_open.append(open_for_frames(connection))
        writer.write("g", text)
        await asyncio.sleep(0)


async def test_events_are_written_as_frames_on_uvicorn_and_arrive_whole_and_in_order():
    received, frames_open = await written_by_a_writer(deflate_server=False, compression=None, steps=write_all)
    assert received == TEXTS
    assert all(frames_open)


async def test_with_compression_negotiated_events_go_through_uvicorns_send():
    received, frames_open = await written_by_a_writer(deflate_server=True, compression="deflate", steps=write_all)
    assert received == TEXTS
    assert not any(frames_open)


async def test_under_backpressure_events_wait_behind_uvicorns_send_and_keep_their_order():
    async def paused_midway(writer, connection, frames_open):
        half = len(TEXTS) // 2
        for text in TEXTS[:half]:
            writer.write("g", text)
        connection.pause_writing()  # the transport's buffer is full: uvicorn's send waits
        frames_open.append(open_for_frames(connection))
        for text in TEXTS[half:]:
            writer.write("g", text)
        await asyncio.sleep(0.05)
        assert writer.busy and writer.backlog  # waiting, not written around the pause
        connection.resume_writing()

    received, frames_open = await written_by_a_writer(deflate_server=False, compression=None, steps=paused_midway)
    assert received == TEXTS
    assert frames_open == [False]


async def test_nothing_is_written_as_a_frame_after_the_close():
    closed: list[bool] = []

    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        writer = DirectWriter(send, is_member=lambda group: True, on_overflow=lambda: None)
        writer.write("g", "before")
        await send({"type": "websocket.close", "code": 1000})
        closed.append(open_for_frames(writer.connection))
        writer.write("g", "after")  # uvicorn's send refuses it; the writer stops
        closed.append(writer.closed)

    async with served(app, deflate=False) as url:
        async with connect(url, compression=None) as client:
            assert await client.recv() == "before"
            with pytest.raises(Exception) as ended:
                await asyncio.wait_for(client.recv(), 5)
            assert getattr(ended.value, "rcvd", None) is not None and ended.value.rcvd.code == 1000
    assert closed == [False, True]


async def test_a_send_that_is_not_uvicorns_gets_no_frames():
    async def send(message):
        pass

    assert DirectWriter(send, is_member=lambda group: True, on_overflow=lambda: None).connection is None
