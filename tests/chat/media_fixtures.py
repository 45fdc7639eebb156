"""Fixtures and helpers shared by the image tests (imported by tests/chat/test_media*.py and
tests/moderation/test_hash_banks*.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import AgeBand, User
from chat import tasks
from chat.realtime import events
from chat import services as chat_services
from chat.models import Conversation, Membership, Upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def photo_room(db):
    return chat_services.create_room(slug="photos", name="Photos", audience="adults", media_allowed=True)


@pytest.fixture
def member(make_user, photo_room) -> User:
    user = make_user(AgeBand.ADULT, "photo_fan")
    Membership.objects.create(room=photo_room, user=user)
    return user


@pytest.fixture
def other_member(make_user, photo_room) -> User:
    user = make_user(AgeBand.ADULT, "other_fan")
    Membership.objects.create(room=photo_room, user=user)
    return user


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    """Every event fanned out after commit, as (group, payload)."""
    captured: list[tuple[str, dict[str, Any]]] = []

    def capture(group: str, message: dict[str, Any]) -> None:
        if message.get("type") == "chat.event":
            captured.append((group, json.loads(message["text"])))

    def capture_many(messages: list[tuple[str, dict[str, Any]]]) -> None:
        for group, message in messages:
            capture(group, message)

    monkeypatch.setattr(events, "_send_now", capture)
    monkeypatch.setattr(events, "_send_many_now", capture_many)  # room messages, batched
    return captured


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post_image(user: User | None, data: bytes, *, name: str = "photo.jpg", **target: str):
    return client_for(user).post("/api/v1/uploads", {"image": SimpleUploadedFile(name, data), **target})


def upload_and_scan(user: User, data: bytes, capture, **target: str) -> Upload:
    """POST the image, then run the scan task as a worker would, committing its side effects."""
    with capture(execute=False):
        response = post_image(user, data, **target)
    assert response.status_code == 202, response.content
    upload_id = int(response.json()["upload"]["id"])
    with capture(execute=True):
        tasks.scan_upload.apply(args=[upload_id]).get()
    return Upload.objects.get(pk=upload_id)


def accepted_conversation(a: User, b: User) -> Conversation:
    low, high = sorted([a, b], key=lambda u: u.pk)
    return Conversation.objects.create(initiator=a, recipient=b, user_low=low, user_high=high,
                                       state=Conversation.State.ACCEPTED)
