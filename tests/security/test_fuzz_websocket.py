"""Property-based fuzzing of WebSocket frames: whatever a client sends, the server answers
with an ack or an error frame, never crashes the consumer, and the socket keeps working."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from chat import services as chat_services
from chat.realtime.protocol import FRAME_FIELDS
from tests.conftest import connect_ws

pytestmark = pytest.mark.django_db(transaction=True)

# Text with lone surrogates too: a JSON "\ud800" escape decodes to one, whatever the wire's UTF-8.
any_text = st.text(st.characters(codec=None), max_size=40)
json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
             | st.floats(allow_nan=False, allow_infinity=False) | any_text)
json_value = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=12,
)
# Values that have broken parsers before: non-decimal digits, signs, huge numbers, slugs that exist.
tricky = st.sampled_from([
    "²", "٣", "১২", "-1", "0", "+5", " 7", "1e3", "99999999999999999999999999", "0x10", "1_000",
    "cafe", "college", "", " ", "\x00", "\ud800", "../cafe", "cafe\n", "%", "null", "true",
])
field_value = st.one_of(json_value, tricky, st.integers(min_value=-(2**70), max_value=2**70),
                        st.dictionaries(st.sampled_from(["message", "user", "room", "conversation"]),
                                        json_value | tricky, max_size=2))
FIELD_NAMES = sorted({f.name for fields in FRAME_FIELDS.values() for f in fields}
                     | {"room", "body", "to", "conversation", "before", "limit"})
frame_type = st.sampled_from(sorted(FRAME_FIELDS)) | st.sampled_from(["", "room", "ROOM.JOIN", "admin", "__init__",
                                                                      "room.join.", "frame_room_join"]) | any_text
frame_id = st.one_of(st.text(max_size=70), st.integers(min_value=-(2**70), max_value=2**70), st.none(),
                     st.booleans(), json_value)
structured = st.fixed_dictionaries(
    {"type": frame_type, "id": frame_id},
    optional={name: field_value for name in FIELD_NAMES},
)
frames = st.one_of(
    structured.map(lambda f: json.dumps(f, ensure_ascii=True)),
    structured.map(lambda f: json.dumps(f, ensure_ascii=False, allow_nan=False)).filter(
        lambda s: "\ud800" not in s),
    json_value.map(json.dumps),
    st.text(min_size=1, max_size=200),  # an empty text frame cannot be sent by the test client
    st.sampled_from(["[" * 50_000, '{"a":' * 50_000, "{}", "[]", "null", '{"type":"room.join"}', "\x00", "NaN",
                     '{"type":"dm.list","id":"1"' , '{"id":"1","type":"room.send","room":"cafe","body":"\\ud800"}',
                     '{"id":"1","type":"room.history","room":"cafe","before":"²"}',
                     '{"id":"1","type":"room.history","room":"cafe","limit":"²"}',
                     '{"id":"1","type":"dm.history","conversation":"²"}',
                     '{"id":"1","type":"dm.accept","conversation":"99999999999999999999"}',
                     '{"id":"1","type":"room.history","room":"cafe","limit":-5}',
                     '{"id":"1","type":"room.history","room":"cafe","limit":100000000000}',
                     '{"id":"1","type":"report","target":{"message":"²"},"category":"spam","good_faith":true}',
                     '{"id":"1","type":"report","target":{"user":[]},"category":"spam","good_faith":true}',
                     '{"id":"1","type":"dm.open","to":"\\u0000","body":"hi"}']),
)


async def answer_to(communicator, text: str) -> dict[str, Any]:
    """Send one frame and return the server's answer to it (skipping room events)."""
    await communicator.send_to(text_data=text)
    while True:
        output = await communicator.receive_output(timeout=10)
        assert output["type"] == "websocket.send", f"the socket closed on {text[:200]!r}: {output}"
        frame = json.loads(output["text"])
        if "id" in frame and frame.get("type") in {"ack", "error"}:
            return frame
        assert frame.get("type") not in {"ack", "error"}, frame


def assert_clean_answer(text: str, answer: dict[str, Any]) -> None:
    assert answer["type"] in {"ack", "error"}, answer
    if answer["type"] == "error":
        error = answer["error"]
        assert isinstance(error["code"], str) and error["code"] and error["code"] != "server_error", (text, answer)
        assert isinstance(error["message"], str), answer


@pytest.fixture
def fuzz_world(make_user, generous_limits, settings):
    settings.PHARE_MALFORMED_FRAMES_BEFORE_CLOSE = 10**9
    chat_services.create_room(slug="cafe", name="Café", audience="adults")
    chat_services.create_room(slug="college", name="Collège", audience="minors")
    return make_user(pseudonym="fuzz_adult")


def test_any_frame_is_answered_and_the_socket_survives(fuzz_world, loop_thread):
    communicator, connected = loop_thread.run(connect_ws(fuzz_world))
    assert connected
    joined = loop_thread.run(answer_to(communicator, '{"type":"room.join","id":"j","room":"cafe"}'))
    assert joined["type"] == "ack", joined
    seen: list[str] = []

    @hsettings(max_examples=400, deadline=None, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(text=frames)
    def check(text: str) -> None:
        answer = loop_thread.run(answer_to(communicator, text))
        assert_clean_answer(text, answer)
        seen.append(answer["type"])

    try:
        check()
        # Still a working socket after everything above.
        alive = loop_thread.run(answer_to(communicator, '{"type":"dm.list","id":"alive"}'))
        assert alive == {"type": "ack", "id": "alive", "conversations": alive["conversations"]}
    finally:
        loop_thread.run(communicator.disconnect())
    assert "error" in seen and "ack" in seen  # the run exercised both paths


def test_oversized_frame_is_refused_with_too_large(fuzz_world, loop_thread):
    communicator, connected = loop_thread.run(connect_ws(fuzz_world))
    assert connected
    try:
        big = json.dumps({"type": "room.send", "id": "big", "room": "cafe", "body": "a" * 70_000})
        answer = loop_thread.run(answer_to(communicator, big))
        assert answer["type"] == "error" and answer["error"]["code"] == "too_large"
        # Multi-byte characters count as bytes, not characters: 20,000 × 4 bytes is too large.
        wide = json.dumps({"type": "room.send", "id": "wide", "room": "cafe", "body": "😀" * 20_000},
                          ensure_ascii=False)
        answer = loop_thread.run(answer_to(communicator, wide))
        assert answer["type"] == "error" and answer["error"]["code"] == "too_large"
        ok = loop_thread.run(answer_to(communicator, '{"type":"dm.list","id":"after"}'))
        assert ok["type"] == "ack"
    finally:
        loop_thread.run(communicator.disconnect())


def test_binary_frames_are_answered_with_an_error(fuzz_world, loop_thread):
    communicator, connected = loop_thread.run(connect_ws(fuzz_world))
    assert connected

    async def send_binary() -> dict:
        await communicator.send_to(bytes_data=b"\xff\xfe\x00binary")
        return await communicator.receive_json_from(timeout=10)

    try:
        answer = loop_thread.run(send_binary())
        assert answer["type"] == "error" and answer["error"]["code"] == "bad_request"
    finally:
        loop_thread.run(communicator.disconnect())
