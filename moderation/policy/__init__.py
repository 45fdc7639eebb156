"""Phare's text-screening core: pure functions, no Django, no database, no I/O.

``moderation.gate`` builds a ``PolicySnapshot`` from the operator's policies (cached per policy
version) and calls ``screen_text`` for every message, DM request, pseudonym and room name, and
``score_conversation`` off the hot path for conversation-level grooming risk.
"""

from moderation.policy.config import PolicyConfig, ScreeningContext
from moderation.policy.dry_run import DryRunSummary, dry_run, enforcing_observed
from moderation.policy.grooming import ConversationFeatures, score_conversation
from moderation.policy.reasons import CRITICAL_REASONS, REASON_CODES, REPORT_CATEGORY, explain
from moderation.policy.screening import screen_text
from moderation.policy.snapshot import PolicySnapshot, build_snapshot
from moderation.policy.terms import TermEntry
from moderation.policy.verdict import Verdict
from moderation.policy.window import (
    SPLIT_MARKER,
    WINDOW_MESSAGES,
    WINDOW_SECONDS,
    RecentText,
    remember,
)

__all__ = [
    "CRITICAL_REASONS",
    "REASON_CODES",
    "REPORT_CATEGORY",
    "SPLIT_MARKER",
    "WINDOW_MESSAGES",
    "WINDOW_SECONDS",
    "ConversationFeatures",
    "DryRunSummary",
    "PolicyConfig",
    "PolicySnapshot",
    "RecentText",
    "ScreeningContext",
    "TermEntry",
    "Verdict",
    "build_snapshot",
    "dry_run",
    "enforcing_observed",
    "explain",
    "remember",
    "score_conversation",
    "screen_text",
]
