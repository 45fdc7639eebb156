"""The operator commands around the gate: `screen` and `screen_dry_run`."""

import io
import json

import pytest
from django.core.management import call_command

from accounts.models import AgeBand
from chat.models import Message
from moderation.gate import bump_policy_version
from moderation.models import ScreeningTerm


def run_screen(lines: list[str], *args: str) -> list[dict]:
    out = io.StringIO()
    stdin = io.StringIO("\n".join(lines) + "\n")
    import sys

    old, sys.stdin = sys.stdin, stdin
    try:
        call_command("screen", *args, stdout=out)
    finally:
        sys.stdin = old
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_screen_prints_one_verdict_per_line_with_the_protocol_shape():
    results = run_screen(
        ['{"text": "ajoute-moi sur snap : lea_2010"}', '{"text": "bonne soirée"}'], "--audience", "minors"
    )
    assert results[0]["decision"] == "block" and "contact_handle" in results[0]["reasons"]
    assert results[1] == {"decision": "allow", "reasons": [], "categories": [], "risk": 0.0}
    for result in results:
        assert set(result) >= {"decision", "reasons", "categories", "risk"}
        assert 0.0 <= result["risk"] <= 1.0


@pytest.mark.django_db
def test_screen_scores_a_conversation_as_a_whole():
    grooming = ["tu es trop mignonne", "t'as quel âge ?", "tu es seule chez toi ?",
                "ne dis rien à tes parents", "envoie une photo de toi"]
    whole = run_screen([json.dumps({"messages": grooming})], "--audience", "minors", "--context", "dm")[0]
    singles = run_screen([json.dumps({"text": m}) for m in grooming], "--audience", "minors", "--context", "dm")
    assert whole["decision"] == "hold" and "grooming_risk" in whole["reasons"]
    assert whole["risk"] > max(s["risk"] for s in singles)


@pytest.mark.django_db
def test_screen_answers_bad_lines_with_an_error_and_goes_on():
    results = run_screen(["not json", '{"text": 5}', '{"text": "salut"}'])
    assert results[0]["error"]["code"] == "bad_request"
    assert results[1]["error"]["code"] == "bad_request"
    assert results[2]["decision"] == "allow"


@pytest.mark.django_db
def test_operator_terms_apply_after_a_policy_change_and_observe_only_changes_nothing():
    assert run_screen(['{"text": "achète du zorglub"}'])[0]["decision"] == "allow"
    ScreeningTerm.objects.create(term="zorglub", category="drugs", observe_only=True)
    bump_policy_version()
    observed = run_screen(['{"text": "achète du zorglub"}'])[0]
    assert observed["decision"] == "allow" and observed.get("observed")
    ScreeningTerm.objects.filter(term="zorglub").update(observe_only=False)
    bump_policy_version()
    assert run_screen(['{"text": "achète du zorglub"}'])[0]["decision"] != "allow"


@pytest.mark.django_db
def test_dry_run_over_stored_messages_reports_what_an_observe_only_rule_would_change(adult, adults_room):
    for body in ("du zorglub pas cher", "bonjour", "zorglub ce soir ?"):
        Message.objects.create(room=adults_room, author=adult, body=body)
    ScreeningTerm.objects.create(term="zorglub", category="drugs", observe_only=True)
    bump_policy_version()
    out = io.StringIO()
    call_command("screen_dry_run", "--audience", "adults", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["messages"] == 3
    assert summary["would_change"] == 2
    assert sum(summary["transitions"].values()) == 2
    assert Message.objects.filter(status="visible").count() == 3  # nothing changed


@pytest.mark.django_db
def test_observe_only_hits_on_live_traffic_are_counted(adult, adults_room):
    from moderation import gate

    ScreeningTerm.objects.create(term="zorglub", category="drugs", observe_only=True)
    bump_policy_version()
    for text in ("du zorglub ?", "zorglub zorglub", "rien à voir"):
        verdict = gate.screen_message(text=text, audience="adults", context="room", conversation_accepted=True)
        assert verdict.decision == "allow"
    out = io.StringIO()
    call_command("screen_observed", stdout=out)
    counts = json.loads(out.getvalue())["observed"]
    assert counts == {"adults:room:drugs": 2}
