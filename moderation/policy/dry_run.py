"""Dry run: what a candidate policy would have done over stored or live messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from moderation.policy.config import ScreeningContext
from moderation.policy.normalise import normalise
from moderation.policy.screening import screen_normalised
from moderation.policy.snapshot import PolicySnapshot, build_snapshot

_EXAMPLES_PER_CHANGE = 5


@dataclass(frozen=True, slots=True)
class DryRunSummary:
    total: int
    changed: int
    # (current decision, candidate decision) -> number of texts; only changed pairs.
    transitions: dict[tuple[str, str], int]
    # same keys -> up to five example texts, in input order
    examples: dict[tuple[str, str], tuple[str, ...]]
    # reason code -> texts whose candidate verdict carries it and the current one does not
    new_reasons: dict[str, int]


def enforcing_observed(snapshot: PolicySnapshot) -> PolicySnapshot:
    """The same policy with its observe-only entries switched on: "what if we enabled them?"."""
    return build_snapshot(
        terms=[replace(t, observe_only=False) for t in snapshot.terms],
        allow=snapshot.allow,
        config=snapshot.config,
        version=snapshot.version + "+observed",
    )


def dry_run(
    texts: Iterable[str],
    *,
    current: PolicySnapshot,
    candidate: PolicySnapshot,
    context: ScreeningContext,
) -> DryRunSummary:
    """Screen every text under both policies and count the decisions that would change.

    To test observe-only rules of the candidate as if enforced, pass
    ``candidate=enforcing_observed(candidate)``. Pure: texts are only read.
    """
    total = changed = 0
    transitions: dict[tuple[str, str], int] = {}
    examples: dict[tuple[str, str], list[str]] = {}
    new_reasons: dict[str, int] = {}
    for text in texts:
        total += 1
        normalised = normalise(text)
        before = screen_normalised(normalised, snapshot=current, context=context)
        after = screen_normalised(normalised, snapshot=candidate, context=context)
        for reason in set(after.reasons) - set(before.reasons):
            new_reasons[reason] = new_reasons.get(reason, 0) + 1
        if before.decision == after.decision:
            continue
        changed += 1
        key = (before.decision, after.decision)
        transitions[key] = transitions.get(key, 0) + 1
        bucket = examples.setdefault(key, [])
        if len(bucket) < _EXAMPLES_PER_CHANGE:
            bucket.append(text)
    return DryRunSummary(
        total=total,
        changed=changed,
        transitions=transitions,
        examples={key: tuple(value) for key, value in examples.items()},
        new_reasons=new_reasons,
    )
