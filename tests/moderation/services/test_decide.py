"""The moderator API: 404 for others, claims, decisions and their effects, notices, strikes."""

from __future__ import annotations

import pytest

from accounts.models import AgeBand
from chat.models import Message
from moderation.services.report import file_report
from moderation.services.triage import triage_flag, triage_report
from moderation.models import AuditEntry, Case, Notice, Report, Strike

pytestmark = pytest.mark.django_db


def _case_for_message(make_user, room, post, reporter_name="rep_x", category="harassment"):
    band = AgeBand.OLDER_TEEN if room.audience == "minors" else AgeBand.ADULT
    author = make_user(band, f"auteur_{reporter_name}")
    message = post(author, room, "contenu signalé")
    report = file_report(reporter=make_user(band, reporter_name), target={"message": str(message.pk)},
                         category=category, details="", good_faith=True)
    triage_report(report_id=report.pk)
    return report.case, message, author, report


@pytest.mark.parametrize("method,path", [
    ("get", "/api/v1/moderation/cases"),
    ("get", "/api/v1/moderation/cases/1"),
    ("post", "/api/v1/moderation/cases/1/claim"),
    ("post", "/api/v1/moderation/cases/1/decide"),
    ("get", "/api/v1/moderation/appeals"),
    ("get", "/moderation/"),
])
def test_moderation_endpoints_do_not_exist_for_non_moderators(api, adult, method, path):
    # A signed-out visitor of a console page is led to the log-in instead (tests/moderation/test_console.py).
    clients = (api(adult),) if path.startswith("/moderation/") else (api(), api(adult))
    for client in clients:
        assert getattr(client, method)(path).status_code == 404


def test_queue_lists_open_cases_highest_priority_first(api, moderator, make_user, adults_room, post):
    low, *_ = _case_for_message(make_user, adults_room, post, "rep_low", "spam")
    high, *_ = _case_for_message(make_user, adults_room, post, "rep_high", "threat")
    cases = api(moderator).get("/api/v1/moderation/cases?status=open").json()["cases"]
    assert [c["id"] for c in cases] == [str(high.pk), str(low.pk)]
    assert {"id", "status", "priority", "category", "subject", "sla_due_at", "assigned_to"} <= cases[0].keys()


def test_reading_a_case_shows_evidence_and_is_audited(api, moderator, make_user, adults_room, post):
    case, message, *_ = _case_for_message(make_user, adults_room, post)
    body = api(moderator).get(f"/api/v1/moderation/cases/{case.pk}").json()["case"]
    assert body["reports"][0]["category"] == "harassment"
    assert body["evidence"][0]["data"]["message"]["body"] == "contenu signalé"
    assert body["evidence"][0]["intact"] is True
    assert AuditEntry.objects.filter(action="evidence.read", target_id=str(case.pk), actor=moderator).count() == 1


def test_a_claimed_case_cannot_be_claimed_or_decided_by_another_moderator(
        api, moderator, moderator2, make_user, adults_room, post):
    case, *_ = _case_for_message(make_user, adults_room, post)
    first = api(moderator).post(f"/api/v1/moderation/cases/{case.pk}/claim")
    assert first.status_code == 200 and first.json()["case"]["assigned_to"] == str(moderator.pk)
    second = api(moderator2).post(f"/api/v1/moderation/cases/{case.pk}/claim")
    assert second.status_code == 409 and second.json()["error"]["code"] == "conflict"
    decide = api(moderator2).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                                  {"action": "dismiss", "reason_code": "no_violation"})
    assert decide.status_code == 409


def test_remove_message_takes_it_away_tells_author_and_reporter(api, moderator, make_user, adults_room, post):
    case, message, author, report = _case_for_message(make_user, adults_room, post)
    response = api(moderator).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                                   {"action": "remove_message", "reason_code": "harassment", "note": "insulte"})
    assert response.status_code == 200 and response.json()["case"]["status"] == "decided"
    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED
    notice = api(author).get("/api/v1/notices").json()["notices"][0]
    assert notice["kind"] == "decision" and notice["action"] == "remove_message"
    assert notice["reason_code"] == "harassment" and notice["automated"] is False and notice["appealable_until"]
    assert "contenu signalé" in notice["text"]
    reporter_view = api(report.reporter).get(f"/api/v1/reports/{report.pk}").json()["report"]
    assert reporter_view["status"] == "actioned" and reporter_view["outcome"]["action"] == "remove_message"
    assert Notice.objects.filter(recipient=report.reporter, kind="report_outcome").exists()
    assert AuditEntry.objects.filter(action="case.decided", target_id=str(case.pk)).exists()
    assert Strike.objects.filter(user=author).count() == 1


@pytest.mark.parametrize("action,check", [
    ("mute", lambda u: u.is_muted()),
    ("suspend", lambda u: u.is_suspended() and not u.banned),
    ("ban", lambda u: u.banned),
    ("require_age_assurance", lambda u: u.assurance_level == "declared"),
])
def test_account_actions_apply_to_the_subject(api, moderator, make_user, action, check):
    subject = make_user(pseudonym="subject_acc", assurance_level="verified")
    report = file_report(reporter=make_user(pseudonym="rep_acc"), target={"user": str(subject.pk)},
                         category="harassment", details="", good_faith=True)
    response = api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                                   {"action": action, "reason_code": "harassment", "duration_seconds": 3600})
    assert response.status_code == 200, response.json()
    subject.refresh_from_db()
    assert check(subject)


def test_lock_room_and_restrict_to_verified(api, moderator, make_user, adults_room):
    for action, field, value in (("lock_room", "is_locked", True), ("restrict_to_verified", "min_assurance", "verified")):
        report = file_report(reporter=make_user(pseudonym=f"rep_{action}"), target={"room": "cafe"},
                             category="other", details="", good_faith=True)
        assert api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                                   {"action": action, "reason_code": "other"}).status_code == 200
        adults_room.refresh_from_db()
        assert getattr(adults_room, field) == value


def test_dismiss_restores_an_interim_hidden_message_and_marks_reports_unfounded(
        api, moderator, make_user, adults_room, post):
    author = make_user(pseudonym="innocent")
    message = post(author, adults_room)
    reports = [file_report(reporter=make_user(pseudonym=f"mob{i}"), target={"message": str(message.pk)},
                           category="hate", details="", good_faith=True) for i in range(3)]
    for report in reports:
        triage_report(report_id=report.pk)
    message.refresh_from_db()
    assert message.status == Message.Status.HELD
    api(moderator).post(f"/api/v1/moderation/cases/{reports[0].case_id}/decide",
                        {"action": "dismiss", "reason_code": "no_violation"})
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE
    assert set(Report.objects.values_list("founded", flat=True)) == {False}
    assert not Notice.objects.filter(recipient=author, kind="decision").exists()


def test_invalid_decisions_are_refused(api, moderator, make_user, adults_room, post):
    case, *_ = _case_for_message(make_user, adults_room, post)
    client = api(moderator)
    for body in ({"action": "vaporise", "reason_code": "hate"}, {"action": "warn", "reason_code": "because"},
                 {"action": "mute", "reason_code": "hate", "duration_seconds": -5},
                 {"action": "approve_room", "reason_code": "approved"}):
        assert client.post(f"/api/v1/moderation/cases/{case.pk}/decide", body).status_code == 400
    assert client.post(f"/api/v1/moderation/cases/{case.pk}/decide",
                       {"action": "warn", "reason_code": "harassment"}).status_code == 200
    again = client.post(f"/api/v1/moderation/cases/{case.pk}/decide", {"action": "warn", "reason_code": "harassment"})
    assert again.status_code == 409


def test_repeated_violations_propose_steps_and_never_sanction_by_themselves(api, moderator, make_user, adults_room,
                                                                          post):
    """Until the ladder, the third strike suspended the account as part of the decision. Now
    each strike weighs (harassment: 2) and the step it reaches waits for a moderator on a case
    about the person (tests/moderation/test_strikes.py)."""
    author = make_user(pseudonym="repeat_off")
    client = api(moderator)
    for i in range(4):
        message = post(author, adults_room, f"encore {i}")
        report = file_report(reporter=make_user(pseudonym=f"rep_rep{i}"),
                             target={"message": str(message.pk)}, category="harassment", details="",
                             good_faith=True)
        client.post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                    {"action": "remove_message", "reason_code": "harassment"})
        author.refresh_from_db()
        assert not author.is_suspended() and not author.is_muted()
    notices = list(Notice.objects.filter(recipient=author, kind="decision").order_by("pk"))
    assert [n.scope["active_weight"] for n in notices] == [2, 4, 6, 8]
    assert not any("strike_suspension_until" in n.scope for n in notices)
    step = Case.objects.get(subject_type="user", subject_id=author.pk, status="open").escalations.get()
    assert (step.action, step.threshold, step.status) == ("suspend", 7, "proposed")


def test_bulk_decisions(api, moderator, make_user, adults_room, post):
    a, *_ = _case_for_message(make_user, adults_room, post, "bulk_a", "spam")
    b, *_ = _case_for_message(make_user, adults_room, post, "bulk_b", "spam")
    result = api(moderator).post("/api/v1/moderation/cases/bulk", {
        "cases": [str(a.pk), str(b.pk), "999999"], "action": "remove_message", "reason_code": "spam"}).json()
    assert sorted(result["decided"]) == sorted([str(a.pk), str(b.pk)]) and result["failed"] == {"999999": "not_found"}
    assert Case.objects.filter(status="decided").count() == 2


def test_refer_freezes_evidence_and_writes_a_package_with_manifest(api, moderator, make_user, minors_room, post,
                                                                   settings, tmp_path):
    import hashlib
    import json
    from pathlib import Path

    settings.PHARE_REFERRAL_DIR = str(tmp_path)
    case, message, *_ = _case_for_message(make_user, minors_room, post, "rep_lina", "threat")
    assert api(moderator).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                               {"action": "refer", "reason_code": "threat"}).status_code == 200
    case.refresh_from_db()
    assert case.legal_hold and all(r.evidence.legal_hold for r in case.reports.all())
    folder = Path(case.referrals.get().path)
    manifest = (folder / "MANIFEST.sha256").read_text().splitlines()
    assert len(manifest) >= 2
    for line in manifest:
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert json.loads((folder / "case.json").read_text())["id"] == str(case.pk)
    assert hashlib.sha256((folder / "MANIFEST.sha256").read_bytes()).hexdigest() == case.referrals.get().manifest_sha256


def test_refer_is_only_for_threats_and_child_exploitation(api, moderator, make_user, adults_room, post):
    case, *_ = _case_for_message(make_user, adults_room, post, "rep_spam_ref", "spam")
    assert api(moderator).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                               {"action": "refer", "reason_code": "spam"}).status_code == 400


def test_dismissing_a_gate_held_message_delivers_it_and_removal_reversal_shows_it(
        api, moderator, make_user, adults_room):
    from moderation.models import Flag

    author = make_user(pseudonym="held_author")
    for action in ("dismiss", "remove_message"):
        message = Message.objects.create(room=adults_room, author=author, body=f"retenu {action}",
                                         status=Message.Status.HELD)
        flag = Flag.objects.create(subject=author, subject_id_snapshot=author.pk, text=message.body,
                                   message_id_snapshot=message.pk, room_id_snapshot=adults_room.pk,
                                   decision="hold", reasons=["contact_phone"], categories=["contact_offplatform"],
                                   risk=0.5)
        triage_flag(flag_id=flag.pk)
        case = Case.objects.get(subject_type="message", subject_id=message.pk)
        assert api(moderator).post(f"/api/v1/moderation/cases/{case.pk}/decide",
                                   {"action": action, "reason_code": "no_violation" if action == "dismiss" else "spam"}
                                   ).status_code == 200
        message.refresh_from_db()
        assert message.status == (Message.Status.VISIBLE if action == "dismiss" else Message.Status.REMOVED)
    decision = case.decisions.get()
    assert decision.undo["message_status"] == Message.Status.VISIBLE
    assert case.decisions.get().own_initiative is True


def test_referral_package_includes_the_reported_image_and_holds_it(api, moderator, make_user, settings, tmp_path):
    import hashlib
    from pathlib import Path

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from chat import services as chat_services
    from chat.models import Membership, Upload

    settings.PHARE_REFERRAL_DIR = str(tmp_path / "referrals")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    room = chat_services.create_room(slug="photos", name="Photos", audience="adults", media_allowed=True)
    author = make_user(pseudonym="img_author")
    Membership.objects.create(room=room, user=author)
    name = default_storage.save("delivered/evidence.webp", ContentFile(b"RIFF-fake-image-bytes"))
    upload = Upload.objects.create(uploader=author, room=room, status="cleared", storage_name=name, sha256="0" * 64)
    message = Message.objects.create(room=room, author=author, body="", image=upload)
    report = file_report(reporter=make_user(pseudonym="img_rep"), target={"message": str(message.pk)},
                         category="threat", details="", good_faith=True)
    assert report.evidence.data["message"]["image"]["id"] == str(upload.pk)
    assert api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                               {"action": "refer", "reason_code": "threat"}).status_code == 200
    upload.refresh_from_db()
    assert upload.legal_hold
    folder = Path(Case.objects.get(pk=report.case_id).referrals.get().path)
    image_file = folder / f"image-{upload.pk}-delivered.bin"
    assert image_file.read_bytes() == b"RIFF-fake-image-bytes"
    manifest = (folder / "MANIFEST.sha256").read_text()
    assert f"{hashlib.sha256(b'RIFF-fake-image-bytes').hexdigest()}  {image_file.name}" in manifest


def test_notice_text_follows_the_readers_language(api, moderator, make_user, adults_room, post):
    author = make_user(pseudonym="fr_author")
    message = post(author, adults_room, "texte")
    report = file_report(reporter=make_user(pseudonym="fr_rep"), target={"message": str(message.pk)},
                         category="hate", details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                        {"action": "remove_message", "reason_code": "hate"})
    client = api(author)
    french = client.client.get("/api/v1/notices", HTTP_ACCEPT_LANGUAGE="fr").json()["notices"][0]["text"]
    english = client.client.get("/api/v1/notices", HTTP_ACCEPT_LANGUAGE="en").json()["notices"][0]["text"]
    assert "Décision" in french and french != english
    assert "Ground" in english and "appeal" in english
