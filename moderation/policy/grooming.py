"""Conversation-level grooming risk.

Grooming is a sequence, not a message: flattery and trust, questions about age and being alone,
secrecy, gifts, photo requests, moving to another app, meeting. Each signal alone is weak and
often innocent; their combination across the recent messages is what matters. The score is a
noisy-OR of the distinct signals seen (risk = 1 - prod(1 - weight)), so it is deterministic,
monotonic (one more signal never lowers it) and explainable: the contributing codes are returned.

The weights were set from the published grooming-stage literature (trust development, isolation,
secrecy, sexualisation, approach) before measuring on bench/data; they are not fitted to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moderation.policy.config import ScreeningContext
from moderation.policy.detectors.grooming_signals import (
    has_age_gap_excuse,
    has_age_question,
    has_cam_question,
    has_compliment,
    has_gift_idea,
    has_isolation_question,
    has_meeting_idea,
    has_relationship_question,
    has_sexual_question,
    has_trust_building,
)
from moderation.policy.detectors.school import ages_said
from moderation.policy.normalise import NormalisedText, normalise
from moderation.policy.screening import detect_signals
from moderation.policy.snapshot import PolicySnapshot
from moderation.policy.verdict import Verdict

SIGNAL_WEIGHTS: dict[str, float] = {
    "compliment": 0.10,
    "trust_building": 0.15,
    "age_question": 0.15,
    "isolation_question": 0.25,
    "secrecy_request": 0.35,
    "gift_offer": 0.25,
    "photo_request": 0.30,
    "offplatform_request": 0.25,
    "contact_handle": 0.15,
    "contact_phone": 0.15,
    "contact_email": 0.10,
    "contact_url": 0.05,
    "meeting_arrangement": 0.30,
    "sexual_question": 0.40,
    "relationship_question": 0.10,
    "sexual_content": 0.30,
}
# Features only raise a risk that behaviour already started: an age gap alone is not grooming.
FEATURE_WEIGHTS: dict[str, float] = {"age_gap": 0.25, "new_account": 0.10, "first_contact": 0.10}
# A signal repeated in several messages adds this fraction of its weight once more (persistence).
_REPEAT_FACTOR = 0.5
_AGE_GAP_YEARS = 4
# Between adults, swapping numbers and meeting up is ordinary life: these signals count half in
# adults' spaces, unless someone in the conversation said they are a minor.
_ORDINARY_BETWEEN_ADULTS = frozenset(
    {
        "contact_handle",
        "contact_phone",
        "contact_email",
        "contact_url",
        "offplatform_request",
        "meeting_arrangement",
    }
)
_ADULTS_FACTOR = 0.5
_NEW_ACCOUNT_DAYS = 7.0


@dataclass(frozen=True, slots=True)
class ConversationFeatures:
    """What the server knows about the people, never from the text.

    ``age_gap_years``: difference between the two participants' age bands' lower bounds (None if
    unknown). ``sender_account_age_days``: age of the account whose messages are scored.
    ``first_contact``: the two had never talked before this conversation.
    """

    age_gap_years: int | None = None
    sender_account_age_days: float | None = None
    first_contact: bool = False


# Detectors only the conversation-level assessment reads, next to screening's.
_GROOMING_DETECTORS: tuple[tuple[str, Callable[[NormalisedText], bool]], ...] = (
    ("compliment", has_compliment),
    ("trust_building", has_trust_building),
    ("age_question", has_age_question),
    ("isolation_question", has_isolation_question),
    ("sexual_question", has_sexual_question),
    # Read only over a conversation, counted as the per-message signals they resemble.
    ("relationship_question", has_relationship_question),
    ("offplatform_request", has_cam_question),
    ("meeting_arrangement", has_meeting_idea),
    ("gift_offer", has_gift_idea),
    ("trust_building", has_age_gap_excuse),
)


def message_signals(text: str, snapshot: PolicySnapshot) -> set[str]:
    """Grooming-relevant signal codes in one message (per-message detectors included)."""
    normalised = normalise(text)
    signals = set(detect_signals(normalised))
    signals |= {code for code, detects in _GROOMING_DETECTORS if detects(normalised)}
    for hit in snapshot.matcher.find(normalised):
        if hit.observe_only:
            continue
        if hit.category == "sexual":
            signals.add("sexual_content")
        elif hit.category == "sexual_minors":
            signals.add("sexual_content_minor")
    ages = ages_said(normalised)
    if any(age < snapshot.config.adult_age for age in ages):
        signals.add("minor_age_statement")
    return signals


def score_conversation(
    messages: Sequence[str],
    *,
    snapshot: PolicySnapshot,
    context: ScreeningContext,
    features: ConversationFeatures | None = None,
) -> Verdict:
    """Grooming risk over the most recent ``config.conversation_window`` messages.

    ``messages`` in chronological order; they may be one sender's messages or both sides of a
    conversation (a minor's own age statement is then part of the picture). Returns "hold" with
    ``grooming_risk`` at or above ``grooming_threshold``, "flag" at or above
    ``grooming_flag_threshold``, "escalate" when sexual content meets a minor's age or
    child-sexual terms, else "allow". Reasons list the contributing signals, strongest first.
    ``context.audience`` matters: in adults' spaces contact and meeting signals count half.
    """
    config = snapshot.config
    recent = list(messages)[-config.conversation_window :]
    counts: dict[str, int] = {}
    for message in recent:
        for signal in message_signals(message, snapshot):
            counts[signal] = counts.get(signal, 0) + 1

    adults_only = context.audience == "adults" and "minor_age_statement" not in counts
    contributions: dict[str, float] = {}
    for signal, count in counts.items():
        weight = SIGNAL_WEIGHTS.get(signal)
        if weight is None:
            continue
        if adults_only and signal in _ORDINARY_BETWEEN_ADULTS:
            weight *= _ADULTS_FACTOR
        contributions[signal] = weight
        if count > 1:
            contributions[signal] = 1 - (1 - weight) * (1 - weight * _REPEAT_FACTOR)

    features = features or ConversationFeatures()
    if contributions:
        if features.age_gap_years is not None and features.age_gap_years >= _AGE_GAP_YEARS:
            contributions["age_gap"] = FEATURE_WEIGHTS["age_gap"]
        if (
            features.sender_account_age_days is not None
            and features.sender_account_age_days < _NEW_ACCOUNT_DAYS
        ):
            contributions["new_account"] = FEATURE_WEIGHTS["new_account"]
        if features.first_contact:
            contributions["first_contact"] = FEATURE_WEIGHTS["first_contact"]

    remaining = 1.0
    for weight in contributions.values():
        remaining *= 1.0 - weight
    risk = round(1.0 - remaining, 4)
    contributing = tuple(sorted(contributions, key=lambda code: (-contributions[code], code)))

    # Escalation needs sexual *content* (listed terms), not a question such as "have you ever
    # kissed anyone?", which two 14-year-olds may well ask each other; questions add to the risk.
    if "sexual_content_minor" in counts or (
        "sexual_content" in counts and "minor_age_statement" in counts
    ):
        return Verdict(
            decision="escalate",
            reasons=("sexual_content_minor", "grooming_risk", *contributing),
            categories=("sexual_minors", "grooming"),
            risk=1.0,
        )
    if risk >= config.grooming_threshold:
        return Verdict("hold", ("grooming_risk", *contributing), ("grooming",), risk)
    if risk >= config.grooming_flag_threshold:
        return Verdict("flag", ("grooming_risk", *contributing), ("grooming",), risk)
    return Verdict("allow", contributing, ("grooming",) if contributing else (), risk)
