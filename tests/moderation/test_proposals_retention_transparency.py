"""Room proposals, retention, transparency export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AgeBand
from chat.models import Message, Room
from moderation import services
from moderation.models import AuditEntry, Case, Notice

pytestmark = pytest.mark.django_db


def test_room_proposal_stays_invisible_until_approved_and_proposer_is_told(api, make_user, moderator):
    proposer = make_user(pseudonym="proposer1")
    other = make_user(pseudonym="other_adult")
    response = api(proposer).post("/api/v1/rooms/proposals",
                                  {"name": "Randonnée en montagne", "description": "Sorties et conseils",
                                   "audience": "adults"})
    assert response.status_code == 201, response.json()
    slug = response.json()["room"]["slug"]
    assert Room.objects.get(slug=slug).status == "pending"
    assert slug not in [r["slug"] for r in api(other).get("/api/v1/rooms").json()["rooms"]]
    case = Case.objects.get(subject_type="room")
    assert case.category == "room_proposal" and case.subject_user_id == proposer.pk
    assert api(moderator).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                               {"action": "approve_room", "reason_code": "approved"}).status_code == 200
    assert slug in [r["slug"] for r in api(other).get("/api/v1/rooms").json()["rooms"]]
    notice = Notice.objects.get(recipient=proposer)
    assert notice.kind == "room_proposal" and notice.action == "approve_room"


def test_rejected_proposal_stays_invisible_and_the_proposer_may_appeal(api, make_user, moderator):
    proposer = make_user(pseudonym="proposer2")
    slug = api(proposer).post("/api/v1/rooms/proposals", {"name": "Mon coin", "audience": "adults"}).json()["room"]["slug"]
    case = Case.objects.get(subject_type="room")
    api(moderator).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                        {"action": "reject_room", "reason_code": "other"})
    assert Room.objects.get(slug=slug).status == "rejected"
    notice = Notice.objects.get(recipient=proposer)
    assert notice.appealable_until is not None
    assert api(proposer).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "?"}).status_code == 201


def test_room_proposal_name_is_screened_and_audience_must_be_ones_own(api, make_user, monkeypatch):
    from moderation import gate

    monkeypatch.setattr(gate, "screen_name", lambda name, kind: "name_not_allowed" if "interdit" in name else None)
    adult = make_user(pseudonym="proposer3")
    refused = api(adult).post("/api/v1/rooms/proposals", {"name": "salon interdit", "audience": "adults"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "blocked_by_policy"
    wrong = api(adult).post("/api/v1/rooms/proposals", {"name": "Les ados", "audience": "minors"})
    assert wrong.status_code == 400
    assert not Room.objects.filter(status="pending").exists()
    teen = make_user(AgeBand.OLDER_TEEN, "zoe_p")
    assert api(teen).post("/api/v1/rooms/proposals", {"name": "Devoirs de maths", "audience": "minors"}).status_code == 201


def test_retention_purges_old_messages_except_open_cases_and_legal_hold(make_user, adults_room, post, settings):
    settings.PHARE_MESSAGE_RETENTION_DAYS = 30
    author = make_user(pseudonym="old_author")
    old_plain, old_open, old_held, recent = (post(author, adults_room, f"m{i}") for i in range(4))
    Message.objects.filter(pk__in=[old_plain.pk, old_open.pk, old_held.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=40))
    services.file_report(reporter=make_user(pseudonym="ret_rep1"), target={"message": str(old_open.pk)},
                         category="spam", details="", good_faith=True)
    held_report = services.file_report(reporter=make_user(pseudonym="ret_rep2"), target={"message": str(old_held.pk)},
                                       category="threat", details="", good_faith=True)
    held_case = held_report.case
    held_case.status, held_case.legal_hold = "decided", True
    held_case.save()
    assert services.purge_past_retention() == 1
    assert set(Message.objects.values_list("pk", flat=True)) == {old_open.pk, old_held.pk, recent.pk}
    assert AuditEntry.objects.filter(action="retention.purged").exists()


def test_transparency_report_exports_json_and_csv(api, moderator, make_user, adults_room, post, tmp_path):
    message = post(make_user(pseudonym="tr_author"), adults_room)
    report = services.file_report(reporter=make_user(pseudonym="tr_rep"), target={"message": str(message.pk)},
                                  category="hate", details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                        {"action": "remove_message", "reason_code": "hate"})
    today = timezone.now().date()
    out = io.StringIO()
    call_command("transparency_report", "--from", str(today - dt.timedelta(days=1)),
                 "--to", str(today + dt.timedelta(days=1)), stdout=out)
    data = json.loads(out.getvalue())
    assert data["notices_by_category"] == {"hate": 1}
    assert data["reported"] == 1 and data["own_initiative"] == 0
    assert data["human"] == 1 and data["automated"] == 0
    assert data["median_seconds_to_action"] is not None
    prefix = str(tmp_path / "report")
    call_command("transparency_report", "--from", str(today - dt.timedelta(days=1)),
                 "--to", str(today + dt.timedelta(days=1)), "--format", "both", "--out", prefix, stdout=io.StringIO())
    rows = list(csv.reader(open(prefix + ".csv", encoding="utf-8")))
    assert ["notices_by_category", "hate", "1"] in rows
    assert json.loads(open(prefix + ".json", encoding="utf-8").read())["decisions_total"] == 1


def test_transparency_page_for_operators(api, make_user, moderator):
    subject = make_user(pseudonym="page_subject")
    report = services.file_report(reporter=make_user(pseudonym="page_rep"), target={"user": str(subject.pk)},
                                  category="spam", details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide", {"action": "warn", "reason_code": "spam"})
    operator = make_user(pseudonym="camille_o", is_operator=True)
    response = api(operator).get("/moderation/transparency/?days=7")
    assert response.status_code == 200 and b"<meter" in response.content
    assert api(make_user(pseudonym="nobody_t")).get("/moderation/transparency/").status_code == 404


def test_notice_text_follows_the_readers_language(api, moderator, make_user, adults_room, post):
    author = make_user(pseudonym="fr_author")
    message = post(author, adults_room, "texte")
    report = services.file_report(reporter=make_user(pseudonym="fr_rep"), target={"message": str(message.pk)},
                                  category="hate", details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                        {"action": "remove_message", "reason_code": "hate"})
    client = api(author)
    french = client.client.get("/api/v1/notices", HTTP_ACCEPT_LANGUAGE="fr").json()["notices"][0]["text"]
    english = client.client.get("/api/v1/notices", HTTP_ACCEPT_LANGUAGE="en").json()["notices"][0]["text"]
    assert "Décision" in french and french != english
    assert "Ground" in english and "appeal" in english


def test_operator_marks_a_trusted_flagger_in_the_admin_and_it_is_audited(make_user):
    from django.test import Client

    from moderation.models import TrustedFlagger

    operator = make_user(pseudonym="camille_admin", is_operator=True, is_staff=True)
    flagger = make_user(pseudonym="ngo_member")
    client = Client()
    client.force_login(operator)
    response = client.post("/admin/moderation/trustedflagger/add/",
                           {"user": flagger.pk, "organisation": "e-Enfance", "active": "on",
                            "created_at_0": "2026-01-01", "created_at_1": "00:00:00"})
    assert response.status_code == 302, response.content[:2000]
    assert TrustedFlagger.objects.get(user=flagger).organisation == "e-Enfance"
    assert AuditEntry.objects.filter(action="policy.trusted_flagger", target_id=str(flagger.pk)).exists()
