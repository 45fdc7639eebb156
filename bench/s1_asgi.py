"""S1: a plain, unmoderated Channels chat on the same ASGI server and channel layer as Phare.

No accounts, no database, no screening: the client names itself with `?user=<id>`. It is the
textbook Channels chat (a consumer per socket, `group_add` per room, one `group_send` per
message, a handler that forwards the pre-serialised text), speaking Phare's JSON frames, so the
difference between S1 and S2 is what Phare's safety and persistence cost.

The server process runs with Phare's garbage-collector settings (config/runtime.py), as it
runs under the same uvicorn flags.

On Phare's layer (chat.realtime.fanout) it takes the layer's direct delivery the way Phare's consumer
does (three lines in `connect`), because that is how any Channels app uses this layer.
S1_DIRECT=0 keeps the textbook receive loop for every event (`S1-textbook` in bench/fanout.py).

    DJANGO_SETTINGS_MODULE=bench.s1_settings uvicorn bench.s1_asgi:application ...
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.s1_settings")

import django  # noqa: E402

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from chat.realtime.fanout import DirectWriter  # noqa: E402
from config.runtime import tune_garbage_collector  # noqa: E402

DIRECT = os.environ.get("S1_DIRECT", "1") == "1"

_ids = itertools.count(1)


def encode(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class PlainChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.user = query.get("user", ["0"])[0]
        self.joined: set[str] = set()
        if DIRECT and hasattr(self.channel_layer, "attach"):
            self.writer = DirectWriter(self.base_send, is_member=self.joined.__contains__,
                                       on_overflow=lambda: None)
            self.channel_layer.attach(self.channel_name, self._direct)
        await self._add("user." + self.user)
        await self.accept()

    async def _add(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    async def disconnect(self, code: int) -> None:
        if hasattr(self.channel_layer, "forget"):
            self.channel_layer.forget(self.channel_name)
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    def _message(self, body: str) -> dict:
        return {"id": str(next(_ids)), "author": {"id": self.user, "pseudonym": "user" + self.user},
                "body": body, "created_at": dt.datetime.now(dt.timezone.utc).isoformat()}

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = json.loads(text_data or "{}")
        kind, frame_id = frame.get("type"), frame.get("id")
        if kind == "room.join":
            await self._add("room." + frame["room"])
            answer = {"room": {"slug": frame["room"]}, "history": []}
        elif kind == "room.send":
            msg = self._message(frame["body"])
            text = encode({"type": "room.message", "room": frame["room"], "message": msg})
            await self.channel_layer.group_send("room." + frame["room"], {"type": "chat.event", "text": text})
            answer = {"message": {**msg, "status": "delivered"}}
        elif kind == "dm.open":
            a, b = sorted([self.user, frame["to"]])
            conversation = f"{a}-{b}"
            await self.channel_layer.group_send("user." + frame["to"], {"type": "chat.event", "text": encode(
                {"type": "dm.request", "conversation": {"id": conversation}, "from": {"id": self.user},
                 "preview": frame["body"]})})
            answer = {"conversation": {"id": conversation, "state": "requested"}}
        elif kind == "dm.accept":
            answer = {"conversation": {"id": frame["conversation"], "state": "accepted"}}
        elif kind == "dm.send":
            msg = self._message(frame["body"])
            text = encode({"type": "dm.message", "conversation": frame["conversation"], "message": msg})
            for member in frame["conversation"].split("-"):
                await self.channel_layer.group_send("user." + member, {"type": "chat.event", "text": text})
            answer = {"message": {**msg, "status": "delivered"}}
        else:
            await self.send(text_data=encode({"type": "error", "id": frame_id, "error": {"code": "bad_request"}}))
            return
        await self.send(text_data=encode({"type": "ack", "id": frame_id, **answer}))

    def _direct(self, group: str, message: dict) -> bool:
        if message["type"] != "chat.event":
            return False
        self.writer.write(group, message["text"])
        return True

    async def chat_event(self, event: dict) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/", PlainChatConsumer.as_asgi())])})

# The server process is tuned as Phare's is (config/runtime.py), like uvicorn's flags: what the
# comparison measures is the chat, not the collector's settings.
tune_garbage_collector()
