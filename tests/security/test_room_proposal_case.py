"""A moderator deciding a room proposal sees the proposed name and description, escaped, with
the safety gate's screening of each, in the API's case and the console's case page.
"""

from __future__ import annotations

import pytest

from accounts.models import AgeBand
from chat.models import Room
from moderation import gate
from moderation.models import Case, ScreeningTerm
from tests.moderation.conftest import JsonClient

pytestmark = pytest.mark.django_db

NAME = "Jardin <em>partagé</em>"
DESCRIPTION = '<script>alert("x")</script><img src=x onerror=alert(1)> Graines et boutures'


@pytest.fixture
def proposal(make_user):
    proposer = make_user(AgeBand.ADULT, "green_thumb")
    response = JsonClient(proposer).post("/api/v1/rooms/proposals",
                                         {"name": NAME, "description": DESCRIPTION, "audience": "adults"})
    assert response.status_code == 201, response.json()
    return Case.objects.get(subject_type="room", category="room_proposal")


@pytest.fixture
def operator_term(proposal):
    """An operator adds a term after the proposal; the gate reloads (and again once removed,
    so that the compiled policy does not outlive the test)."""
    ScreeningTerm.objects.create(term="boutures", category="hate")
    gate.bump_policy_version()
    yield
    ScreeningTerm.objects.all().delete()
    gate.bump_policy_version()


@pytest.fixture
def moderator(make_user):
    return make_user(AgeBand.ADULT, "mod_rosa", is_moderator=True)


def test_the_api_case_carries_the_proposed_name_description_and_screening(proposal, moderator):
    case = JsonClient(moderator).get(f"/api/v1/moderation/cases/{proposal.pk}").json()["case"]
    room = case["room"]
    assert room["name"] == NAME and room["description"] == DESCRIPTION
    assert room["audience"] == "adults" and room["status"] == "pending"
    assert room["screening"] == {"name": {"verdict": "allowed", "reason": None},
                                 "description": {"verdict": "allowed", "reason": None}}


def test_the_screening_is_the_gates_current_verdict(proposal, operator_term, moderator):
    # The moderator sees what the gate says now, with the operator's latest lists.
    room = JsonClient(moderator).get(f"/api/v1/moderation/cases/{proposal.pk}").json()["case"]["room"]
    assert room["screening"]["name"] == {"verdict": "allowed", "reason": None}
    assert room["screening"]["description"]["verdict"] == "refused"
    assert room["screening"]["description"]["reason"] == gate.screen_name(DESCRIPTION, "room_name")


def test_the_console_case_page_shows_them_escaped(proposal, operator_term, moderator):
    client = JsonClient(moderator).client
    html = client.get(f"/moderation/cases/{proposal.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = html.split('class="room-proposal"', 1)[1].split("</section>", 1)[0]
    assert "Jardin &lt;em&gt;partagé&lt;/em&gt;" in section
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; Graines" in section
    assert DESCRIPTION not in html and "<em>partagé" not in html
    assert "allowed by the safety gate" in section and "refused by the safety gate" in section
    # The refusal's reason by its title on the terms page, not its code.
    from ops.terms import DESCRIPTIONS
    assert str(DESCRIPTIONS[gate.screen_name(DESCRIPTION, "room_name")][0]) in section
    assert 'data-action="approve_room"' in html and 'data-action="reject_room"' in html
    french = client.get(f"/moderation/cases/{proposal.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Salon proposé" in french


def test_the_proposal_can_be_decided_from_what_was_shown(proposal, moderator):
    response = JsonClient(moderator).post(f"/api/v1/moderation/cases/{proposal.pk}/decide",
                                          {"action": "approve_room", "reason_code": "approved"})
    assert response.status_code == 200
    assert response.json()["case"]["room"]["status"] == "approved"
    assert Room.objects.get(pk=proposal.subject_id).status == "approved"


def test_other_cases_carry_no_room(make_user, moderator):
    subject = make_user(pseudonym="plain_subject")
    from moderation.services.report import file_report

    report = file_report(reporter=make_user(pseudonym="plain_rep"), target={"user": str(subject.pk)},
                         category="spam", details="", good_faith=True)
    case = JsonClient(moderator).get(f"/api/v1/moderation/cases/{report.case_id}").json()["case"]
    assert case["room"] is None
