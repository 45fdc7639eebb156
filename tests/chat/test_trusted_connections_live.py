"""Trusted connections over the socket and the HTTP API: the frames and events of both sides,
and ending one stops direct messages at once on sockets that are already open."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import AgeBand
from chat import services as chat_services
from chat.models import TrustedConnection

YOUNG, OLDER = AgeBand.YOUNG_TEEN, AgeBand.OLDER_TEEN


def pair_in_a_minors_room(make_user):
    fifteen = make_user(YOUNG, assurance_level="estimated")
    seventeen = make_user(OLDER, assurance_level="estimated")
    room = chat_services.create_room(slug="college", name="Collège", audience="minors")
    for person in (fifteen, seventeen):
        chat_services.join_room(user=person, slug=room.slug)
    return fifteen, seventeen


async def event_of(ws, kind: str) -> dict:
    """The next event of `kind` on `ws` (others, e.g. a first-contact notice, are skipped)."""
    for _ in range(10):
        event = await ws.next_event()
        if event["type"] == kind:
            return event
    raise AssertionError(f"no {kind} event")


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_propose_accept_and_end_over_sockets_stop_direct_messages_at_once(make_user, ws_client):
    fifteen, seventeen = await sync_to_async(pair_in_a_minors_room)(make_user)
    young, older = await ws_client(fifteen), await ws_client(seventeen)

    # Without a connection, no request across bands (the answer of an unknown account).
    refused = await older.request("dm.open", to=str(fifteen.pk), body="salut")
    assert refused["error"]["code"] == "not_found"

    proposed = await older.request("trusted.propose", user=str(fifteen.pk))
    assert proposed["type"] == "ack" and proposed["connection"]["state"] == "proposed"
    connection_id = proposed["connection"]["id"]
    told = await event_of(young, "trusted.proposed")
    assert told["connection"]["with"] == {"id": str(seventeen.pk), "pseudonym": seventeen.pseudonym}
    assert told["connection"]["proposed_by_me"] is False

    listed = await young.request("trusted.list")
    assert [c["id"] for c in listed["connections"]] == [connection_id]
    accepted = await young.request("trusted.accept", connection=connection_id)
    assert accepted["connection"]["state"] == "active"
    assert (await event_of(older, "trusted.accepted"))["connection"]["id"] == connection_id

    opened = await older.request("dm.open", to=str(fifteen.pk), body="salut")
    conversation_id = opened["conversation"]["id"]
    await event_of(young, "dm.request")
    await young.request("dm.accept", conversation=conversation_id)
    sent = await older.request("dm.send", conversation=conversation_id, body="ça va ?")
    assert sent["message"]["status"] == "delivered"

    ended = await young.request("trusted.end", connection=connection_id)
    assert ended["connection"]["state"] == "ended"
    assert (await event_of(older, "trusted.ended"))["connection"]["state"] == "ended"
    closed = await event_of(older, "dm.declined")
    assert closed["conversation"]["id"] == conversation_id and closed["conversation"]["state"] == "closed"
    # The socket opened before the end is refused at its very next message.
    after = await older.request("dm.send", conversation=conversation_id, body="tu es là ?")
    assert after["error"]["code"] == "contact_not_allowed"
    await young.close(), await older.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_bad_frames_get_a_stable_error(make_user, ws_client):
    fifteen, _seventeen = await sync_to_async(pair_in_a_minors_room)(make_user)
    young = await ws_client(fifteen)
    missing = await young.request("trusted.propose")
    assert missing["error"]["code"] == "bad_request" and missing["error"]["field"] == "user"
    unknown = await young.request("trusted.accept", connection="12345")
    assert unknown["error"]["code"] == "not_found"
    await young.close()


def api(client: Client, method: str, path: str, body: dict | None = None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, data, content_type="application/json")


@pytest.mark.django_db
def test_the_http_api_proposes_lists_accepts_and_ends(make_user):
    fifteen, seventeen = pair_in_a_minors_room(make_user)
    young, older = Client(), Client()
    young.force_login(fifteen), older.force_login(seventeen)

    proposed = api(young, "post", "/api/v1/me/trusted", {"user": seventeen.pk})
    assert proposed.status_code == 201
    connection_id = proposed.json()["connection"]["id"]
    listed = older.get("/api/v1/me/trusted").json()["connections"]
    assert [(c["id"], c["state"], c["proposed_by_me"]) for c in listed] == [(connection_id, "proposed", False)]

    accepted = api(older, "post", f"/api/v1/me/trusted/{connection_id}/accept")
    assert accepted.status_code == 200 and accepted.json()["connection"]["state"] == "active"
    assert api(young, "delete", f"/api/v1/me/trusted/{connection_id}").status_code == 204
    assert TrustedConnection.objects.get(pk=connection_id).state == "ended"
    assert young.get("/api/v1/me/trusted").json()["connections"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [({}, "user"), ({"user": ["1"]}, "user"), ({"user": "x" * 30}, "user")])
def test_the_http_api_answers_bad_input_with_a_stable_code(make_user, body, field):
    fifteen, _seventeen = pair_in_a_minors_room(make_user)
    client = Client()
    client.force_login(fifteen)
    answer = api(client, "post", "/api/v1/me/trusted", body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request" and answer.json()["error"]["field"] == field
    assert api(client, "post", "/api/v1/me/trusted/abc/accept").status_code == 404
    assert api(client, "delete", "/api/v1/me/trusted/" + "9" * 30).status_code == 404
    assert Client().get("/api/v1/me/trusted").status_code == 401
