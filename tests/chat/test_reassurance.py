"""Band changes and re-assurance take effect at once, live sockets included."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts import services as account_services
from accounts.age_assurance.testing import make_issuer_keypair, sign_token, token_claims
from accounts.models import AgeBand
from chat.models import Conversation, Membership
from moderation.models import AuditEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ISSUER = "https://age.example"


def prove_adult(user, private_key) -> dict:
    client = Client()
    client.force_login(user)
    nonce = client.post("/api/v1/age-assurance/nonce").json()["nonce"]
    token = sign_token(token_claims(iss=ISSUER, aud="phare", nonce=nonce, method="verification"), private_key)
    response = client.post("/api/v1/age-assurance/signed-token", data=json.dumps({"token": token}),
                           content_type="application/json")
    return response.json()


async def test_teen_who_proves_adult_leaves_minors_rooms_and_conversations_at_once(
    make_user, minors_room, ws_client, settings
):
    private, public = make_issuer_keypair("ES256")
    settings.PHARE_AGE_TOKEN_ISSUERS = {ISSUER: {"keys": [public]}}
    lea = await sync_to_async(make_user)(AgeBand.OLDER_TEEN)
    tom = await sync_to_async(make_user)(AgeBand.OLDER_TEEN)
    lea_ws, tom_ws = await ws_client(lea), await ws_client(tom)
    await lea_ws.request("room.join", room="college")
    await tom_ws.request("room.join", room="college")
    opened = await tom_ws.request("dm.open", to=str(lea.pk), body="salut")
    assert opened["type"] == "ack"
    assert (await lea_ws.next_event())["type"] == "dm.request"
    await lea_ws.request("dm.accept", conversation=opened["conversation"]["id"])
    await tom_ws.next_event()  # dm.accepted

    answer = await sync_to_async(prove_adult)(lea, private)
    assert answer["user"]["age_band"] == "18+" and answer["user"]["assurance"] == "verified"

    closed = await tom_ws.next_event()
    assert closed["type"] == "dm.declined" and closed["conversation"]["state"] == "closed"
    # Events and frames reach a consumer by two queues; let it take the events first.
    await lea_ws.communicator.receive_nothing(timeout=0.3)
    refused = await lea_ws.request("room.send", room="college", body="still here?")
    assert refused["type"] == "error" and refused["error"]["code"] == "not_member"
    rejoin = await lea_ws.request("room.join", room="college")
    assert rejoin["error"]["code"] == "not_found"
    await tom_ws.request("room.send", room="college", body="hello")
    assert await lea_ws.no_event(0.5) or all(e["type"] != "room.message" for e in lea_ws.events)
    assert not await sync_to_async(Membership.objects.filter(user=lea).exists)()
    state = await sync_to_async(lambda: Conversation.objects.get(pk=opened["conversation"]["id"]).state)()
    assert state == "closed"
    audited = await sync_to_async(lambda: list(AuditEntry.objects.filter(action="age_band_changed").values_list("target_id", flat=True)))()
    assert str(lea.pk) in audited
    await lea_ws.close(), await tom_ws.close()


async def test_minor_age_statement_in_adults_space_restricts_the_author_until_a_stronger_check(
    make_user, adults_room, ws_client, settings
):
    author = await sync_to_async(make_user)(AgeBand.ADULT)
    client = await ws_client(author)
    await client.request("room.join", room="cafe")
    held = await client.request("room.send", room="cafe", body="coucou, j'ai 14 ans")
    assert held["type"] == "ack" and held["message"]["status"] == "held"
    # The author is told why it waits, in their language (French by default).
    assert held["hold"]["code"] == "held_for_review" and held["hold"]["reasons"] == ["minor_age_statement"]
    assert "vérification" in held["hold"]["message"]
    refused = await client.request("room.send", room="cafe", body="bonjour")
    assert refused["error"]["code"] == "assurance_required"
    assert refused["error"]["reason"] == "reassurance" and refused["error"]["min_assurance"] == "estimated"
    dm = await client.request("dm.open", to="someone", body="hi")
    assert dm["error"]["code"] in ("assurance_required", "not_found")

    settings.DEBUG = True  # the demo estimator stands in for a real estimation service

    def pass_estimation():
        http = Client()
        http.force_login(author)
        nonce = http.post("/api/v1/age-assurance/nonce").json()["nonce"]
        return http.post("/api/v1/age-assurance/demo", data=json.dumps({"age_band": "18+", "nonce": nonce}),
                         content_type="application/json")

    response = await sync_to_async(pass_estimation)()
    assert response.status_code == 200
    await client.request("room.join", room="cafe")
    assert (await client.request("room.send", room="cafe", body="bonjour"))["type"] == "ack"
    await client.close()


async def test_birthday_moves_a_teen_out_of_minors_space(make_user, minors_room, ws_client):
    teen = await sync_to_async(make_user)(AgeBand.OLDER_TEEN)
    client = await ws_client(teen)
    await client.request("room.join", room="college")
    changed = await sync_to_async(account_services.refresh_age_band)(user=teen, today=teen.band_until)
    assert changed and teen.age_band == "18+"
    await client.communicator.receive_nothing(timeout=0.3)
    assert (await client.request("room.send", room="college", body="x"))["error"]["code"] == "not_member"
    await client.close()


async def test_room_needing_more_assurance_lists_the_providers_that_satisfy_it(make_user, ws_client, settings):
    from chat import services as chat_services

    private, public = make_issuer_keypair("ES256")
    settings.PHARE_AGE_TOKEN_ISSUERS = {ISSUER: {"keys": [public]}}
    await sync_to_async(chat_services.create_room)(slug="v", name="V", audience="adults", min_assurance="verified")
    client = await ws_client(await sync_to_async(make_user)(AgeBand.ADULT))
    answer = await client.request("room.join", room="v")
    assert answer["error"]["code"] == "assurance_required"
    assert answer["error"]["providers"] == ["signed-token"]
    await client.close()
