"""Conflicts of interest are refused: no moderator claims, reads the evidence of or
decides a case they reported or are the subject of, nor decides their own appeal or an appeal
of their own decision (interim measures and reopened cases included). The console and the API
list show such cases as assigned to another moderator, with no controls and no evidence.
"""

from __future__ import annotations

import logging

import pytest

from accounts.models import AgeBand, User
from chat import services as chat_services
from chat.models import Membership, Message
from moderation.services.report import file_report
from moderation.services.triage import triage_flag, triage_report
from moderation.services import notify
from moderation.models import Appeal, Case, Decision, Flag, Notice
from tests.moderation.conftest import JsonClient

pytestmark = pytest.mark.django_db

SECRET = "détail que seul un modérateur sans conflit doit lire"


@pytest.fixture
def mod_a(make_user) -> User:
    return make_user(AgeBand.ADULT, "mod_alix", is_moderator=True)


@pytest.fixture
def mod_b(make_user) -> User:
    return make_user(AgeBand.ADULT, "mod_sam", is_moderator=True)


def _post(author: User, room, body: str = "un message ordinaire") -> Message:
    Membership.objects.get_or_create(room=room, user=author)
    result = chat_services.post_room_message(author=author, room=room, body=body)
    return Message.objects.get(pk=int(result.message["id"]))


def _file(reporter: User, target: dict, category: str = "harassment"):
    report = file_report(reporter=reporter, target=target, category=category, details=SECRET,
                         good_faith=True)
    triage_report(report_id=report.pk)
    return report


def _refused(response) -> bool:
    return response.status_code == 403 and response.json()["error"]["code"] == "conflict_of_interest"


def _decided_and_appealed(make_user, room, author: User, moderator: User, action: str) -> dict:
    """A message of `author` reported, decided by `moderator` (`action`), and appealed."""
    report = _file(make_user(pseudonym=f"{author.pseudonym}_rep"), {"message": str(_post(author, room).pk)})
    JsonClient(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                               {"action": action, "reason_code": "harassment"})
    notice = Notice.objects.get(recipient=author, kind="decision")
    return JsonClient(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "non"}).json()["appeal"]


def _every_handling_is_refused(moderator: User, case: Case) -> None:
    client = JsonClient(moderator)
    decisions = Decision.objects.filter(case=case).count()
    base = f"/api/v1/moderation/cases/{case.pk}"
    assert _refused(client.get(base))
    assert _refused(client.post(f"{base}/claim"))
    assert _refused(client.post(f"{base}/decide", {"action": "dismiss", "reason_code": "no_violation"}))
    bulk = client.post("/api/v1/moderation/cases/bulk", {"cases": [str(case.pk)], "action": "dismiss",
                                                          "reason_code": "no_violation"}).json()
    assert bulk == {"decided": [], "failed": {str(case.pk): "conflict_of_interest"}}
    case.refresh_from_db()
    assert case.status == "open" and case.assigned_to_id is None
    assert Decision.objects.filter(case=case).count() == decisions


def test_a_moderator_cannot_handle_a_case_they_reported(make_user, adults_room, mod_a, mod_b, caplog):
    message = _post(make_user(pseudonym="coi_author"), adults_room)
    report = _file(mod_a, {"message": str(message.pk)})
    with caplog.at_level(logging.WARNING, logger="moderation.services.recuse"):
        _every_handling_is_refused(mod_a, report.case)
    # Each refused attempt leaves a trace for the operators.
    assert sum("conflict of interest" in r.getMessage() for r in caplog.records) >= 4
    # Another moderator handles it.
    decided = JsonClient(mod_b).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                                     {"action": "remove_message", "reason_code": "harassment"})
    assert decided.status_code == 200


def test_a_moderator_cannot_handle_a_case_about_themselves(make_user, adults_room, mod_a, mod_b):
    message = _post(mod_a, adults_room, "rappel des règles")
    report = _file(make_user(pseudonym="coi_accuser"), {"message": str(message.pk)})
    _every_handling_is_refused(mod_a, report.case)
    account = _file(make_user(pseudonym="coi_accuser2"), {"user": str(mod_a.pk)})
    _every_handling_is_refused(mod_a, account.case)
    assert JsonClient(mod_b).post(f"/api/v1/moderation/cases/{account.case_id}/claim").status_code == 200


def test_a_report_filed_after_the_claim_still_bars_the_decision(make_user, adults_room, mod_a):
    message = _post(make_user(pseudonym="coi_late"), adults_room)
    report = _file(make_user(pseudonym="coi_first"), {"message": str(message.pk)})
    client = JsonClient(mod_a)
    assert client.post(f"/api/v1/moderation/cases/{report.case_id}/claim").status_code == 200
    _file(mod_a, {"message": str(message.pk)})
    assert _refused(client.post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                                {"action": "warn", "reason_code": "harassment"}))


def test_nobody_decides_an_appeal_of_their_own_decision(make_user, adults_room, mod_a, mod_b):
    author = make_user(pseudonym="coi_appellant")
    appeal = _decided_and_appealed(make_user, adults_room, author, mod_a, "remove_message")
    own = JsonClient(mod_a).post(f"/api/v1/moderation/appeals/{appeal['id']}/decide", {"outcome": "upheld"})
    # The reason clients already read is kept.
    assert _refused(own) and own.json()["error"]["reason"] == "same_moderator"
    assert Appeal.objects.get(pk=appeal["id"]).status == "pending"
    assert JsonClient(mod_b).post(f"/api/v1/moderation/appeals/{appeal['id']}/decide",
                                  {"outcome": "upheld"}).status_code == 200


def test_a_moderator_cannot_lift_an_interim_measure_against_themselves(mod_a, mod_b, minors_room, make_user):
    # The interim path had no check at all: the subject appealed and decided their own appeal.
    message = Message.objects.create(room=minors_room, author=mod_a, body="…", status=Message.Status.VISIBLE)
    flag = Flag.objects.create(subject=mod_a, subject_id_snapshot=mod_a.pk, text=message.body,
                               message_id_snapshot=message.pk, room_id_snapshot=minors_room.pk, decision="flag",
                               reasons=["sexual_minors"], categories=["sexual_minors"], risk=0.95)
    triage_flag(flag_id=flag.pk)
    notice = Notice.objects.filter(recipient=mod_a, kind="interim").first()
    appeal = JsonClient(mod_a).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "erreur"}).json()["appeal"]
    assert _refused(JsonClient(mod_a).post(f"/api/v1/moderation/appeals/{appeal['id']}/decide",
                                           {"outcome": "reversed"}))
    mod_a.refresh_from_db()
    assert mod_a.is_muted() and Case.objects.get().interim_restricted
    assert JsonClient(mod_b).post(f"/api/v1/moderation/appeals/{appeal['id']}/decide",
                                  {"outcome": "reversed"}).status_code == 200


def test_a_reporting_moderator_cannot_win_by_appealing_a_dismissal(make_user, mod_a, mod_b, adults_room):
    # The attack: mod A reports someone, mod B dismisses it, A appeals as reporter, decides
    # their own appeal (reversed: the case reopens) and then decides the reopened case.
    target = make_user(pseudonym="coi_target")
    report = _file(mod_a, {"user": str(target.pk)})
    JsonClient(mod_b).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                           {"action": "dismiss", "reason_code": "no_violation"})
    notice = Notice.objects.get(recipient=mod_a, kind="report_outcome")
    appeal = JsonClient(mod_a).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "si"}).json()["appeal"]
    assert _refused(JsonClient(mod_a).post(f"/api/v1/moderation/appeals/{appeal['id']}/decide",
                                           {"outcome": "reversed"}))
    # A third moderator reverses it: the case reopens, and neither A (reporter) nor B (whose
    # decision was reversed) may decide it again.
    mod_c = make_user(AgeBand.ADULT, "mod_cleo", is_moderator=True)
    assert JsonClient(mod_c).post(f"/api/v1/moderation/appeals/{appeal['id']}/decide",
                                  {"outcome": "reversed"}).status_code == 200
    case = Case.objects.get(pk=report.case_id)
    assert case.status == "open"
    _every_handling_is_refused(mod_a, case)
    assert _refused(JsonClient(mod_b).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                                           {"action": "dismiss", "reason_code": "no_violation"}))
    target.refresh_from_db()
    assert not target.is_muted()


def test_the_queue_shows_conflicted_cases_as_assigned_to_another_moderator(make_user, adults_room, mod_a, mod_b):
    mine = _file(mod_a, {"message": str(_post(make_user(pseudonym="coi_q1"), adults_room, SECRET).pk)}, "hate")
    about_me = _file(make_user(pseudonym="coi_q2"), {"message": str(_post(mod_a, adults_room, "bonjour").pk)})
    other = _file(make_user(pseudonym="coi_q3"), {"message": str(_post(make_user(pseudonym="coi_q4"),
                                                                      adults_room).pk)})
    listed = {c["id"]: c for c in JsonClient(mod_a).get("/api/v1/moderation/cases").json()["cases"]}
    for case_id in (str(mine.case_id), str(about_me.case_id)):
        assert listed[case_id]["conflict_of_interest"] is True
        assert "subject" not in listed[case_id] and "category" not in listed[case_id]
    assert listed[str(other.case_id)]["conflict_of_interest"] is False
    assert listed[str(other.case_id)]["subject"]["user"]["pseudonym"] == "coi_q4"
    # mod B has no conflict: everything shows.
    assert all(not c["conflict_of_interest"] for c in JsonClient(mod_b).get("/api/v1/moderation/cases").json()["cases"])

    client = JsonClient(mod_a).client
    page = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for case_id in (mine.case_id, about_me.case_id):
        row = page.split(f'data-case="{case_id}"', 1)[1].split("</tr>", 1)[0]
        assert "Assigned to another moderator" in row
        assert 'class="claim"' not in row and 'name="case"' not in row and "/moderation/cases/" not in row
    assert f'value="{other.case_id}"' in page
    assert "Attribué à un autre modérateur" in client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    detail = client.get(f"/moderation/cases/{mine.case_id}/", HTTP_ACCEPT_LANGUAGE="en")
    html = detail.content.decode()
    assert detail.status_code == 403 and "Assigned to another moderator" in html
    assert SECRET not in html and "coi_q1" not in html and 'class="quick-decide"' not in html


def test_the_appeal_list_marks_appeals_a_moderator_may_not_decide(make_user, adults_room, mod_a, mod_b):
    author = make_user(pseudonym="coi_list_author")
    _decided_and_appealed(make_user, adults_room, author, mod_a, "warn")
    assert [a["conflict_of_interest"] for a in JsonClient(mod_a).get("/api/v1/moderation/appeals").json()["appeals"]] \
        == [True]
    assert [a["conflict_of_interest"] for a in JsonClient(mod_b).get("/api/v1/moderation/appeals").json()["appeals"]] \
        == [False]
    page = JsonClient(mod_a).client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    appeals = page.split('id="appeals"', 1)[1]
    assert "Assigned to another moderator" in appeals and 'class="appeal"' not in appeals


def test_live_queue_events_name_the_moderators_with_a_conflict(make_user, adults_room, mod_a, mod_b, monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(notify.events, "send_to_moderators", lambda payload, **_: sent.append(payload))
    _file(mod_a, {"message": str(_post(make_user(pseudonym="coi_live"), adults_room).pk)})
    cases = [event for event in sent if event["type"] == "moderation.case"]
    assert cases and all(event["recused"] == [str(mod_a.pk)] for event in cases)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_moderators_socket_gets_no_live_event_about_a_case_they_are_recused_from(
        make_user, adults_room, ws_client):
    from asgiref.sync import sync_to_async

    subject = await sync_to_async(make_user)(AgeBand.ADULT, "mod_subject_ws", is_moderator=True)
    colleague = await sync_to_async(make_user)(AgeBand.ADULT, "mod_colleague_ws", is_moderator=True)
    reporter = await sync_to_async(make_user)(AgeBand.ADULT, "coi_ws_reporter")
    subject_ws, colleague_ws = await ws_client(subject), await ws_client(colleague)
    await sync_to_async(_file)(reporter, {"user": str(subject.pk)})
    event = await colleague_ws.next_event()
    assert event["type"] == "moderation.case" and event["recused"] == [str(subject.pk)]
    # The case is about them: their own socket hears nothing of it (not even that it exists).
    assert await subject_ws.no_event(timeout=0.5)
