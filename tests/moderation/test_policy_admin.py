"""Operators edit term lists in the admin; every change is audited and takes effect."""

import pytest
from django.test import Client

from moderation import gate
from moderation.models import AuditEntry, ScreeningTerm

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(make_user):
    from accounts.services import grant_role

    user = make_user(pseudonym="op_erin")
    grant_role(pseudonym="op_erin", role="operator")
    client = Client()
    client.force_login(user)
    return client


def test_adding_a_term_in_the_admin_is_audited_and_applies(operator_client):
    assert gate.screen_message(text="du zorglub", audience="adults", context="room",
                               conversation_accepted=True).decision == "allow"
    response = operator_client.post("/admin/moderation/screeningterm/add/", {
        "term": "zorglub", "category": "drugs", "kind": "exact", "lang": "any", "enabled": "on",
    })
    assert response.status_code == 302, response.content[:500]
    term = ScreeningTerm.objects.get(term="zorglub")
    entry = AuditEntry.objects.filter(action="policy_added", target_id=str(term.pk)).get()
    assert entry.actor_label == "op_erin"
    verdict = gate.screen_message(text="du zorglub", audience="adults", context="room", conversation_accepted=True)
    assert verdict.decision != "allow"


def test_a_broken_regex_is_refused_at_the_form(operator_client):
    response = operator_client.post("/admin/moderation/screeningterm/add/", {
        "term": "(unclosed", "category": "drugs", "kind": "regex", "lang": "any", "enabled": "on",
    })
    assert response.status_code == 200
    assert not ScreeningTerm.objects.filter(term="(unclosed").exists()


def test_deleting_a_term_is_audited(operator_client):
    term = ScreeningTerm.objects.create(term="zorglub", category="drugs")
    response = operator_client.post(f"/admin/moderation/screeningterm/{term.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="policy_removed", target_id=str(term.pk)).exists()


def policy_form_defaults() -> dict[str, str]:
    """The admin form of the screening policy filled with every field's default."""
    from moderation.models import ScreeningPolicy

    return {name: str(ScreeningPolicy._meta.get_field(name).default) for name in ScreeningPolicy.CONFIG_FIELDS}


def test_operator_thresholds_change_the_decisions_and_are_audited(operator_client):
    messages = ["tu es trop mignonne", "t'as quel âge ?", "tu es seule chez toi ?"]

    def conversation_decision() -> str:
        from moderation.policy import ScreeningContext, score_conversation

        return score_conversation(messages, snapshot=gate.current_snapshot(),
                                  context=ScreeningContext(audience="minors", context="dm")).decision

    assert conversation_decision() in ("allow", "flag")
    form = {**policy_form_defaults(), "grooming_threshold": "0.3", "grooming_flag_threshold": "0.2"}
    response = operator_client.post("/admin/moderation/screeningpolicy/add/", form)
    assert response.status_code == 302, response.content[:800]
    assert AuditEntry.objects.filter(action="policy_added", target_type="screeningpolicy").exists()
    assert conversation_decision() == "hold"


def test_thresholds_out_of_order_are_refused(operator_client):
    from moderation.models import ScreeningPolicy

    response = operator_client.post("/admin/moderation/screeningpolicy/add/", {
        **policy_form_defaults(), "grooming_threshold": "0.3", "grooming_flag_threshold": "0.6"})
    assert response.status_code == 200
    assert not ScreeningPolicy.objects.exists()
