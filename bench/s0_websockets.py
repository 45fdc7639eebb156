"""S0: a raw `websockets` broadcast server speaking the same JSON frames as Phare.

The practical ceiling for Python: no framework, no channel layer, no database. Rooms and
conversations live in this process's memory; a room message is serialised once and written to
every member with `websockets.broadcast`. The client names itself with `?user=<id>`.

    python bench/s0_websockets.py --port 8101
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
from urllib.parse import parse_qs, urlsplit

import websockets
from websockets.asyncio.server import broadcast, serve

ids = itertools.count(1)
rooms: dict[str, set] = {}
users: dict[str, set] = {}
conversations: dict[str, tuple[str, str]] = {}


def encode(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def message(user: str, body: str) -> dict:
    return {
        "id": str(next(ids)),
        "author": {"id": user, "pseudonym": f"user{user}"},
        "body": body,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }


async def handler(ws) -> None:
    query = parse_qs(urlsplit(ws.request.path).query)
    user = query.get("user", ["0"])[0]
    users.setdefault(user, set()).add(ws)
    joined: set[str] = set()
    try:
        async for raw in ws:
            frame = json.loads(raw)
            kind, frame_id = frame.get("type"), frame.get("id")
            if kind == "room.join":
                rooms.setdefault(frame["room"], set()).add(ws)
                joined.add(frame["room"])
                await ws.send(encode({"type": "ack", "id": frame_id, "room": {"slug": frame["room"]}, "history": []}))
            elif kind == "room.send":
                msg = message(user, frame["body"])
                broadcast(rooms.get(frame["room"], ()), encode({"type": "room.message", "room": frame["room"], "message": msg}))
                await ws.send(encode({"type": "ack", "id": frame_id, "message": {**msg, "status": "delivered"}}))
            elif kind == "dm.open":
                conversation = f"{min(user, frame['to'])}-{max(user, frame['to'])}"
                conversations[conversation] = (user, frame["to"])
                broadcast(users.get(frame["to"], ()), encode(
                    {"type": "dm.request", "conversation": {"id": conversation}, "from": {"id": user}, "preview": frame["body"]}))
                await ws.send(encode({"type": "ack", "id": frame_id, "conversation": {"id": conversation, "state": "requested"}}))
            elif kind == "dm.accept":
                await ws.send(encode({"type": "ack", "id": frame_id, "conversation": {"id": frame["conversation"], "state": "accepted"}}))
            elif kind == "dm.send":
                msg = message(user, frame["body"])
                text = encode({"type": "dm.message", "conversation": frame["conversation"], "message": msg})
                for member in conversations.get(frame["conversation"], ()):
                    broadcast(users.get(member, ()), text)
                await ws.send(encode({"type": "ack", "id": frame_id, "message": {**msg, "status": "delivered"}}))
            else:
                await ws.send(encode({"type": "error", "id": frame_id, "error": {"code": "bad_request"}}))
    except websockets.ConnectionClosed:
        pass
    finally:
        for room in joined:
            rooms.get(room, set()).discard(ws)
        users.get(user, set()).discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=1 << 20, ping_interval=20):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.port))
