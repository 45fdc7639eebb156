"""GET /api/v1/me/export: what Phare holds about you, and only you."""

import json

import pytest
from django.test import Client

from accounts.models import ConnectionLog
from chat import services as chat_services

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_export_holds_the_account_its_content_and_controls_but_nobody_elses(make_user, adults_room):
    alice, bob = make_user(pseudonym="alice"), make_user(pseudonym="bob")
    chat_services.join_room(user=alice, slug="cafe")
    chat_services.post_room_message(author=alice, room=adults_room, body="le message d'alice")
    chat_services.post_room_message(author=bob, room=adults_room, body="le message de bob")
    chat_services.open_conversation(sender=bob, to="alice", body="bonjour alice")
    client = Client()
    client.force_login(alice)
    client.post("/api/v1/me/mutes", data=json.dumps({"user": str(bob.pk)}), content_type="application/json")

    response = client.get("/api/v1/me/export")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="phare-export.json"'
    data = json.loads(response.content)
    assert data["account"]["pseudonym"] == "alice" and data["account"]["age_band"] == "18+"
    assert [m["body"] for m in data["messages"]] == ["le message d'alice"]
    assert [r["room"] for r in data["rooms"]] == ["cafe"]
    assert [c["with"]["pseudonym"] for c in data["conversations"]] == ["bob"]
    assert [m["user"]["pseudonym"] for m in data["mutes"]] == ["bob"]
    assert data["connection_records"] and all(set(r) == {"kind", "at"} for r in data["connection_records"])
    assert {r["why"] for r in data["retained_after_deletion"]} == {"legal_retention", "open_cases"}
    raw = response.content.decode()
    assert "le message de bob" not in raw and "bonjour alice" not in raw
    assert "127.0.0.1" not in raw


def test_export_needs_a_session():
    assert Client().get("/api/v1/me/export").status_code == 401


def test_deleting_the_account_keeps_connection_records_as_documented(make_user):
    alice = make_user(pseudonym="alice")
    client = Client()
    client.force_login(alice)
    assert client.delete("/api/v1/me").status_code == 204
    assert ConnectionLog.objects.filter(user_id_snapshot=alice.pk).exists()
