"""Room proposals: invisible until approved, the proposer told, the name screened."""

from __future__ import annotations

import pytest

from accounts.models import AgeBand
from chat.models import Room
from moderation.models import Case, Notice

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
