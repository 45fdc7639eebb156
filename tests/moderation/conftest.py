"""Fixtures for the moderation queue: moderators, a posted message, JSON clients."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import AgeBand
from chat import services as chat_services
from chat.models import Membership, Message


class JsonClient:
    def __init__(self, user=None) -> None:
        self.client = Client()
        if user is not None:
            self.client.force_login(user)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(path, data=json.dumps(body or {}), content_type="application/json")

    def get(self, path: str):
        return self.client.get(path)


@pytest.fixture
def api():
    return JsonClient


@pytest.fixture
def moderator(make_user):
    return make_user(AgeBand.ADULT, "alix_v", is_moderator=True)


@pytest.fixture
def moderator2(make_user):
    return make_user(AgeBand.ADULT, "sam_q", is_moderator=True)


@pytest.fixture
def post(db):
    def post(author, room, body: str = "un message ordinaire") -> Message:
        Membership.objects.get_or_create(room=room, user=author)
        result = chat_services.post_room_message(author=author, room=room, body=body)
        return Message.objects.get(pk=int(result.message["id"]))

    return post
