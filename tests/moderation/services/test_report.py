"""Filing reports: who may report what, the evidence snapshot, cases per subject."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import AgeBand
from chat.models import Message
from moderation.models import AuditEntry, Case, Report

pytestmark = pytest.mark.django_db


def test_signed_in_user_reports_a_message_and_gets_its_id(api, make_user, adults_room, post):
    author, reporter = make_user(pseudonym="author1"), make_user(pseudonym="reporter1")
    message = post(author, adults_room, "tu es nul")
    response = api(reporter).post("/api/v1/reports", {
        "target": {"message": str(message.pk)}, "category": "harassment", "details": "insulte",
        "good_faith": True})
    assert response.status_code == 201
    body = response.json()["report"]
    report = Report.objects.get(pk=int(body["id"]))
    assert body["status"] == report.status
    assert report.case.subject_type == "message" and report.case.subject_id == message.pk
    assert report.case.subject_user_id == author.pk
    assert AuditEntry.objects.filter(action="report.filed", target_id=str(report.pk)).exists()


@pytest.mark.parametrize("body,code", [
    ({"target": {"user": "1"}, "category": "harassment"}, "bad_request"),  # no good-faith statement
    ({"target": {"user": "1"}, "category": "nonsense", "good_faith": True}, "bad_request"),
    ({"target": {"planet": "1"}, "category": "spam", "good_faith": True}, "bad_request"),
    ({"target": {"message": "999999"}, "category": "spam", "good_faith": True}, "not_found"),
])
def test_invalid_reports_are_refused_with_a_code(api, adult, body, code):
    response = api(adult).post("/api/v1/reports", body)
    assert response.json()["error"]["code"] == code


def test_visitors_may_report_nothing_they_cannot_see_which_today_is_everything(api, make_user, adults_room, post):
    # Visitors see no message, room or person (sign-in form, socket closed with 4001, room
    # list behind sign-in): every report of theirs is refused, the same way whether the
    # target exists or not, and nothing is stored (docs/moderation.md).
    subject = make_user(pseudonym="shady")
    message = post(subject, adults_room, "bonjour")
    visitor = api()
    for body in ({"target": {"user": str(subject.pk)}, "category": "spam"},
                 {"target": {"user": str(subject.pk)}, "category": "child_safety"},
                 {"target": {"message": str(message.pk)}, "category": "child_safety"},
                 {"target": {"message": "987654321"}, "category": "child_safety"},
                 {"target": {"room": "cafe"}, "category": "grooming"}):
        refused = visitor.post("/api/v1/reports", {**body, "good_faith": True, "details": "il demande des photos"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated", body
    assert not Report.objects.exists() and not Case.objects.exists()


def test_reporter_reads_own_report_but_not_others(api, make_user):
    subject, a, b = make_user(pseudonym="subj"), make_user(pseudonym="rep_a"), make_user(pseudonym="rep_b")
    rid = api(a).post("/api/v1/reports", {"target": {"user": str(subject.pk)}, "category": "spam",
                                          "good_faith": True}).json()["report"]["id"]
    mine = api(a).get(f"/api/v1/reports/{rid}")
    assert mine.status_code == 200 and mine.json()["report"]["id"] == rid
    assert api(b).get(f"/api/v1/reports/{rid}").status_code == 404


def test_minor_cannot_report_a_message_in_an_adults_room(api, make_user, adults_room, post):
    message = post(make_user(pseudonym="grownup"), adults_room)
    response = api(make_user(AgeBand.YOUNG_TEEN, "lucas_b")).post(
        "/api/v1/reports", {"target": {"message": str(message.pk)}, "category": "spam", "good_faith": True})
    assert response.status_code == 404


def test_evidence_is_a_snapshot_with_context_and_hash_that_survives_edits_and_deletion(
        api, make_user, adults_room, post):
    author, other, reporter = make_user(pseudonym="auteur1"), make_user(pseudonym="autre1"), make_user(pseudonym="rapport1")
    before = [post(other, adults_room, f"avant {i}") for i in range(7)]
    message = post(author, adults_room, "le message signalé")
    rid = api(reporter).post("/api/v1/reports", {"target": {"message": str(message.pk)}, "category": "harassment",
                                                 "good_faith": True}).json()["report"]["id"]
    evidence = Report.objects.get(pk=rid).evidence
    data = evidence.data
    assert data["message"]["body"] == "le message signalé"
    assert data["author_id"] == str(author.pk) and data["room"] == "cafe"
    assert [m["body"] for m in data["context"]] == [m.body for m in before[-5:]]
    canonical = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert evidence.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    Message.objects.filter(pk=message.pk).update(body="edited")
    Message.objects.filter(pk=message.pk).delete()
    evidence.refresh_from_db()
    assert evidence.data["message"]["body"] == "le message signalé"


def test_reports_about_the_same_subject_join_one_case(api, make_user, adults_room, post):
    message = post(make_user(pseudonym="auteur2"), adults_room)
    ids = []
    for name in ("r1", "r2"):
        ids.append(api(make_user(pseudonym=name + "_rep")).post("/api/v1/reports", {
            "target": {"message": str(message.pk)}, "category": "spam", "good_faith": True}).json()["report"]["id"])
    assert Report.objects.get(pk=ids[0]).case_id == Report.objects.get(pk=ids[1]).case_id
    assert Case.objects.count() == 1


def test_reporting_twice_returns_the_same_report(api, make_user):
    subject, reporter = make_user(pseudonym="sujet2"), make_user(pseudonym="rep_nine")
    client = api(reporter)
    body = {"target": {"user": str(subject.pk)}, "category": "spam", "good_faith": True}
    assert client.post("/api/v1/reports", body).json() == client.post("/api/v1/reports", body).json()
    assert Report.objects.count() == 1




@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_report_frame_is_acknowledged_with_the_report(make_user, adults_room, ws_client):
    from asgiref.sync import sync_to_async

    from chat import services as chat_services

    author = await sync_to_async(make_user)(pseudonym="wsauthor")
    reporter = await sync_to_async(make_user)(pseudonym="wsrep")
    a = await ws_client(author)
    await a.request("room.join", room="cafe")
    sent = await a.request("room.send", room="cafe", body="salut")
    r = await ws_client(reporter)
    ack = await r.request("report", target={"message": sent["message"]["id"]}, category="hate", good_faith=True)
    assert ack["type"] == "ack" and ack["report"]["id"]
    assert await sync_to_async(Report.objects.filter(pk=int(ack["report"]["id"])).exists)()
    bad = await r.request("report", target={"message": sent["message"]["id"]}, category="hate")
    assert bad["type"] == "error" and bad["error"]["code"] == "bad_request"
    del chat_services
    await a.close(), await r.close()


def test_postgresql_refuses_to_change_or_delete_evidence_but_allows_legal_hold(api, make_user):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the freezing trigger is PostgreSQL's")
    subject = make_user(pseudonym="frozen_subject")
    rid = api(make_user(pseudonym="frozen_rep")).post("/api/v1/reports", {
        "target": {"user": str(subject.pk)}, "category": "spam", "good_faith": True}).json()["report"]["id"]
    evidence = Report.objects.get(pk=rid).evidence
    from moderation.models import Evidence

    with pytest.raises(DatabaseError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(data={"forged": True})
    with pytest.raises(DatabaseError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(content_hash="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).delete()
    Evidence.objects.filter(pk=evidence.pk).update(legal_hold=True)
    evidence.refresh_from_db()
    assert evidence.legal_hold and services_intact(evidence)


def services_intact(evidence) -> bool:
    from moderation.evidence import evidence_intact

    return evidence_intact(evidence)
