"""Observe-only rules never change a decision; dry runs report what a policy change would do."""

from __future__ import annotations

from moderation.policy import (
    ScreeningContext,
    TermEntry,
    build_snapshot,
    dry_run,
    enforcing_observed,
    screen_text,
)

ROOM = ScreeningContext(audience="minors", context="room")
BASE = [TermEntry("salope", "harassment")]


def test_observe_only_term_reports_without_deciding() -> None:
    snapshot = build_snapshot(terms=[*BASE, TermEntry("crush", "sexual", observe_only=True)])
    verdict = screen_text("j'ai un crush", snapshot=snapshot, context=ROOM)
    assert verdict.decision == "allow"
    assert verdict.reasons == ()
    assert verdict.observed == ("sexual_content",)


def test_observe_only_does_not_hide_an_enforced_reason() -> None:
    snapshot = build_snapshot(terms=[*BASE, TermEntry("crush", "sexual", observe_only=True)])
    verdict = screen_text("crush salope", snapshot=snapshot, context=ROOM)
    assert verdict.decision == "block"  # an insult in a minors' room (minors_harassment_decision)
    assert verdict.reasons == ("harassment",)
    assert verdict.observed == ("sexual_content",)


def test_observe_only_reports_even_rules_that_would_allow() -> None:
    snapshot = build_snapshot(terms=[TermEntry("zut", "profanity", observe_only=True)])
    verdict = screen_text("zut alors", snapshot=snapshot, context=ROOM)
    assert (verdict.decision, verdict.reasons, verdict.observed) == ("allow", (), ("profanity",))


def test_enforcing_observed_turns_the_rule_on() -> None:
    snapshot = build_snapshot(terms=[*BASE, TermEntry("crush", "sexual", observe_only=True)])
    enforced = enforcing_observed(snapshot)
    assert screen_text("j'ai un crush", snapshot=enforced, context=ROOM).decision == "block"


def test_dry_run_counts_changed_decisions_with_examples() -> None:
    current = build_snapshot(terms=BASE, version="1")
    candidate = build_snapshot(terms=[*BASE, TermEntry("crush", "sexual")], version="2")
    texts = ["j'ai un crush", "bonjour", "mon crush m'a répondu", "t'es une salope", "crush"]
    summary = dry_run(texts, current=current, candidate=candidate, context=ROOM)
    assert summary.total == 5
    assert summary.changed == 3
    assert summary.transitions == {("allow", "block"): 3}
    assert summary.examples[("allow", "block")] == (
        "j'ai un crush",
        "mon crush m'a répondu",
        "crush",
    )
    assert summary.new_reasons == {"sexual_content": 3}


def test_dry_run_of_identical_policies_changes_nothing() -> None:
    snapshot = build_snapshot(terms=BASE)
    summary = dry_run(["salope", "ok"], current=snapshot, candidate=snapshot, context=ROOM)
    assert (summary.total, summary.changed, summary.transitions) == (2, 0, {})


def test_dry_run_can_loosen_a_policy_too() -> None:
    current = build_snapshot(terms=[*BASE, TermEntry("con", "harassment")])
    candidate = build_snapshot(terms=[*BASE, TermEntry("con", "harassment")], allow=["con carne"])
    summary = dry_run(
        ["chili con carne", "quel con"], current=current, candidate=candidate, context=ROOM
    )
    assert summary.transitions == {("block", "allow"): 1}
