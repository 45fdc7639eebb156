"""Clients that keep chatting through a fault: they send, count what was acknowledged,
reconnect (to the next server when there are several) and resync the room's history."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import websockets

from tests.integration.conftest import HttpUser, adult_birthdate

_ids = itertools.count(1)


@dataclass
class ChatterLog:
    name: str
    sent: list[str] = field(default_factory=list)                 # bodies sent
    acked: dict[str, str] = field(default_factory=dict)           # body → message id
    refused: list[tuple[float, str]] = field(default_factory=list)  # (time, error code)
    unanswered: list[str] = field(default_factory=list)           # sent, connection lost before an answer
    received: Counter = field(default_factory=Counter)            # message ids received live
    connects: list[tuple[float, str]] = field(default_factory=list)  # (time, server url)
    disconnects: list[float] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)
    refused_bodies: dict[str, str] = field(default_factory=dict)  # body → error code
    received_bodies: set[str] = field(default_factory=set)
    resyncs: list[float] = field(default_factory=list)  # times a `resync` naming the room arrived

    def blocked_but_seen(self, seen_bodies: set[str]) -> list[str]:
        """Bodies the gate refused that nevertheless reached someone: must be empty."""
        return sorted(body for body, code in self.refused_bodies.items()
                      if code == "blocked_by_policy" and body in seen_bodies)


class Retry(Exception):
    pass


async def _request(ws, pending: dict, frame: dict[str, Any], timeout: float) -> dict[str, Any]:
    future = asyncio.get_running_loop().create_future()
    pending[frame["id"]] = future
    await ws.send(json.dumps(frame))
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        pending.pop(frame["id"], None)


async def _reader(ws, pending: dict, log: ChatterLog) -> None:
    try:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "room.message":
                log.received[str(frame["message"]["id"])] += 1
                log.received_bodies.add(frame["message"].get("body", ""))
            elif frame.get("type") == "resync" and frame.get("rooms"):
                # What the web client does on it (reads the room's history) is what `room_history`
                # checks at the end; here only when the signal came matters.
                log.resyncs.append(time.monotonic())
            elif "id" in frame and frame["id"] in pending:
                future = pending[frame["id"]]
                if not future.done():
                    future.set_result(frame)
    finally:
        # The socket is gone: whoever waits for an answer learns it now, not at its timeout.
        for future in pending.values():
            if not future.done():
                future.set_exception(websockets.ConnectionClosedError(None, None))


async def chatter(user: HttpUser, ws_urls: list[str], room: str, stop: asyncio.Event, log: ChatterLog, *,
                  interval: float = 0.2, answer_timeout: float = 5.0, blocked_every: int = 5,
                  drain: float = 0.0) -> None:
    """Send `name-N` every `interval` until `stop`; on any failure reconnect (rotating servers).
    Every `blocked_every`-th message carries a link, which the gate refuses from a new account
    (`new_account_link`): such a message must never reach anyone, fault or no fault. After
    `stop`, the socket stays open `drain` seconds more to receive the last events."""
    attempt = 0
    while not stop.is_set():
        url = ws_urls[attempt % len(ws_urls)]
        attempt += 1
        pending: dict[str, asyncio.Future] = {}
        reader = None
        try:
            async with websockets.connect(url, additional_headers=user.ws_headers(), open_timeout=3,
                                          close_timeout=1) as ws:
                reader = asyncio.create_task(_reader(ws, pending, log))
                joined = await _request(ws, pending, {"type": "room.join", "id": f"j{next(_ids)}", "room": room},
                                        answer_timeout)
                if joined.get("type") != "ack":
                    raise Retry(joined.get("error", {}).get("code"))
                log.connects.append((time.monotonic(), url))
                while not stop.is_set():
                    if reader.done():
                        raise Retry("reader ended")
                    body = f"{log.name}-{len(log.sent)}"
                    if blocked_every and len(log.sent) % blocked_every == blocked_every - 1:
                        body += f" zzblocked https://example.com/{len(log.sent)}"
                    log.sent.append(body)
                    try:
                        answer = await _request(ws, pending, {"type": "room.send", "id": f"s{next(_ids)}",
                                                              "room": room, "body": body}, answer_timeout)
                    except (asyncio.TimeoutError, websockets.ConnectionClosed):
                        log.unanswered.append(body)
                        raise
                    if answer.get("type") == "ack":
                        log.acked[body] = str(answer["message"]["id"])
                        log.ack_times.append(time.monotonic())
                    else:
                        code = answer.get("error", {}).get("code", "?")
                        log.refused.append((time.monotonic(), code))
                        log.refused_bodies[body] = code
                    await asyncio.sleep(interval)
                await asyncio.sleep(drain)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException, Retry):
            log.disconnects.append(time.monotonic())
            await asyncio.sleep(0.2)
        finally:
            if reader is not None:
                reader.cancel()


async def room_history(user: HttpUser, ws_url: str, room: str, *, page: int = 100) -> list[dict[str, Any]]:
    """Every visible message of the room, oldest first, read page by page as a client would."""
    messages: list[dict[str, Any]] = []
    async with websockets.connect(ws_url, additional_headers=user.ws_headers(), open_timeout=5) as ws:
        pending: dict[str, asyncio.Future] = {}
        log = ChatterLog("history")
        reader = asyncio.create_task(_reader(ws, pending, log))
        try:
            await _request(ws, pending, {"type": "room.join", "id": "hj", "room": room}, 10)
            before = None
            while True:
                frame = {"type": "room.history", "id": f"h{next(_ids)}", "room": room, "limit": page}
                if before:
                    frame["before"] = before
                answer = await _request(ws, pending, frame, 10)
                assert answer["type"] == "ack", answer
                batch = answer["messages"]
                if not batch:
                    break
                messages = batch + messages
                before = str(min(int(m["id"]) for m in batch))
                if len(batch) < page:
                    break
        finally:
            reader.cancel()
    return sorted(messages, key=lambda m: int(m["id"]))


async def run_through_fault(clients: Callable[[asyncio.Event], list[Awaitable[None]]],
                            fault: Callable[[], Awaitable[None]], *, recovery_budget: float) -> None:
    """The clients (`clients(stop)`, each running until `stop` is set) chat for 4 s, then
    `fault()` runs, then they go on for the recovery budget and 2 s more before they stop."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client) for client in clients(stop)]
    await asyncio.sleep(4)
    await fault()
    await asyncio.sleep(recovery_budget + 2)
    stop.set()
    await asyncio.gather(*tasks)


def first_ack_after(logs: list[ChatterLog], moment: float) -> float | None:
    """Seconds from `moment` until every client had an acknowledged message again."""
    latest = 0.0
    for log in logs:
        after = [t for t in log.ack_times if t > moment]
        if not after:
            return None
        latest = max(latest, after[0] - moment)
    return latest


@dataclass
class Signals:
    """Per client, the acknowledged messages of the others that it neither received live nor
    was told to fetch (a `resync`, or a join, whose answer carries the room's history, at or
    after the message's acknowledgement): lost without a signal."""

    considered: int  # (client, message) pairs looked at
    received_live: int
    resynced: int  # covered by a resync frame
    rejoined: int  # covered by a (re)join
    lost: dict[str, list[str]]  # client → message ids

    @property
    def lost_count(self) -> int:
        return sum(len(ids) for ids in self.lost.values())


def lost_without_signal(logs: list[ChatterLog], *, acked_before: float) -> Signals:
    """`Signals` for the messages acknowledged before `acked_before` (later ones may still be
    on their way when the clients stop)."""
    acks = [(log.name, mid, at) for log in logs
            for (body, mid), at in zip(log.acked.items(), log.ack_times) if at < acked_before]
    considered = live = resynced = rejoined = 0
    lost: dict[str, list[str]] = {}
    for log in logs:
        for author, mid, at in acks:
            if author == log.name:
                continue
            considered += 1
            if log.received[mid]:
                live += 1
            elif any(t >= at for t in log.resyncs):
                resynced += 1
            elif any(t >= at for t, _ in log.connects):
                rejoined += 1
            else:
                lost.setdefault(log.name, []).append(mid)
    return Signals(considered=considered, received_live=live, resynced=resynced, rejoined=rejoined, lost=lost)


def adult_signup(user: HttpUser, name: str) -> str:
    """Signs `user` up as an adult called `name`; the new account's id."""
    status, body = user.call("POST", "/api/v1/accounts/signup", {
        "pseudonym": name, "password": "correct horse battery", "birthdate": adult_birthdate()})
    assert status == 201, body
    return body["user"]["id"]


def _room_rows(database_url: str, room: str, condition: str = "") -> dict[str, str]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return dict(conn.execute("SELECT m.id::text, m.body FROM chat_message m JOIN chat_room r ON r.id = m.room_id "
                                 f"WHERE r.slug = %s{condition}", (room,)).fetchall())


def stored_rows(database_url: str, room: str) -> dict[str, str]:
    """Every message the room holds, whatever its status, id → body."""
    return _room_rows(database_url, room)


def visible_rows(database_url: str, room: str) -> dict[str, str]:
    """The room's messages that anyone may see (status visible), id → body."""
    return _room_rows(database_url, room, " AND m.status = 'visible'")


@dataclass
class Delivery:
    """The clients' acknowledged messages against the rows the database holds."""

    sent: int  # messages the clients sent
    acked: dict[str, str]  # message id → body, every client's acknowledged messages
    lost: list[str]  # acknowledged ids the database does not hold
    by_body: Counter  # stored rows per body

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.by_body.values() if n > 1)

    def missing_from(self, history: list[dict[str, Any]]) -> list[str]:
        """Acknowledged ids a client's history lacks."""
        return sorted(set(self.acked) - {m["id"] for m in history})

    def counts(self) -> dict[str, int]:
        """The message counts `figures.record` takes."""
        return {"sent": self.sent, "acknowledged": len(self.acked), "lost": len(self.lost),
                "duplicates": self.duplicates}


def delivery(logs: list[ChatterLog], stored: dict[str, str]) -> Delivery:
    acked = {mid: body for log in logs for body, mid in log.acked.items()}
    return Delivery(sent=sum(len(log.sent) for log in logs), acked=acked,
                    lost=sorted(mid for mid in acked if mid not in stored), by_body=Counter(stored.values()))


def assert_blocked_never_seen(logs: list[ChatterLog], database_url: str, room: str,
                              history: list[dict[str, Any]]) -> None:
    """The gate refused some messages (else this would prove nothing), and none of them is
    stored visible, in `history` or was delivered live to any client."""
    seen = {body for body in visible_rows(database_url, room).values()} | {m["body"] for m in history}
    seen |= set().union(*(log.received_bodies for log in logs))
    blocked_seen = [b for log in logs for b in log.blocked_but_seen(seen)]
    blocked = sum(1 for log in logs for code in log.refused_bodies.values() if code == "blocked_by_policy")
    assert blocked > 0, "no message was refused by the gate: the check below would prove nothing"
    assert blocked_seen == [], f"blocked messages delivered or stored: {blocked_seen}"
