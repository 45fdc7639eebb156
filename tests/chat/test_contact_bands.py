"""Direct messages across age bands: a DM request or reply across bands needs a trusted
connection between the two people (an operator's rule alone opens nothing); an attempt without
one is refused like an account that does not exist and counted (`phare_contact_refused_total`);
conversations opened under the older default are refused at their next message and closed by
`close_forbidden_conversations`, which leaves those a trusted connection holds."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from prometheus_client import REGISTRY

from accounts import services as account_services
from accounts.models import AgeBand, DmPolicy
from accounts.policies import bump_contact_version
from chat import services as chat_services
from chat.models import Conversation
from core.errors import PhareError
from tests.chat.trusted import trusted_pair

pytestmark = pytest.mark.django_db

YOUNG, OLDER, ADULT = AgeBand.YOUNG_TEEN, AgeBand.OLDER_TEEN, AgeBand.ADULT


@pytest.fixture(autouse=True)
def _fresh_matrix():
    # The matrix is kept in process for two seconds: a rule a test wrote (rolled back with
    # its transaction) must not outlive it.
    bump_contact_version()
    yield
    bump_contact_version()


def reachable(band: str, make_user):
    """An account whose DM policy lets anyone the matrix allows write to it (minors' default
    asks for a shared room, which is not what these tests are about)."""
    return make_user(band, dm_policy=DmPolicy.ANYONE_IN_BAND)


def refused_count(from_band: str, to_band: str) -> float:
    labels = {"from_band": str(from_band), "to_band": str(to_band)}
    return REGISTRY.get_sample_value("phare_contact_refused_total", labels) or 0.0


def request_refusal(sender, recipient) -> str | None:
    """The error code of a DM request from `sender` to `recipient`, or None if it was sent."""
    try:
        chat_services.open_conversation(sender=sender, to=recipient.pseudonym, body="salut")
    except PhareError as error:
        return error.code
    return None


def accepted_conversation(initiator, recipient) -> Conversation:
    """A conversation as one opened under the old default would be (rows, no checks)."""
    low, high = sorted([initiator, recipient], key=lambda u: u.pk)
    return Conversation.objects.create(initiator=initiator, recipient=recipient, user_low=low, user_high=high,
                                       state=Conversation.State.ACCEPTED)


def test_a_16_17_year_old_cannot_request_a_13_15_year_old_and_the_attempt_is_counted(make_user):
    older, younger = make_user(OLDER), reachable(YOUNG, make_user)
    before = refused_count(OLDER, YOUNG)
    assert request_refusal(older, younger) == "not_found"
    assert refused_count(OLDER, YOUNG) == before + 1
    assert not Conversation.objects.exists()


def test_the_refusal_across_bands_is_the_answer_for_an_account_that_does_not_exist(make_user):
    older, younger = make_user(OLDER), reachable(YOUNG, make_user)
    with pytest.raises(PhareError) as across:
        chat_services.open_conversation(sender=older, to=younger.pseudonym, body="salut")
    with pytest.raises(PhareError) as nobody:
        chat_services.open_conversation(sender=older, to="nobody_by_that_name", body="salut")
    assert (across.value.code, across.value.extra, across.value.message) == \
        (nobody.value.code, nobody.value.extra, nobody.value.message)


def test_an_adult_cannot_request_a_16_17_year_old_by_default(make_user):
    adult, older = make_user(ADULT), reachable(OLDER, make_user)
    before = refused_count(ADULT, OLDER)
    assert request_refusal(adult, older) == "not_found"
    assert refused_count(ADULT, OLDER) == before + 1


def test_a_younger_teen_cannot_request_an_older_one_either(make_user):
    younger, older = make_user(YOUNG), reachable(OLDER, make_user)
    assert request_refusal(younger, older) == "not_found"


def test_people_of_the_same_band_still_reach_each_other_and_nothing_is_counted(make_user):
    first, second = make_user(OLDER), reachable(OLDER, make_user)
    before = refused_count(OLDER, OLDER)
    assert request_refusal(first, second) is None
    assert refused_count(OLDER, OLDER) == before


def test_a_refusal_for_another_reason_is_not_counted_as_a_band_refusal(make_user):
    first, second = make_user(YOUNG), make_user(YOUNG)
    second.dm_policy = DmPolicy.NOBODY
    second.save()
    before = refused_count(YOUNG, YOUNG)
    assert request_refusal(first, second) == "not_found"
    assert refused_count(YOUNG, YOUNG) == before


def test_an_operator_rule_alone_opens_nothing_a_trusted_connection_does(make_user):
    account_services.set_contact_rule(actor=None, band_a=OLDER, band_b=YOUNG, allowed=True)
    older, younger = make_user(OLDER), reachable(YOUNG, make_user)
    assert request_refusal(older, younger) == "not_found"
    trusted_pair(older, younger)
    assert request_refusal(older, younger) is None


def test_a_reply_in_a_conversation_opened_under_the_old_default_is_refused_and_counted(make_user):
    older, younger = make_user(OLDER), reachable(YOUNG, make_user)
    conversation = accepted_conversation(younger, older)
    before = refused_count(OLDER, YOUNG)
    with pytest.raises(PhareError) as refused:
        chat_services.send_direct_message(sender=older, conversation_id=str(conversation.pk), body="coucou")
    assert refused.value.code == "contact_not_allowed"
    assert refused_count(OLDER, YOUNG) == before + 1


def test_the_command_closes_conversations_the_matrix_no_longer_allows_and_keeps_the_others(make_user, capsys):
    older, younger = make_user(OLDER), reachable(YOUNG, make_user)
    first, second = make_user(YOUNG), make_user(YOUNG)
    across = accepted_conversation(older, younger)
    within = accepted_conversation(first, second)
    with transaction.atomic():
        call_command("close_forbidden_conversations")
    across.refresh_from_db(), within.refresh_from_db()
    assert across.state == Conversation.State.CLOSED
    assert within.state == Conversation.State.ACCEPTED
    assert "1 conversation(s) closed." in capsys.readouterr().out


def test_the_command_leaves_a_pair_a_trusted_connection_holds(make_user):
    older, younger = make_user(OLDER), make_user(YOUNG)
    trusted_pair(older, younger)
    conversation = accepted_conversation(older, younger)
    call_command("close_forbidden_conversations")
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.ACCEPTED
