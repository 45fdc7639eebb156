"""Any text gets a verdict, quickly: no exception, no pathological regex backtracking."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.policy import score_conversation, screen_text
from moderation.policy.config import CONTEXTS
from moderation.policy.verdict import DECISION_RANK

from .conftest import MINORS_DM, MINORS_ROOM, PSEUDONYM

LONG = 20_000
ADVERSARIAL = {
    "letters then at": "a" * LONG + "@",
    "dotted letters then at": "a." * (LONG // 2) + "@",
    "spelled dots": "x point " * (LONG // 8),
    "spelled at": "jean at " * (LONG // 8),
    "spaced digits": "1 " * (LONG // 2),
    "slashed digits": "1/" * (LONG // 2),
    "single letters": "a " * (LONG // 2),
    "number words": "six " * (LONG // 4),
    "zero-width": "\u200b" * LONG,
    "emoji": "😴" * LONG,
    "repeated hits": "t'as quel âge envoie moi une photo 06 12 " * (LONG // 40),
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_long_adversarial_text_is_screened_quickly(seed_snapshot, text: str) -> None:
    start = time.perf_counter()
    screen_text(text, snapshot=seed_snapshot, context=MINORS_ROOM)
    screen_text(text, snapshot=seed_snapshot, context=PSEUDONYM)
    score_conversation([text], snapshot=seed_snapshot, context=MINORS_DM)
    # Linear work on 20,000 characters takes tens of milliseconds; quadratic takes seconds.
    assert time.perf_counter() - start < 1.5


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), context_index=st.integers(0, len(CONTEXTS) - 1))
def test_any_text_gets_a_well_formed_verdict(seed_snapshot, text: str, context_index: int) -> None:
    from moderation.policy import ScreeningContext

    context = ScreeningContext(audience="minors", context=CONTEXTS[context_index])
    verdict = screen_text(text, snapshot=seed_snapshot, context=context)
    assert verdict.decision in DECISION_RANK
    assert 0.0 <= verdict.risk <= 1.0
    assert all(isinstance(code, str) and code for code in verdict.reasons)
    assert (verdict.decision == "allow") or verdict.reasons


@settings(max_examples=100, deadline=None)
@given(messages=st.lists(st.text(max_size=80), max_size=8))
def test_conversation_risk_is_bounded_and_monotonic(seed_snapshot, messages) -> None:
    risks = [
        score_conversation(messages[: n + 1], snapshot=seed_snapshot, context=MINORS_DM).risk
        for n in range(len(messages))
    ]
    assert all(0.0 <= r <= 1.0 for r in risks)
    assert risks == sorted(risks)
