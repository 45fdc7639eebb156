"""Trusted connections across age bands (chat.services.trusted): the only way two people of
different bands talk in private. Both accept, both at the operator's assurance level, never an
adult and anyone under 16; either side ends it, which closes their conversation; moderators
and operators see them, and every step is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import controls
from accounts import services as account_services
from accounts.models import AgeBand, ContactRule, User
from accounts.policies import bump_contact_version
from chat import services as chat_services
from chat.models import Conversation, Membership, TrustedConnection
from core.errors import PhareError
from moderation.models import AuditEntry
from tests.accounts.test_throttling import set_rate

pytestmark = pytest.mark.django_db

YOUNG, OLDER, ADULT = AgeBand.YOUNG_TEEN, AgeBand.OLDER_TEEN, AgeBand.ADULT


@pytest.fixture(autouse=True)
def _fresh_matrix():
    # The matrix is kept in process for two seconds: a rule a test wrote must not outlive it.
    bump_contact_version()
    yield
    bump_contact_version()


@pytest.fixture
def assured(make_user):
    """An account of `band` at the default required level (estimated) unless told otherwise."""
    def make(band: str, level: str = "estimated") -> User:
        return make_user(band, assurance_level=level)
    return make


@pytest.fixture
def minors_room_with(minors_room):
    def join(*people: User) -> None:
        for person in people:
            chat_services.join_room(user=person, slug=minors_room.slug)
    return join


def refusal(call, **kwargs) -> PhareError:
    with pytest.raises(PhareError) as refused:
        call(**kwargs)
    return refused.value


def connect(proposer: User, other: User) -> str:
    proposed = chat_services.propose_trusted_connection(user=proposer, target_id=str(other.pk))
    accepted = chat_services.accept_trusted_connection(user=other, connection_id=proposed["id"])
    assert accepted["state"] == "active"
    return proposed["id"]


def open_and_accept(sender: User, recipient: User) -> str:
    opened = chat_services.open_conversation(sender=sender, to=recipient.pseudonym, body="salut")
    conversation_id = opened["id"]
    chat_services.accept_conversation(user=recipient, conversation_id=conversation_id)
    return conversation_id


def legacy_conversation(a: User, b: User) -> Conversation:
    low, high = sorted([a, b], key=lambda u: u.pk)
    return Conversation.objects.create(initiator=a, recipient=b, user_low=low, user_high=high,
                                       state=Conversation.State.ACCEPTED)


def audit_actions(connection_id: str) -> list[str]:
    return list(AuditEntry.objects.filter(target_type="trusted_connection", target_id=connection_id)
                .order_by("seq").values_list("action", flat=True))


def test_a_15_and_a_17_year_old_with_an_accepted_connection_can_talk_in_private(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(seventeen, fifteen)
    assert chat_services.may_talk(fifteen, seventeen) and chat_services.may_talk(seventeen, fifteen)
    conversation_id = open_and_accept(fifteen, seventeen)
    sent = chat_services.send_direct_message(sender=seventeen, conversation_id=conversation_id, body="coucou")
    assert sent.status == "delivered"
    assert audit_actions(connection_id) == ["trusted.proposed", "trusted.accepted"]


def test_without_a_connection_they_cannot_request_nor_reply(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    assert not chat_services.may_talk(fifteen, seventeen)
    # A request answers as for an account that does not exist (nothing told about bands).
    assert refusal(chat_services.open_conversation, sender=seventeen, to=fifteen.pseudonym, body="salut").code \
        == "not_found"
    conversation = legacy_conversation(seventeen, fifteen)
    assert refusal(chat_services.send_direct_message, sender=fifteen, conversation_id=str(conversation.pk),
                   body="coucou").code == "contact_not_allowed"


def test_a_proposal_that_is_not_yet_accepted_opens_nothing(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    proposed = chat_services.propose_trusted_connection(user=fifteen, target_id=seventeen.pk)
    assert proposed["state"] == "proposed" and proposed["proposed_by_me"]
    assert not chat_services.may_talk(fifteen, seventeen)
    # Only the other person accepts.
    assert refusal(chat_services.accept_trusted_connection, user=fifteen, connection_id=proposed["id"]).code \
        == "conflict"


@pytest.mark.parametrize("low_side", ["proposer", "other"])
def test_one_side_below_the_required_level_cannot_form_one(assured, minors_room_with, low_side):
    declared = assured(YOUNG, level="declared")
    estimated = assured(OLDER)
    minors_room_with(declared, estimated)
    proposer, other = (declared, estimated) if low_side == "proposer" else (estimated, declared)
    refused = refusal(chat_services.propose_trusted_connection, user=proposer, target_id=other.pk)
    assert refused.code == "assurance_required" and refused.extra["min_assurance"] == "estimated"
    assert refused.extra["reason"] == ("trusted_connection" if low_side == "proposer" else "trusted_connection_other")
    assert not TrustedConnection.objects.exists()


def test_the_operators_level_is_read_at_every_step(assured, minors_room_with, settings):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(fifteen, seventeen)
    conversation_id = open_and_accept(fifteen, seventeen)
    settings.PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE = "verified"
    assert not chat_services.may_talk(fifteen, seventeen)
    assert refusal(chat_services.send_direct_message, sender=fifteen, conversation_id=conversation_id,
                   body="toujours là ?").code == "contact_not_allowed"
    # Both verified: the same connection holds again.
    User.objects.filter(pk__in=[fifteen.pk, seventeen.pk]).update(assurance_level="verified")
    assert TrustedConnection.objects.get(pk=connection_id).state == "active"
    assert chat_services.may_talk(User.objects.get(pk=fifteen.pk), User.objects.get(pk=seventeen.pk))


def test_an_acceptance_checks_the_levels_again(assured, minors_room_with, settings):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    proposed = chat_services.propose_trusted_connection(user=fifteen, target_id=seventeen.pk)
    settings.PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE = "verified"
    refused = refusal(chat_services.accept_trusted_connection, user=seventeen, connection_id=proposed["id"])
    assert (refused.code, refused.extra["reason"]) == ("assurance_required", "trusted_connection")
    assert TrustedConnection.objects.get(pk=proposed["id"]).state == "proposed"


def test_an_adult_and_a_14_year_old_can_never_form_one_even_with_a_contact_rule(assured):
    adult, fourteen = assured(ADULT, "verified"), assured(YOUNG, "verified")
    # A rule written around the service (the service refuses it) and a shared room that the
    # audiences never allow, as a corrupted or legacy database might hold them.
    ContactRule.objects.create(band_a=YOUNG, band_b=ADULT, allowed=True)
    bump_contact_version()
    with pytest.raises(PhareError):
        account_services.set_contact_rule(actor=None, band_a=YOUNG, band_b=ADULT, allowed=True)
    # Without anything shared, the adult learns nothing about the id.
    assert refusal(chat_services.propose_trusted_connection, user=adult, target_id=fourteen.pk).code == "not_found"
    room = chat_services.create_room(slug="legacy", name="Legacy", audience="minors")
    Membership.objects.create(room=room, user=adult)
    Membership.objects.create(room=room, user=fourteen)
    for proposer, other in ((adult, fourteen), (fourteen, adult)):
        refused = refusal(chat_services.propose_trusted_connection, user=proposer, target_id=other.pk)
        assert (refused.code, refused.extra) == ("contact_not_allowed", {"reason": "never_allowed"})
    # Even an active row written around the service opens nothing.
    low, high = sorted([adult, fourteen], key=lambda u: u.pk)
    TrustedConnection.objects.create(proposer=adult, user_low=low, user_high=high, state="active")
    assert not chat_services.may_talk(adult, fourteen)
    conversation = legacy_conversation(adult, fourteen)
    assert refusal(chat_services.send_direct_message, sender=adult, conversation_id=str(conversation.pk),
                   body="salut").code == "contact_not_allowed"


def test_a_pair_the_operator_closed_forms_none_and_suspends_those_it_had(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connect(fifteen, seventeen)
    account_services.set_contact_rule(actor=None, band_a=YOUNG, band_b=OLDER, allowed=False)
    assert not chat_services.may_talk(fifteen, seventeen)
    other = assured(OLDER)
    minors_room_with(other)
    refused = refusal(chat_services.propose_trusted_connection, user=fifteen, target_id=other.pk)
    assert (refused.code, refused.extra) == ("contact_not_allowed", {"reason": "pair_closed"})


def test_someone_never_met_or_blocked_is_not_found(assured, minors_room_with):
    fifteen, seventeen, stranger = assured(YOUNG), assured(OLDER), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    for target in (stranger.pk, "999999999", "x", fifteen.pk):
        assert refusal(chat_services.propose_trusted_connection, user=fifteen, target_id=target).code == "not_found"
    controls.block_user(user=seventeen, target_id=fifteen.pk)
    assert refusal(chat_services.propose_trusted_connection, user=fifteen, target_id=seventeen.pk).code \
        == "not_found"


def test_a_declined_proposal_stays_declined_but_the_one_who_declined_may_propose(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    proposed = chat_services.propose_trusted_connection(user=seventeen, target_id=fifteen.pk)
    assert refusal(chat_services.propose_trusted_connection, user=seventeen, target_id=fifteen.pk).extra \
        == {"reason": "pending", "connection": proposed["id"]}
    declined = chat_services.end_trusted_connection(user=fifteen, connection_id=proposed["id"])
    assert declined["state"] == "declined"
    assert audit_actions(proposed["id"]) == ["trusted.proposed", "trusted.declined"]
    assert refusal(chat_services.propose_trusted_connection, user=seventeen, target_id=fifteen.pk).code \
        == "not_found"
    assert chat_services.propose_trusted_connection(user=fifteen, target_id=seventeen.pk)["state"] == "proposed"


def test_proposals_are_rate_limited_by_the_one_table(assured, minors_room_with):
    set_rate("trusted_proposal_account", 1, 86400)
    fifteen, first, second = assured(YOUNG), assured(OLDER), assured(OLDER)
    minors_room_with(fifteen, first, second)
    chat_services.propose_trusted_connection(user=fifteen, target_id=first.pk)
    refused = refusal(chat_services.propose_trusted_connection, user=fifteen, target_id=second.pk)
    assert refused.code == "rate_limited" and refused.extra["reason"] == "trusted_proposal_account"


def test_ending_closes_their_conversation_for_both_and_is_audited(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(fifteen, seventeen)
    conversation_id = open_and_accept(fifteen, seventeen)
    ended = chat_services.end_trusted_connection(user=seventeen, connection_id=connection_id)
    assert ended["state"] == "ended"
    assert Conversation.objects.get(pk=conversation_id).state == Conversation.State.CLOSED
    assert refusal(chat_services.send_direct_message, sender=fifteen, conversation_id=conversation_id,
                   body="?").code == "contact_not_allowed"
    assert audit_actions(connection_id) == ["trusted.proposed", "trusted.accepted", "trusted.ended"]
    entry = AuditEntry.objects.get(target_id=connection_id, action="trusted.ended")
    assert entry.actor_id == seventeen.pk and entry.data["reason"] == "ended"
    # Ending twice changes nothing more; the other side cannot end what is over either.
    assert chat_services.end_trusted_connection(user=fifteen, connection_id=connection_id)["state"] == "ended"
    assert audit_actions(connection_id).count("trusted.ended") == 1
    # A new connection reopens the conversation the policy had closed.
    connect(fifteen, seventeen)
    assert Conversation.objects.get(pk=conversation_id).state == Conversation.State.ACCEPTED


def test_someone_elses_connection_is_not_found(assured, minors_room_with):
    fifteen, seventeen, third = assured(YOUNG), assured(OLDER), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(fifteen, seventeen)
    for call in (chat_services.end_trusted_connection, chat_services.accept_trusted_connection):
        assert refusal(call, user=third, connection_id=connection_id).code == "not_found"
        assert refusal(call, user=third, connection_id="9" * 40).code == "not_found"


def test_a_block_ends_the_connection(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(fifteen, seventeen)
    controls.block_user(user=fifteen, target_id=seventeen.pk)
    connection = TrustedConnection.objects.get(pk=connection_id)
    assert (connection.state, connection.end_reason, connection.ended_by_id) == ("ended", "blocked", fifteen.pk)


def test_a_connection_made_within_a_band_keeps_the_conversation_across_a_birthday(assured, minors_room_with):
    first, second = assured(OLDER), assured(OLDER)
    minors_room_with(first, second)
    connection_id = connect(first, second)
    conversation_id = open_and_accept(first, second)
    first.age_band = ADULT  # eighteen today
    first.save(update_fields=["age_band"])
    chat_services.reapply_contact_matrix(user=first, previous_band=OLDER)
    assert Conversation.objects.get(pk=conversation_id).state == Conversation.State.ACCEPTED
    assert chat_services.send_direct_message(sender=first, conversation_id=conversation_id, body="18 !").status \
        == "delivered"
    assert TrustedConnection.objects.get(pk=connection_id).state == "active"


def test_a_band_change_into_a_never_pair_ends_the_connection(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(fifteen, seventeen)
    conversation_id = open_and_accept(fifteen, seventeen)
    seventeen.age_band = ADULT  # re-assured: in fact an adult
    seventeen.save(update_fields=["age_band"])
    chat_services.reapply_contact_matrix(user=seventeen, previous_band=OLDER)
    connection = TrustedConnection.objects.get(pk=connection_id)
    assert (connection.state, connection.end_reason) == ("ended", "band_change")
    assert Conversation.objects.get(pk=conversation_id).state == Conversation.State.CLOSED


def test_moderators_see_a_users_connections_ended_ones_included(assured, minors_room_with):
    fifteen, seventeen, other = assured(YOUNG), assured(OLDER), assured(OLDER)
    minors_room_with(fifteen, seventeen, other)
    ended_id = connect(fifteen, seventeen)
    chat_services.end_trusted_connection(user=fifteen, connection_id=ended_id)
    connect(other, fifteen)
    seen = chat_services.trusted_connections_for_moderators(user_id=fifteen.pk)
    assert [(row["with"], row["state"], row["proposed_by_subject"]) for row in seen] == [
        (other.pseudonym, "active", False), (seventeen.pseudonym, "ended", True)]
    assert seen[1]["end_reason"] == "ended"


def test_an_operator_ends_one_in_the_admin_through_the_service(assured, minors_room_with, make_user):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(fifteen, seventeen)
    conversation_id = open_and_accept(fifteen, seventeen)
    operator = make_user(ADULT, is_operator=True, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(operator)
    listing = client.get("/admin/chat/trustedconnection/")
    assert listing.status_code == 200 and fifteen.pseudonym in listing.content.decode()
    client.post("/admin/chat/trustedconnection/", {"action": "end_trusted_connections",
                                                   "_selected_action": [connection_id]})
    connection = TrustedConnection.objects.get(pk=connection_id)
    assert (connection.state, connection.end_reason, connection.ended_by_id) == ("ended", "operator", operator.pk)
    assert AuditEntry.objects.get(target_id=connection_id, action="trusted.ended").actor_id == operator.pk
    assert Conversation.objects.get(pk=conversation_id).state == Conversation.State.CLOSED


def test_the_consoles_case_page_lists_the_subjects_connections(assured, minors_room_with, make_user):
    from moderation.services.report import file_report
    from moderation.services.triage import triage_report

    fifteen, friend, reporter = assured(YOUNG), assured(OLDER), assured(OLDER)
    minors_room_with(fifteen, friend, reporter)
    connect(friend, fifteen)
    report = file_report(reporter=reporter, target={"user": str(fifteen.pk)}, category="harassment",
                         details="", good_faith=True)
    triage_report(report_id=report.pk)
    client = Client()
    client.force_login(make_user(ADULT, is_moderator=True))
    page = client.get(f"/moderation/cases/{report.case.pk}/").content.decode()
    section = page[page.index('class="trusted-connections"'):]
    section = section[:section.index("</section>")]
    assert friend.pseudonym in section and 'data-state="active"' in section


def test_blocking_from_the_conversation_ends_the_connection_too(assured, minors_room_with):
    fifteen, seventeen = assured(YOUNG), assured(OLDER)
    minors_room_with(fifteen, seventeen)
    connection_id = connect(fifteen, seventeen)
    conversation_id = open_and_accept(seventeen, fifteen)
    chat_services.block_conversation(user=fifteen, conversation_id=conversation_id)
    connection = TrustedConnection.objects.get(pk=connection_id)
    assert (connection.state, connection.end_reason, connection.ended_by_id) == ("ended", "blocked", fifteen.pk)
