"""Clients that never read cannot exhaust the server's memory.

Ten clients join a room and stop reading (a tiny receive buffer, so the kernel cannot absorb
the stream for them) while senders post thousands of large messages. The server keeps at most
a bounded backlog per socket (chat.realtime.fanout's DirectWriter; the channel layer's capacity without
it) and closes a socket that falls too far behind; its memory stays within that bound instead
of growing with what the slow clients do not read, and a client that reads gets everything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import websockets

from tests.integration.conftest import HttpUser, manage
from tests.reliability import figures
from tests.reliability.faults import long_runs_enabled, phare_env, prepare_database

pytestmark = pytest.mark.integration

SLOW = 10
BODY_CHARS = 900                     # the room's default maximum is 1000 characters
EVENT_BYTES = BODY_CHARS * 4 + 300   # 4-byte characters, plus the event's envelope
PER_SOCKET_BACKLOG = 1000            # chat.realtime.fanout.DirectWriter's limit


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def tiny_buffer_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


@pytest.mark.timeout(400)
@pytest.mark.parametrize("messages", [
    800,  # in CI: enough to fill the kernel's buffers; the server must not grow with the rest
    pytest.param(2400, marks=pytest.mark.skipif(not long_runs_enabled(), reason="make reliability")),
])
def test_never_reading_clients_cannot_exhaust_server_memory(private_redis, shared_pg_database, processes,
                                                             messages):
    env = phare_env(database_url=shared_pg_database, redis_url=private_redis.url)
    room = "loud"
    prepare_database(env, room)
    server = processes["server"](env)
    tag = uuid.uuid4().hex[:4]
    names = [f"sl{tag}{i}" for i in range(SLOW)] + [f"sr{tag}", f"ss{tag}a", f"ss{tag}b"]
    users = {}
    for name in names:
        user = HttpUser(server.http)
        status, body = user.call("POST", "/api/v1/accounts/signup", {
            "pseudonym": name, "password": "correct horse battery",
            "birthdate": (dt.date.today() - dt.timedelta(days=30 * 365)).isoformat()})
        assert status == 201, body
        users[name] = user
    # Established accounts: what is measured here is memory, not the new-account limits.
    manage(env, "shell", "-c", "import datetime as dt; from django.utils import timezone; "
                               "from accounts.models import User; "
                               "User.objects.update(date_joined=timezone.now() - dt.timedelta(days=30))")
    slow_names, reader_name, sender_names = names[:SLOW], names[SLOW], names[SLOW + 1:]
    samples: list[int] = []
    result: dict = {}

    async def join(ws, frame_id: str) -> None:
        await ws.send(json.dumps({"type": "room.join", "id": frame_id, "room": room}))
        while True:
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if reply.get("id") == frame_id:
                assert reply["type"] == "ack", reply
                return

    async def sampler(stop: asyncio.Event) -> None:
        while not stop.is_set():
            samples.append(rss_bytes(server.process.pid))
            await asyncio.sleep(0.2)

    async def reader(ws, stop_after: int) -> int:
        got = 0
        try:
            while got < stop_after:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if frame.get("type") == "room.message":
                    got += 1
        except asyncio.TimeoutError:
            pass
        return got

    async def sender(name: str, count: int) -> None:
        """Pipelined: up to 20 frames awaiting their answer, and every answer awaited."""
        window = asyncio.Semaphore(20)
        replies: Counter = result.setdefault("replies", Counter())
        async with websockets.connect(server.ws, additional_headers=users[name].ws_headers(),
                                      max_size=None) as ws:
            await join(ws, "j")
            drain = asyncio.create_task(_drain(ws, replies, window))
            for i in range(count):
                await window.acquire()
                body = (f"{name} {i} " + "🌊" * BODY_CHARS)[:BODY_CHARS]
                await ws.send(json.dumps({"type": "room.send", "id": f"s{i}", "room": room, "body": body}))
            for _ in range(20):
                await asyncio.wait_for(window.acquire(), 60)
            drain.cancel()

    async def scenario() -> None:
        baseline = rss_bytes(server.process.pid)
        slow_sockets = []
        for name in slow_names:
            ws = await websockets.connect(server.ws, additional_headers=users[name].ws_headers(),
                                          sock=tiny_buffer_socket(server.port), max_queue=1, max_size=None)
            await join(ws, "j")
            slow_sockets.append(ws)  # …and never read again
        fast = await websockets.connect(server.ws, additional_headers=users[reader_name].ws_headers(),
                                        max_size=None)
        await join(fast, "j")
        stop = asyncio.Event()
        sampling = asyncio.create_task(sampler(stop))
        started = time.monotonic()
        reading = asyncio.create_task(reader(fast, messages))
        await asyncio.gather(*(sender(name, messages // len(sender_names)) for name in sender_names))
        received = await reading
        result["seconds"] = time.monotonic() - started
        await asyncio.sleep(2)
        stop.set()
        await sampling
        result.update(baseline=baseline, peak=max(samples), received=received)
        # The slow sockets: read what is buffered and see whether the server closed them.
        closed = 0
        for ws in slow_sockets:
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
            except websockets.ConnectionClosed:
                closed += 1
            except asyncio.TimeoutError:
                await ws.close()
        result["slow_closed"] = closed
        await fast.close()

    asyncio.run(scenario())

    growth = result["peak"] - result["baseline"]
    unbounded = SLOW * messages * EVENT_BYTES
    bound = SLOW * PER_SOCKET_BACKLOG * EVENT_BYTES + 40 * 2**20
    figures.record(
        f"Ten clients never read while {messages:,} large messages are posted", recovery_seconds=None,
        sent=messages, acknowledged=result["received"], lost=messages - result["received"], duplicates=0,
        detail=(f"server memory grew {growth / 2**20:.0f} MiB at peak (what the slow clients did not read: "
                f"{unbounded / 2**20:.0f} MiB; the per-socket bound: {bound / 2**20:.0f} MiB); "
                f"{result['slow_closed']} of {SLOW} slow sockets closed by the server; "
                f"the reading client got {result['received']} of {messages} in {result['seconds']:.1f} s"),
    )
    assert server.process.poll() is None, "the server died"
    assert result["received"] == messages, f"a client that reads lost messages; senders got {result['replies']}"
    assert growth < bound, f"memory grew {growth / 2**20:.0f} MiB"
    if messages > 2 * PER_SOCKET_BACKLOG:
        # Past the kernel's buffers and the per-socket backlog the server lets sockets go. How
        # much each socket's kernel buffers absorb varies (7 to 10 of 10 closed were measured),
        # so what is asserted strictly is the memory bound above; here, that the closing works.
        assert result["slow_closed"] >= 1, "no socket that fell far behind was closed"


async def _drain(ws, replies: Counter, window: asyncio.Semaphore) -> None:
    try:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "error":
                replies[frame["error"]["code"] + ":" + str(frame["error"].get("reason", ""))] += 1
                window.release()
            elif frame.get("type") == "ack":
                replies["ack"] += 1
                window.release()
    except websockets.ConnectionClosed:
        pass
