"""The moderation queue on real processes: PostgreSQL, Redis, uvicorn and a Celery worker."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
import websockets

from tests.integration.conftest import HttpUser, adult_birthdate, manage, wait_for, ws_event, ws_request

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def signup(base: str, pseudonym: str) -> tuple[HttpUser, str]:
    user = HttpUser(base)
    status, body = user.call("POST", "/api/v1/accounts/signup",
                             {"pseudonym": pseudonym, "password": PASSWORD, "birthdate": adult_birthdate()})
    assert status == 201, body
    return user, body["user"]["id"]


def moderator(env, base: str, pseudonym: str) -> HttpUser:
    user, _ = signup(base, pseudonym)
    manage(env, "grantrole", pseudonym, "moderator")
    return user


def case_of(mod: HttpUser, case_id: str) -> dict:
    status, body = mod.call("GET", f"/api/v1/moderation/cases/{case_id}")
    assert status == 200, body
    return body["case"]


def shell(env, code: str) -> str:
    out = manage(env, "shell", "--no-imports", "-c", code).strip()
    return out.splitlines()[-1] if out else ""


def test_report_filed_while_the_worker_is_stopped_is_triaged_once_it_starts_and_twice_changes_nothing(
        asgi_servers, service_env, celery_worker):
    (server,) = asgi_servers(1)
    mod = moderator(service_env, server.http, "vera_it")
    _subject, subject_id = signup(server.http, "subject_it")
    reporter, _ = signup(server.http, "reporter_it")
    status, body = reporter.call("POST", "/api/v1/reports", {"target": {"user": subject_id}, "category": "threat",
                                                             "details": "menace", "good_faith": True})
    assert status == 201, body
    report_id = body["report"]["id"]
    cases = mod.call("GET", "/api/v1/moderation/cases?status=open")[1]["cases"]
    (case,) = [c for c in cases if c["subject"]["id"] == subject_id]
    time.sleep(1.0)
    assert case_of(mod, case["id"])["triaged"] is False  # nobody has triaged it: no worker

    celery_worker.start()
    triaged = wait_for(lambda: (c := case_of(mod, case["id"]))["triaged"] and c)
    assert triaged["priority"] > 0 and triaged["sla_due_at"]
    assert triaged["category"] == "threat"

    # Run the same task again through the worker: nothing more changes.
    count_code = ("from moderation.models import AuditEntry;"
                  f"print(AuditEntry.objects.filter(action='case.triaged', target_id='{case['id']}').count())")
    assert shell(service_env, count_code) == "1"
    shell(service_env, f"from moderation.tasks import triage_report; triage_report.delay({report_id})")
    shell(service_env, f"from moderation.tasks import triage_report; triage_report.delay({report_id})")
    time.sleep(3)
    again = case_of(mod, case["id"])
    assert (again["priority"], again["sla_due_at"], again["status"]) == (
        triaged["priority"], triaged["sla_due_at"], triaged["status"])
    assert shell(service_env, count_code) == "1"
    assert "triage_report" in celery_worker.log_path.read_text()


def test_two_moderators_claiming_the_same_case_at_once_exactly_one_gets_it(asgi_servers, service_env):
    first, second = asgi_servers(2)
    mods = [moderator(service_env, first.http, "claim_a"), moderator(service_env, second.http, "claim_b")]
    reporter, _ = signup(first.http, "claim_rep")
    case_ids = []
    for i in range(5):
        _u, uid = signup(first.http, f"claim_subject{i}")
        status, body = reporter.call("POST", "/api/v1/reports", {"target": {"user": uid}, "category": "spam",
                                                                 "good_faith": True})
        assert status == 201
    cases = mods[0].call("GET", "/api/v1/moderation/cases?status=open")[1]["cases"]
    case_ids = [c["id"] for c in cases if c["subject"]["type"] == "user"][:5]
    assert len(case_ids) == 5
    for case_id in case_ids:
        barrier = threading.Barrier(2)
        results: list[int] = [0, 0]

        def claim(n: int) -> None:
            barrier.wait()
            results[n] = mods[n].call("POST", f"/api/v1/moderation/cases/{case_id}/claim")[0]

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200, 409], results
        holder = case_of(mods[0], case_id)["assigned_to"]
        assert holder is not None



def test_journey_report_remove_notice_appeal_reverse(asgi_servers, service_env, celery_worker):
    """A user reports a message → the case appears live for a moderator → the moderator removes
    it → both chat clients see it go → the author gets a notice → appeals → a second moderator
    reverses → the message is back. Two ASGI processes and a worker, everything over the wire."""
    first, second = asgi_servers(2)
    celery_worker.start()
    manage(service_env, "createroom", "--slug", "journey", "--name", "Journey", "--audience", "adults")
    alice, _ = signup(first.http, "alice_journey")
    bob, _ = signup(second.http, "bob_journey")
    carol, _ = signup(second.http, "carol_journey")
    mod1 = moderator(service_env, first.http, "nora_journey")
    mod2 = moderator(service_env, second.http, "omar_journey")

    async def scenario() -> None:
        async with websockets.connect(first.ws, additional_headers=alice.ws_headers()) as a, \
                websockets.connect(second.ws, additional_headers=bob.ws_headers()) as b, \
                websockets.connect(first.ws, additional_headers=mod1.ws_headers()) as m:
            assert (await ws_request(a, {"type": "room.join", "id": "1", "room": "journey"}))["type"] == "ack"
            assert (await ws_request(b, {"type": "room.join", "id": "1", "room": "journey"}))["type"] == "ack"
            sent = await ws_request(a, {"type": "room.send", "id": "2", "room": "journey", "body": "une phrase limite"})
            assert sent["type"] == "ack", sent
            message_id = sent["message"]["id"]
            await ws_event(b, "room.message")

            status, body = carol.call("POST", "/api/v1/reports", {
                "target": {"message": message_id}, "category": "harassment", "good_faith": True})
            assert status == 201, body
            live = await ws_event(m, "moderation.case", where=lambda e: e["case"]["subject"]["id"] == message_id)
            case_id = live["case"]["id"]
            assert live["case"]["triaged"] is True

            assert (await asyncio.to_thread(mod1.call, "POST", f"/api/v1/moderation/cases/{case_id}/claim"))[0] == 200
            status, body = await asyncio.to_thread(
                mod1.call, "POST", f"/api/v1/moderation/cases/{case_id}/decide",
                {"action": "remove_message", "reason_code": "harassment", "note": "journey"})
            assert status == 200, body
            for ws in (a, b):
                removed = await ws_event(ws, "message.removed")
                assert removed == {"type": "message.removed", "room": "journey", "message_id": message_id}
            notice = await ws_event(a, "notice")
            assert notice["action"] == "remove_message" and notice["appealable_until"]
            listed = (await asyncio.to_thread(alice.call, "GET", "/api/v1/notices"))[1]["notices"]
            assert notice["id"] in [n["id"] for n in listed]

            status, body = await asyncio.to_thread(alice.call, "POST", "/api/v1/appeals",
                                                   {"notice": notice["id"], "reason": "C'était ironique."})
            assert status == 201, body
            appeal_id = body["appeal"]["id"]
            same = await asyncio.to_thread(mod1.call, "POST", f"/api/v1/moderation/appeals/{appeal_id}/decide",
                                           {"outcome": "reversed"})
            assert same[0] == 403
            status, body = await asyncio.to_thread(mod2.call, "POST", f"/api/v1/moderation/appeals/{appeal_id}/decide",
                                                   {"outcome": "reversed"})
            assert status == 200, body
            for ws in (a, b):
                back = await ws_event(ws, "room.message", where=lambda e: e["message"]["id"] == message_id)
                assert back["message"]["body"] == "une phrase limite"
            history = await ws_request(b, {"type": "room.history", "id": "9", "room": "journey"})
            assert message_id in [msg["id"] for msg in history["messages"]]

    asyncio.run(scenario())
