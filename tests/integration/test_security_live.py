"""The security rules (docs/security.md) tried as an attacker would, against the real topology: PostgreSQL, Redis, a Celery
worker and two ASGI processes. The unit tests in tests/security cover each rule; these check
that the rules hold end to end, where the triage runs in the worker and the people sit on
different processes."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.integration.conftest import HttpUser, manage, ws_request
from tests.integration.test_moderation_queue import PASSWORD, signup, wait_for

pytestmark = pytest.mark.integration


def establish(env: dict[str, str], *pseudonyms: str) -> None:
    """Accounts a month old (reports of brand-new accounts carry no weight)."""
    names = ", ".join(repr(name) for name in pseudonyms)
    manage(env, "shell", "-c", "import datetime as dt; from django.utils import timezone; "
           "from accounts.models import User; "
           f"User.objects.filter(pseudonym__in=[{names}])"
           ".update(date_joined=timezone.now() - dt.timedelta(days=30))")


def post_in_lobby(user: HttpUser, server, body: str) -> dict:
    async def scenario() -> dict:
        async with websockets.connect(server.ws, additional_headers=user.ws_headers()) as ws:
            joined = await ws_request(ws, {"type": "room.join", "id": "j", "room": "lobby_live"})
            assert joined["type"] == "ack", joined
            return await ws_request(ws, {"type": "room.send", "id": "s", "room": "lobby_live", "body": body})

    return asyncio.run(scenario())


def join_lobby(user: HttpUser, server) -> None:
    async def scenario() -> None:
        async with websockets.connect(server.ws, additional_headers=user.ws_headers()) as ws:
            assert (await ws_request(ws, {"type": "room.join", "id": "j", "room": "lobby_live"}))["type"] == "ack"

    asyncio.run(scenario())


def report(user: HttpUser, target: dict, category: str = "harassment") -> tuple[int, dict]:
    return user.call("POST", "/api/v1/reports", {"target": target, "category": category,
                                                 "details": "", "good_faith": True})


def test_reports_never_silence_anyone_on_the_real_topology(asgi_servers, service_env, celery_worker):
    first, second = asgi_servers(2)
    celery_worker.start()
    manage(service_env, "createroom", "--slug", "lobby_live", "--name", "Lobby live", "--audience", "adults")
    mod, _ = signup(first.http, "vera_live")
    manage(service_env, "grantrole", "vera_live", "moderator")
    target, target_id = signup(first.http, "target_live")
    establish(service_env, "target_live", "vera_live")
    posted = post_in_lobby(target, first, "je ne suis pas d'accord avec vous")
    assert posted["type"] == "ack", posted
    message_id = posted["message"]["id"]

    # Two fresh browsers, not signed in: nothing they send is taken, whatever the id.
    for base in (first.http, second.http):
        visitor = HttpUser(base)
        for target_ref in ({"user": target_id}, {"message": message_id}, {"user": "999999"}):
            status, body = report(visitor, target_ref, "child_safety")
            assert (status, body["error"]["code"]) == (401, "not_authenticated"), body

    # Three brand-new accounts, on the other process, report the message: a case, no measure.
    for name in ("mob_a_live", "mob_b_live", "mob_c_live"):
        reporter, _ = signup(second.http, name)
        join_lobby(reporter, second)
        status, body = report(reporter, {"message": message_id}, "child_safety")
        assert status == 201, body

    def triaged_case() -> dict | None:
        cases = mod.call("GET", "/api/v1/moderation/cases?status=open")[1]["cases"]
        found = [c for c in cases if c.get("subject", {}).get("id") == message_id or
                 str(c.get("subject_id", "")) == message_id]
        return found[0] if found and found[0]["triaged"] else None

    case = wait_for(triaged_case)
    # Child safety is urgent whoever reports it: the top of the queue, not a sanction.
    assert case["priority"] >= 120, case
    assert case["interim"] == {"hidden": False, "restricted": False}, case
    # The reported author still speaks, from either process.
    elsewhere = HttpUser(second.http)
    assert elsewhere.call("POST", "/api/v1/accounts/login", {"pseudonym": "target_live", "password": PASSWORD})[0] == 200
    again = post_in_lobby(elsewhere, second, "toujours là")
    assert again["type"] == "ack" and again["message"]["status"] == "delivered", again


def test_a_moderator_cannot_decide_a_case_about_themselves_on_the_real_topology(asgi_servers, service_env):
    first, second = asgi_servers(2)
    vera, _ = signup(first.http, "vera2_live")
    otto, otto_id = signup(second.http, "otto_live")
    manage(service_env, "grantrole", "vera2_live", "moderator")
    manage(service_env, "grantrole", "otto_live", "moderator")
    reporter, _ = signup(first.http, "rita_live")
    establish(service_env, "otto_live", "rita_live")
    status, body = report(reporter, {"user": otto_id}, "harassment")
    assert status == 201, body

    cases = otto.call("GET", "/api/v1/moderation/cases?status=open")[1]["cases"]
    (masked,) = [c for c in cases if c.get("conflict_of_interest")]
    assert "subject" not in masked  # shown as assigned to another moderator, nothing more
    status, body = otto.call("POST", f"/api/v1/moderation/cases/{masked['id']}/claim")
    assert (status, body["error"]["code"]) == (403, "conflict_of_interest"), body
    status, body = otto.call("POST", f"/api/v1/moderation/cases/{masked['id']}/decide",
                             {"action": "dismiss", "reason_code": "no_violation"})
    assert status == 403, body
    # Another moderator, on the other process, takes it.
    assert vera.call("POST", f"/api/v1/moderation/cases/{masked['id']}/claim")[0] == 200
