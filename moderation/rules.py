"""The moderation vocabulary: actions, reason codes and their grounds, category severity,
and the numbers triage uses. Pure data and pure functions, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

REPORT_CATEGORIES = (
    "child_safety", "grooming", "sexual_content", "non_consensual_imagery", "harassment", "hate",
    "threat", "self_harm", "spam", "impersonation", "other",
)
# Categories a visitor (not signed in) may report at all. Visitors carry no weight and may
# report only what they could see, which today is nothing (docs/moderation.md).
VISITOR_CATEGORIES = frozenset({"child_safety", "grooming"})
CHILD_SAFETY_CATEGORIES = frozenset({"child_safety", "grooming"})
# The priority from which a case is critical (the shortest SLA). A child-safety case never
# ranks below it: its urgency does not depend on who reported it or on their record.
CRITICAL_PRIORITY = 120
# Threats to life or safety and child sexual exploitation may be referred to the authorities.
REFERABLE_CATEGORIES = frozenset({"child_safety", "grooming", "threat", "non_consensual_imagery", "self_harm"})

SEVERITY = {
    "child_safety": 100, "grooming": 90, "threat": 80, "non_consensual_imagery": 80, "self_harm": 70,
    "sexual_content": 50, "hate": 50, "harassment": 40, "impersonation": 30, "other": 20,
    "room_proposal": 20, "spam": 10,
}

ACTIONS = (
    "dismiss", "remove_message", "warn", "mute", "suspend", "ban", "restrict_to_verified",
    "require_age_assurance", "lock_room", "refer", "approve_room", "reject_room",
)
# Actions that count as a violation on the subject's record (a strike).
STRIKE_ACTIONS = frozenset({"remove_message", "warn", "mute", "suspend"})
DEFAULT_DURATIONS = {"mute": 24 * 3600, "suspend": 7 * 24 * 3600}

# What a strike weighs and how many days it counts, by its decision's reason code: the
# defaults of the operators' table (moderation.models.StrikeWeight, seeded with these).
# Harm to children, sextortion (filed as non-consensual imagery) and threats weigh most and
# are remembered longest; one of them alone reaches the ladder's higher steps.
STRIKE_WEIGHTS: dict[str, tuple[int, int]] = {
    "child_safety": (10, 365), "grooming": (10, 365), "non_consensual_imagery": (10, 365),
    "threat": (6, 180), "age_misrepresentation": (4, 180),
    "hate": (3, 90), "sexual_content": (3, 90), "harassment": (2, 90), "impersonation": (2, 90),
    # Encouraging self-harm is a breach; but a message about one's own pain may be removed to
    # protect its readers, and that strike must not weigh on the person who wrote it.
    "self_harm": (1, 90), "spam": (1, 90), "name_not_allowed": (1, 90), "other": (1, 90),
}
MAX_STRIKE_WEIGHT = 100
MAX_STRIKE_DAYS = 3650
# The escalation ladder's defaults (moderation.models.EscalationStep, seeded with these):
# (active weight, action proposed to a moderator, duration in seconds).
DEFAULT_LADDER: tuple[tuple[int, str, int | None], ...] = (
    (2, "warn", None), (4, "mute", DEFAULT_DURATIONS["mute"]), (7, "suspend", DEFAULT_DURATIONS["suspend"]),
    (10, "ban", None),
)
# The actions a step may propose, mildest first; the rank also compares a step with the
# decision that reached it (a step no stronger than that decision is not proposed).
ESCALATION_RANK = {"remove_message": 0, "warn": 1, "mute": 2, "suspend": 3, "ban": 4}
STEP_ACTIONS = ("warn", "mute", "suspend", "ban")
TIMED_STEP_ACTIONS = frozenset({"mute", "suspend"})

REASON_GROUNDS = {
    "child_safety": _("Content that sexualises or endangers children is forbidden by our rules and by law."),
    "grooming": _("Attempts to manipulate a young person, move them elsewhere or meet them are forbidden."),
    "sexual_content": _("Sexual content is not allowed in this space."),
    "non_consensual_imagery": _("Sharing intimate images without consent is forbidden by our rules and by law."),
    "harassment": _("Harassing, insulting or intimidating people is forbidden."),
    "hate": _("Attacking people for who they are is forbidden."),
    "threat": _("Threats of violence are forbidden by our rules and by law."),
    "self_harm": _("Encouraging self-harm is forbidden; help is available."),
    "spam": _("Spam and unsolicited advertising are forbidden."),
    "impersonation": _("Pretending to be someone else is forbidden."),
    "age_misrepresentation": _("Lying about your age to reach another age group is forbidden."),
    "name_not_allowed": _("This name breaks the naming rules."),
    "other": _("This breaks the community rules."),
    "no_violation": _("No breach of the rules was found."),
    "approved": _("The proposal meets the rules."),
}
REASON_CODES = tuple(REASON_GROUNDS)

ACTION_LABELS = {
    "dismiss": _("no action"),
    "remove_message": _("message removed"),
    "hide_message": _("message hidden pending review"),
    "restrict": _("account restricted pending review"),
    "warn": _("warning"),
    "mute": _("muted"),
    "suspend": _("account suspended"),
    "ban": _("account banned"),
    "restrict_to_verified": _("room restricted to verified ages"),
    "require_age_assurance": _("a new age check is required"),
    "lock_room": _("room locked"),
    "refer": _("referred to the authorities"),
    "approve_room": _("room approved"),
    "reject_room": _("room rejected"),
    "strike_suspension": _("account suspended after repeated violations"),
    "reversed": _("the decision was reversed on appeal"),
}


@dataclass(frozen=True)
class PriorityInputs:
    category: str
    minors_involved: bool
    distinct_reporters: int  # signed-in reporters only: visitors carry no weight
    reporter_reliability: float  # 0..1, the mean over the case's reporters; 1 without reporters
    subject_violations: int  # upheld decisions against the subject before this case
    trusted_source: bool
    critical_flag: bool


def compute_priority(inputs: PriorityInputs) -> int:
    """Higher is more urgent. Severity dominates; the rest orders cases within a severity."""
    score = SEVERITY.get(inputs.category, 20)
    if inputs.minors_involved:
        score += 30
    if inputs.critical_flag:
        score += 40
    if inputs.trusted_source:
        score += 25
    score += min(max(inputs.distinct_reporters - 1, 0), 5) * 5
    score += min(inputs.subject_violations, 4) * 5
    if inputs.category in CHILD_SAFETY_CATEGORIES:
        # Urgency, not sanction: a child-safety case goes to the top of the queue at once,
        # whoever reported it; nothing about the reporters lowers it.
        return max(score, CRITICAL_PRIORITY)
    # An unreliable reporter's word counts for less, never for nothing.
    reliability = min(max(inputs.reporter_reliability, 0.0), 1.0)
    return int(round(score * (0.6 + 0.4 * reliability)))


def sla_for(*, priority: int, trusted_source: bool, hours: dict[str, float]) -> dt.timedelta:
    """Time to a first decision, from the case's creation."""
    if priority >= CRITICAL_PRIORITY:
        value = hours["critical"]
    elif priority >= 80:
        value = hours["high"]
    elif priority >= 40:
        value = hours["normal"]
    else:
        value = hours["low"]
    if trusted_source:
        value = value * hours.get("trusted_factor", 0.5)
    return dt.timedelta(hours=value)


def case_category_for_flag(categories: list[str], reasons: list[str]) -> str:
    """Map the gate's categories and reasons onto report categories."""
    words = " ".join(list(categories) + list(reasons))
    if "sexual_minors" in words:
        return "child_safety"
    if any(w in words for w in ("grooming", "meeting", "age_gap", "age_question")):
        return "grooming"
    for source, target in (("sexual", "sexual_content"), ("hate", "hate"), ("harassment", "harassment"),
                           ("self_harm", "self_harm"), ("threat", "threat")):
        if source in words:
            return target
    return "other"


def more_severe(a: str, b: str) -> str:
    return a if SEVERITY.get(a, 0) >= SEVERITY.get(b, 0) else b
