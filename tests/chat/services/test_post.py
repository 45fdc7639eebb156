"""The one posting pipeline (chat.services.post): every kind of message goes through the same
phases, and no other code writes a message."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from accounts.models import AgeBand
from chat import services as chat_services
from chat.models import Message
from chat.services import post as pipeline
from core.errors import PhareError

ROOT = Path(__file__).resolve().parents[3]
APPS = ("accounts", "chat", "core", "moderation", "ops", "config")
# The pipeline stores messages; the model's manager is how it does; the event-loop runner
# sends the manager's statement on its own connection.
MAY_WRITE_MESSAGES = {"chat/services/post.py", "chat/models.py", "chat/posting.py"}


def _message_writes(path: Path) -> list[int]:
    """Lines that build a Message row or insert messages (`Message(...)`,
    `Message.objects.create/bulk_create/insert_all/rows_statement`)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Message":
            lines.append(node.lineno)
        elif (isinstance(func, ast.Attribute)
              and func.attr in {"create", "bulk_create", "insert_all", "rows_statement", "get_or_create"}
              and isinstance(func.value, ast.Attribute) and func.value.attr == "objects"
              and isinstance(func.value.value, ast.Name) and func.value.value.id == "Message"):
            lines.append(node.lineno)
    return lines


def test_no_code_but_the_pipeline_writes_a_message():
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for app in APPS for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and str(path.relative_to(ROOT)) not in MAY_WRITE_MESSAGES
        for line in _message_writes(path)
    }
    assert found == set()
    # The check sees what it looks for.
    assert _message_writes(ROOT / "chat/services/post.py")


@pytest.fixture
def screened(monkeypatch) -> list[str]:
    """The gate contexts every post was screened in, in order."""
    contexts: list[str] = []
    real = pipeline.gate.screen_message

    def screen_message(**kwargs):
        contexts.append(kwargs["context"])
        return real(**kwargs)

    monkeypatch.setattr(pipeline.gate, "screen_message", screen_message)
    return contexts


@pytest.mark.django_db
def test_room_messages_requests_and_replies_take_the_same_phases(make_user, adults_room, screened,
                                                               monkeypatch):
    phases: list[str] = []
    for name in ("check_open", "screen", "store"):
        real = getattr(pipeline.PostBatch, name)

        def traced(self, _real=real, _name=name):
            phases.append(_name)
            return _real(self)

        monkeypatch.setattr(pipeline.PostBatch, name, traced)
    alice, bob = make_user(), make_user()
    chat_services.post_room_message(author=alice, room=adults_room, body="bonjour la salle")
    conversation = chat_services.open_conversation(sender=alice, to=str(bob.pk), body="bonjour bob")
    chat_services.accept_conversation(user=bob, conversation_id=conversation["id"])
    chat_services.send_direct_message(sender=bob, conversation_id=conversation["id"], body="bonjour alice")
    assert screened == ["room", "dm_request", "dm"]
    assert phases == ["check_open", "screen", "store"] * 3
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == [
        "bonjour la salle", "bonjour bob", "bonjour alice"]


@pytest.mark.django_db
def test_a_refusal_at_one_phase_stops_that_post_only(make_user, adults_room, minors_room):
    adult, teen = make_user(), make_user(AgeBand.YOUNG_TEEN)
    outcomes = chat_services.post_messages([
        pipeline.Post(author=adult, body="", target=pipeline.RoomTarget(adults_room)),
        pipeline.Post(author=adult, body="salut", target=pipeline.RequestTarget(str(teen.pk))),
        pipeline.Post(author=adult, body="bonjour", target=pipeline.RoomTarget(adults_room)),
    ])
    assert [getattr(o, "code", None) for o in outcomes] == ["bad_request", "not_found", None]
    assert outcomes[2].status == "delivered"
    assert list(Message.objects.values_list("body", flat=True)) == ["bonjour"]
