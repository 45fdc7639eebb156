"""The result of screening: what to do, why (stable codes), and how risky it looked."""

from __future__ import annotations

from dataclasses import dataclass, field

from moderation.policy.config import Decision

# When several rules apply, the most protective decision wins. "hold" ranks above "block": both
# keep the text from everyone, but a hold also opens a case, which is what an age statement in
# the wrong space or a risky conversation needs.
DECISION_RANK: dict[str, int] = {"allow": 0, "flag": 1, "block": 2, "hold": 3, "escalate": 4}
DECISION_RISK: dict[str, float] = {
    "allow": 0.0,
    "flag": 0.4,
    "block": 0.7,
    "hold": 0.8,
    "escalate": 1.0,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    reasons: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    risk: float = 0.0
    # Reason codes that observe-only rules would have added, had they been enforced.
    observed: tuple[str, ...] = ()
    method: str = field(default="automated")


ALLOW = Verdict(decision="allow")


def strongest(decisions: list[str]) -> Decision:
    best = "allow"
    for decision in decisions:
        if DECISION_RANK[decision] > DECISION_RANK[best]:
            best = decision
    return best  # type: ignore[return-value]
