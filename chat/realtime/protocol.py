"""WebSocket protocol v1: parse and validate client frames (docs/protocol.md).

A frame is a JSON object with a `type`, a client-chosen `id` and the fields its type
needs. Anything else is a `ProtocolError` answered with `bad_request`; the socket stays open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.errors import PhareError
from core.http import storable as _storable

MAX_ID_LENGTH = 64


@dataclass(frozen=True)
class Field:
    name: str
    kind: type
    required: bool = True
    max_length: int = 200_000


# Type → the fields it takes. Unknown fields are ignored (forward compatibility).
FRAME_FIELDS: dict[str, tuple[Field, ...]] = {
    "room.join": (Field("room", str, max_length=64),),
    "room.leave": (Field("room", str, max_length=64),),
    "room.send": (Field("room", str, max_length=64), Field("body", str),
                  Field("reply_to", str, required=False, max_length=20)),
    "room.history": (
        Field("room", str, max_length=64),
        Field("before", str, required=False, max_length=20),
        Field("limit", int, required=False),
    ),
    "dm.open": (Field("to", str, max_length=64), Field("body", str)),
    "dm.accept": (Field("conversation", str, max_length=20),),
    "dm.decline": (Field("conversation", str, max_length=20),),
    "dm.block": (Field("conversation", str, max_length=20),),
    "dm.send": (Field("conversation", str, max_length=20), Field("body", str)),
    "dm.list": (),
    # User controls by account id (docs/protocol.md, Phare's additions).
    "user.block": (Field("user", str, max_length=20),),
    "user.unblock": (Field("user", str, max_length=20),),
    "user.mute": (Field("user", str, max_length=20),),
    "user.unmute": (Field("user", str, max_length=20),),
    "user.controls": (),
    # Trusted connections across age bands (chat.services.trusted).
    "trusted.propose": (Field("user", str, max_length=20),),
    "trusted.accept": (Field("connection", str, max_length=20),),
    "trusted.end": (Field("connection", str, max_length=20),),
    "trusted.list": (),
    # Same body as POST /api/v1/reports (moderation validates target, category, good faith).
    "report": (
        Field("target", dict),
        Field("category", str, max_length=32),
        Field("details", str, required=False, max_length=2000),
        Field("good_faith", bool, required=False),
    ),
    "dm.history": (
        Field("conversation", str, max_length=20),
        Field("before", str, required=False, max_length=20),
        Field("limit", int, required=False),
    ),
}


@dataclass(frozen=True)
class Frame:
    type: str
    id: str
    fields: dict[str, Any]


class ProtocolError(PhareError):
    def __init__(self, reason: str, *, frame_id: str | None = None, field: str | None = None) -> None:
        extra: dict[str, Any] = {"reason": reason}
        if field:
            extra["field"] = field
        super().__init__("bad_request", extra=extra)
        self.frame_id = frame_id


def _coerce(field: Field, value: Any) -> Any:
    # Ids may arrive as numbers from naive clients; accept them as their string.
    if field.kind is str and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    # isascii: "²".isdigit() is true but int("²") fails.
    if field.kind is int and isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if field.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError
    if not isinstance(value, field.kind):
        raise TypeError
    if field.kind is str and len(value) > field.max_length:
        raise ValueError
    return value


def parse_frame(text: str) -> Frame:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("invalid_json") from exc
    if not isinstance(data, dict):
        raise ProtocolError("expected_object")
    raw_id = data.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if not isinstance(raw_id, str) or not raw_id or len(raw_id) > MAX_ID_LENGTH or not _storable(raw_id):
        raise ProtocolError("missing_id")
    frame_type = data.get("type")
    if not isinstance(frame_type, str) or frame_type not in FRAME_FIELDS:
        raise ProtocolError("unknown_type", frame_id=raw_id)
    fields: dict[str, Any] = {}
    for field in FRAME_FIELDS[frame_type]:
        if field.name not in data or data[field.name] is None:
            if field.required:
                raise ProtocolError("missing_field", frame_id=raw_id, field=field.name)
            continue
        try:
            fields[field.name] = _coerce(field, data[field.name])
        except TypeError as exc:
            raise ProtocolError("wrong_type", frame_id=raw_id, field=field.name) from exc
        except ValueError as exc:
            raise ProtocolError("too_long", frame_id=raw_id, field=field.name) from exc
        try:
            storable = _storable(fields[field.name])
        except RecursionError:
            storable = False
        if not storable:
            raise ProtocolError("invalid_text", frame_id=raw_id, field=field.name)
    return Frame(type=frame_type, id=raw_id, fields=fields)


def cursor(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise PhareError("bad_request", extra={"field": "before"})
    return int(value)
