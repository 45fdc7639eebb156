"""Operator policy (thresholds, per-category decisions) and where a text is being screened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Decision = Literal["allow", "flag", "hold", "block", "escalate"]
DECISIONS: tuple[str, ...] = ("allow", "flag", "hold", "block", "escalate")
Audience = Literal["minors", "adults"]
ContextKind = Literal["room", "dm_request", "dm", "pseudonym", "room_name"]
CONTEXTS: tuple[str, ...] = ("room", "dm_request", "dm", "pseudonym", "room_name")
NAME_CONTEXTS: tuple[str, ...] = ("pseudonym", "room_name")


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Operator-editable rules. The defaults are the safe behaviour of an empty database."""

    # Conversation risk at or above which the conversation is held and a case opened.
    grooming_threshold: float = 0.7
    # Conversation risk at or above which it is flagged for a moderator to look at.
    grooming_flag_threshold: float = 0.4
    # How many of the most recent messages ``score_conversation`` reads.
    conversation_window: int = 50
    # Per-category decisions for messages (the decision table in docs/screening.md).
    hate_decision: Decision = "block"
    harassment_decision: Decision = "flag"
    # Insults in minors' rooms and conversations: refused, the writer told why.
    minors_harassment_decision: Decision = "block"
    # Threats against the reader, sextortion and blackmail: never delivered unseen.
    threat_decision: Decision = "hold"
    # Insults aimed at the reader ("t'es qu'un connard") in adults' spaces: the harassment list
    # matches words wherever they are (flagged), an insult aimed at someone is refused.
    directed_insult_decision: Decision = "block"
    drugs_decision: Decision = "flag"
    profanity_decision: Decision = "allow"
    unknown_category_decision: Decision = "flag"
    # Adults, in rooms (public to the room's members) and in accepted DMs.
    adult_room_sexual_decision: Decision = "allow"
    adult_room_contact_decision: Decision = "flag"
    adult_dm_contact_decision: Decision = "flag"
    # Arranging to meet in person: between adults (rooms, requests and DMs), and wherever a
    # minor is involved.
    adult_meeting_decision: Decision = "allow"
    minors_meeting_decision: Decision = "hold"
    # ... and in a request or conversation between two minors, who are of one band (contact
    # across bands is refused): a birthday invitation is delivered, a moderator sees it.
    minors_dm_meeting_decision: Decision = "flag"
    # Requests for photos, gifts, secrecy where contact is restricted (minors, DM requests).
    restricted_solicitation_decision: Decision = "flag"
    # The shipped hostility classifier (classifier.py): it flags what the rules let through
    # from its calibrated threshold (None: the model card's), and holds in minors' spaces
    # from `model_hold_threshold` (None: never; the shipped model is not precise enough to
    # keep a message from its readers on its own, docs/classifier.md).
    model_enabled: bool = True
    model_flag_threshold: float | None = None
    model_hold_threshold: float | None = None
    minimum_age: int = 13
    adult_age: int = 18
    # Categories that refuse a pseudonym or room name.
    name_block_categories: tuple[str, ...] = (
        "sexual",
        "sexual_minors",
        "hate",
        "harassment",
        "profanity",
        "drugs",
        "minor_coded",
        "suggestive",
        "contact_offplatform",
    )
    # Categories that only apply to names ("lycéennes" is fine in a sentence, not as a name).
    name_only_categories: tuple[str, ...] = ("minor_coded", "suggestive")
    # Regex entries are run one by one (not in the automaton); keep them few.
    max_regex_terms: int = 50

    def __post_init__(self) -> None:
        if not 0.0 < self.grooming_flag_threshold <= self.grooming_threshold <= 1.0:
            raise ValueError("need 0 < grooming_flag_threshold <= grooming_threshold <= 1")
        for name in (
            "hate_decision",
            "harassment_decision",
            "minors_harassment_decision",
            "threat_decision",
            "directed_insult_decision",
            "drugs_decision",
            "profanity_decision",
            "unknown_category_decision",
            "adult_room_sexual_decision",
            "adult_room_contact_decision",
            "adult_dm_contact_decision",
            "adult_meeting_decision",
            "minors_meeting_decision",
            "minors_dm_meeting_decision",
            "restricted_solicitation_decision",
        ):
            if getattr(self, name) not in DECISIONS:
                raise ValueError(f"{name}: unknown decision {getattr(self, name)!r}")
        if self.conversation_window < 1:
            raise ValueError("conversation_window must be at least 1")


@dataclass(frozen=True, slots=True)
class ScreeningContext:
    """Where the text is posted. ``conversation_accepted`` matters for DMs only."""

    audience: Audience
    context: ContextKind
    conversation_accepted: bool = True

    def __post_init__(self) -> None:
        if self.audience not in ("minors", "adults"):
            raise ValueError(f"unknown audience {self.audience!r}")
        if self.context not in CONTEXTS:
            raise ValueError(f"unknown context {self.context!r}")

    @property
    def is_name(self) -> bool:
        return self.context in NAME_CONTEXTS

    @property
    def contact_restricted(self) -> bool:
        """Minors' spaces and conversations the recipient has not accepted yet."""
        return (
            self.audience == "minors"
            or self.context == "dm_request"
            or (self.context == "dm" and not self.conversation_accepted)
        )
