"""Reason codes are explained in both languages and documented; seeds load; the core is pure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from moderation.policy import (
    CRITICAL_REASONS,
    REASON_CODES,
    REPORT_CATEGORY,
    build_snapshot,
    explain,
)
from moderation.policy.screening import CATEGORY_REASON, SIGNAL_CATEGORY
from moderation.seeds import load_seed_allow, load_seed_terms

REPO = Path(__file__).resolve().parents[3]
PROTOCOL_REPORT_CATEGORIES = {
    "child_safety",
    "grooming",
    "sexual_content",
    "non_consensual_imagery",
    "harassment",
    "hate",
    "threat",
    "self_harm",
    "spam",
    "impersonation",
    "other",
}


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_every_reason_code_is_explained_in_french_and_english(code: str) -> None:
    french, english = explain(code, "fr"), explain(code, "en")
    assert french and english and french != english
    assert re.fullmatch(r"[a-z]+(?:_[a-z]+)*", code)
    assert REPORT_CATEGORY[code] in PROTOCOL_REPORT_CATEGORIES


def test_critical_reasons_are_known_codes() -> None:
    assert CRITICAL_REASONS <= REASON_CODES
    assert "minor_age_statement" in CRITICAL_REASONS


def test_every_code_the_engine_emits_is_known() -> None:
    emitted = (
        set(CATEGORY_REASON.values())
        | set(SIGNAL_CATEGORY)
        | {
            "name_not_allowed",
            "grooming_risk",
            "term_match",
            "sexual_content_minor",
        }
    )
    assert emitted <= REASON_CODES


def test_every_reason_code_is_documented() -> None:
    doc = (REPO / "docs" / "screening.md").read_text(encoding="utf-8")
    missing = [code for code in REASON_CODES if f"`{code}`" not in doc]
    assert missing == []


def test_unknown_code_gets_a_generic_explanation_and_bad_language_is_refused() -> None:
    assert explain("not_a_code", "en") == "This message was not allowed by this space's rules."
    with pytest.raises(ValueError):
        explain("contact_phone", "de")  # type: ignore[arg-type]


def test_seed_lists_load_with_known_categories_and_compile() -> None:
    terms = load_seed_terms()
    categories = {t.category for t in terms}
    in_both_languages = {"sexual", "sexual_minors", "hate", "harassment", "self_harm", "drugs",
                         "contact_offplatform", "minor_coded", "suggestive"}
    assert categories <= in_both_languages | {"violence", "profanity"}
    for needed in sorted(in_both_languages):
        assert {t.lang for t in terms if t.category == needed} >= {"fr", "en"}, needed
    assert len(terms) > 500
    assert "con carne" in load_seed_allow()
    snapshot = build_snapshot(terms=terms, allow=load_seed_allow())
    assert snapshot.matcher.term_count == len(terms)


def test_ldnoobw_attribution_is_shipped() -> None:
    notice = (REPO / "moderation" / "seeds" / "NOTICE.md").read_text(encoding="utf-8")
    assert "CC-BY-4.0" in notice and "LDNOOBW" in notice


def test_policy_package_imports_without_django() -> None:
    code = (
        "import sys, moderation.policy, moderation.seeds; "
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
