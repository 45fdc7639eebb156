"""The benchmark's load generator reads each delivery's token without parsing its JSON
(bench/loadgen.py `token_in_frame`): it must find the token the JSON holds, in the frames
of all three servers, and leave every other frame to the JSON path."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from bench import loadgen
from bench.s0_websockets import encode as s0_encode
from bench.s0_websockets import message as s0_message
from chat.realtime.events import encode as phare_encode

NOW = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.timezone.utc)


def phare_room_message(body: str) -> bytes:
    # Phare's room event as chat.services builds it and chat.realtime.events serialises it.
    message = {"id": "81234", "author": {"id": "42", "pseudonym": "Éloïse"}, "body": body,
               "created_at": NOW.isoformat(), "status": "visible"}
    return phare_encode({"type": "room.message", "room": "rooms10-3", "message": message}).encode()


def phare_dm_message(body: str) -> bytes:
    message = {"id": "9", "author": {"id": "7", "pseudonym": "x"}, "body": body, "created_at": NOW.isoformat()}
    return phare_encode({"type": "dm.message", "conversation": "12", "message": message}).encode()


def s0_room_message(body: str) -> bytes:
    # S1 writes the same shape with the same encoder settings (bench/s1_asgi.py).
    return s0_encode({"type": "room.message", "room": "r", "message": s0_message("5", body)}).encode()


BUILDERS = [phare_room_message, phare_dm_message, s0_room_message]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("phrase", [*loadgen.PHRASES, loadgen.BLOCKED_PHRASE, 'a "quoted" ref bcd ref x'])
def test_token_read_from_the_bytes_is_the_one_the_json_holds(build, phrase):
    token = loadgen.token_for(123_456_789)
    payload = build(f"{phrase} ref {token}")
    from_json = json.loads(payload)["message"]["body"][-loadgen.TOKEN_LEN:].encode()
    assert loadgen.token_in_frame(payload) == from_json == token.encode()


@pytest.mark.parametrize("payload", [
    json.dumps({"type": "ack", "id": "x", "message": {"body": "hi ref bcdfghj"}}).encode(),
    phare_room_message("no token in this body"),
    phare_room_message("token not at the end ref bcdfghj, then more"),
    # Not compact (a space after the colon): not the shape the fast path knows.
    b'{"type": "room.message", "message": {"body": "x ref bcdfghj"}}',
])
def test_other_frames_are_left_to_the_json_path(payload):
    assert loadgen.token_in_frame(payload) is None


def test_deliveries_are_matched_counted_and_duplicates_caught():
    async def scenario() -> loadgen.Tracker:
        generator = loadgen.Generator({"clients": []})
        client = loadgen.Client(generator, 0)
        known = loadgen.token_for(1000)
        generator.tracker.sent[known.encode()] = [0.0, 1, 0, False]
        client.on_text(phare_room_message(f"salut ref {known}"), 0.25)
        client.on_text(phare_room_message(f"salut ref {known}"), 0.30)  # the same message again
        client.on_text(phare_room_message(f"salut ref {loadgen.token_for(999)}"), 0.30)  # another step's
        # A delivery the fast path leaves alone still counts through the JSON path.
        spaced = json.dumps({"type": "room.message", "message": {"body": f"x ref {known}"}}).encode()
        other = loadgen.Client(generator, 1)
        other.on_text(spaced, 0.5)
        return generator.tracker

    tracker = asyncio.run(scenario())
    assert tracker.sent[loadgen.token_for(1000).encode()][2] == 2
    assert tracker.latencies == [0.25, 0.5]
    assert tracker.duplicates == 1
    assert tracker.unknown == 1
