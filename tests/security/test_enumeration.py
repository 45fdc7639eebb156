"""`dm.open`, mute, unmute, block and unblock answer the same for an account that does not
exist and one that may not be reached: the same frame or response, byte for byte,
after the same number of queries. Otherwise an adult could tell which pseudonyms belong to
minors from how `dm.open` answers, and which ids exist from how mute answers."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.policies import contact_matrix
from accounts import controls
from core.errors import PhareError
from accounts.models import AgeBand, UserBlock
from accounts.services import delete_account
from chat import services as chat_services

NO_SUCH_ID = "987654321"


def _without_id(frame: dict) -> str:
    return json.dumps({k: v for k, v in frame.items() if k != "id"}, sort_keys=True)


def _world(make_user) -> dict:
    """An adult asking, and every kind of account an adult may not reach."""
    asker = make_user(AgeBand.ADULT, "asker_ad")
    gone = make_user(AgeBand.ADULT, "gone_ad")
    gone_id = str(gone.pk)
    delete_account(user=gone)
    blocker = make_user(AgeBand.ADULT, "blocker_ad")
    UserBlock.objects.create(blocker=blocker, blocked=asker)
    blocked = make_user(AgeBand.ADULT, "blocked_ad")
    UserBlock.objects.create(blocker=asker, blocked=blocked)
    return {
        "asker": asker,
        # to: an id, then a pseudonym, for each kind
        "targets": {
            "nonexistent id": NO_SUCH_ID,
            "nonexistent pseudonym": "nobody_here",
            "deleted account (id)": gone_id,
            "deleted account (old pseudonym)": "gone_ad",
            "minor (id)": str(make_user(AgeBand.YOUNG_TEEN, "tom_mi", dm_policy="anyone_in_band").pk),
            "minor (pseudonym)": "tom_mi",
            "older minor": str(make_user(AgeBand.OLDER_TEEN, "lea_mi", dm_policy="anyone_in_band").pk),
            "policy nobody": str(make_user(AgeBand.ADULT, "closed_ad", dm_policy="nobody").pk),
            "policy shared rooms, none shared": str(make_user(AgeBand.ADULT, "shy_ad", dm_policy="shared_rooms").pk),
            "blocks the asker": str(blocker.pk),
            "blocked by the asker": str(blocked.pk),
            "oneself": str(asker.pk),
        },
    }


# --- dm.open ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_dm_open_answers_identically_for_missing_and_unreachable_accounts(make_user, ws_client):
    world = await sync_to_async(_world)(make_user)
    client = await ws_client(world["asker"])
    frames = {kind: await client.request("dm.open", to=to, body="bonjour")
              for kind, to in world["targets"].items()}
    await client.close()
    reference = _without_id(frames["nonexistent id"])
    assert json.loads(reference)["error"]["code"] == "not_found"
    for kind, frame in frames.items():
        assert _without_id(frame) == reference, kind


@pytest.mark.django_db
def test_dm_open_refusals_cost_the_same_queries(make_user):
    world = _world(make_user)
    for to in world["targets"].values():  # the policies are cached on first use
        with pytest.raises(PhareError):
            chat_services.open_conversation(sender=world["asker"], to=to, body="bonjour")
    counts = {}
    for kind, to in world["targets"].items():
        with CaptureQueriesContext(connection) as queries:
            with pytest.raises(PhareError) as refused:
                chat_services.open_conversation(sender=world["asker"], to=to, body="bonjour")
        assert refused.value.code == "not_found", kind
        counts[kind] = len(queries)
    assert len(set(counts.values())) == 1, counts


@pytest.mark.django_db
def test_a_reachable_adult_still_gets_the_request(make_user):
    asker, other = make_user(AgeBand.ADULT, "asker_ad"), make_user(AgeBand.ADULT, "friend_ad")
    conversation = chat_services.open_conversation(sender=asker, to="friend_ad", body="bonjour")
    assert conversation["state"] == "requested" and conversation["with"]["id"] == str(other.pk)


@pytest.mark.django_db
def test_a_too_long_request_is_refused_alike_for_everyone(make_user):
    """The length check comes before the lookup, so it cannot tell reachable from not."""
    world = _world(make_user)
    for kind, to in world["targets"].items():
        with pytest.raises(PhareError) as refused:
            chat_services.open_conversation(sender=world["asker"], to=to, body="x" * 501)
        assert refused.value.code == "too_large", kind


# --- mute, unmute, block, unblock --------------------------------------------------------------

def _api(user) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _control_targets(make_user) -> tuple:
    asker = make_user(AgeBand.ADULT, "asker_ad")
    gone = make_user(AgeBand.ADULT, "gone_ad")
    gone_id = str(gone.pk)
    delete_account(user=gone)
    targets = {
        "nonexistent": NO_SUCH_ID,
        "deleted": gone_id,
        "minor": str(make_user(AgeBand.YOUNG_TEEN, "tom_mi").pk),
        "older minor": str(make_user(AgeBand.OLDER_TEEN, "lea_mi").pk),
    }
    return asker, targets


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["mutes", "blocks"])
def test_muting_or_blocking_answers_identically_over_http(make_user, kind):
    asker, targets = _control_targets(make_user)
    answers = {}
    for name, target in targets.items():
        response = _api(asker).post(f"/api/v1/me/{kind}", json.dumps({"user": target}),
                                    content_type="application/json")
        answers[name] = (response.status_code, response.content)
    assert answers["nonexistent"][0] == 404
    assert len(set(answers.values())) == 1, answers
    adult = make_user(AgeBand.ADULT, "other_ad")
    created = _api(asker).post(f"/api/v1/me/{kind}", json.dumps({"user": str(adult.pk)}),
                               content_type="application/json")
    assert created.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["mutes", "blocks"])
def test_unmuting_or_unblocking_answers_identically_over_http(make_user, kind):
    asker, targets = _control_targets(make_user)
    targets["adult never muted"] = str(make_user(AgeBand.ADULT, "other_ad").pk)
    answers = {}
    for name, target in targets.items():
        response = _api(asker).delete(f"/api/v1/me/{kind}/{target}")
        answers[name] = (response.status_code, response.content)
    assert answers["nonexistent"][0] == 404
    assert len(set(answers.values())) == 1, answers


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_user_controls_answer_identically_over_the_socket(make_user, ws_client):
    asker, targets = await sync_to_async(_control_targets)(make_user)
    client = await ws_client(asker)
    for frame_type in ("user.mute", "user.unmute", "user.block", "user.unblock"):
        frames = {name: _without_id(await client.request(frame_type, user=target))
                  for name, target in targets.items()}
        assert json.loads(frames["nonexistent"])["error"]["code"] == "not_found", frame_type
        assert len(set(frames.values())) == 1, (frame_type, frames)
    await client.close()


@pytest.mark.django_db
def test_user_control_refusals_cost_the_same_queries(make_user):
    asker, targets = _control_targets(make_user)
    targets["adult never muted"] = str(make_user(AgeBand.ADULT, "other_ad").pk)
    # The contact matrix is loaded once per process (and forgotten between tests): loading it
    # is not what is compared here.
    contact_matrix()
    for action in (controls.mute_user, controls.block_user, controls.unmute_user, controls.unblock_user):
        counts = {}
        for name, target in targets.items():
            if name == "adult never muted" and action in (controls.mute_user, controls.block_user):
                continue  # that one succeeds
            with CaptureQueriesContext(connection) as queries:
                with pytest.raises(PhareError) as refused:
                    action(user=asker, target_id=target)
            assert refused.value.code == "not_found", (action.__name__, name)
            counts[name] = len(queries)
        assert len(set(counts.values())) == 1, (action.__name__, counts)


@pytest.mark.django_db
def test_unmuting_a_deleted_account_one_had_muted_still_works(make_user):
    asker, other = make_user(AgeBand.ADULT, "asker_ad"), make_user(AgeBand.ADULT, "other_ad")
    controls.mute_user(user=asker, target_id=other.pk)
    delete_account(user=other)
    controls.unmute_user(user=asker, target_id=other.pk)
    assert controls.list_mutes(user=asker) == []
