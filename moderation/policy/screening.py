"""Screening one text: normalise, match terms, run detectors, decide for the context."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moderation.policy.classifier import shipped_model
from moderation.policy.config import Decision, PolicyConfig, ScreeningContext
from moderation.policy.detectors.age import stated_ages
from moderation.policy.detectors.contact import mentions_app
from moderation.policy.detectors.meeting import is_group_invitation
from moderation.policy.detectors.hate import has_group_hostility
from moderation.policy.detectors.quotation import outside_quotation
from moderation.policy.detectors.school import ages_and_adult_claims
from moderation.policy.detectors.solicitation import (
    has_gift_offer,
    has_photo_request,
    has_secrecy_request,
)
from moderation.policy.detectors.targeting import has_minor_targeting
from moderation.policy.detectors.threats import has_affection, has_directed_insult, has_sextortion, has_threat
from moderation.policy.normalise import NormalisedText, normalise
from moderation.policy.snapshot import PolicySnapshot
from moderation.policy.terms import TermHit
from moderation.policy.verdict import ALLOW, DECISION_RISK, Verdict, strongest
from moderation.policy.window import SPLIT_MARKER, WINDOW_DETECTORS, RecentText, split_signals

# Term category -> reason code for messages.
CATEGORY_REASON: dict[str, str] = {
    "sexual": "sexual_content",
    "sexual_minors": "sexual_content_minor",
    "hate": "hate_speech",
    "harassment": "harassment",
    "self_harm": "self_harm_support",
    "drugs": "drugs",
    "profanity": "profanity",
    "contact_offplatform": "offplatform_request",
}
# Detector reason -> the category it is reported under in Verdict.categories.
SIGNAL_CATEGORY: dict[str, str] = {
    "contact_phone": "contact_offplatform",
    "contact_email": "contact_offplatform",
    "contact_url": "contact_offplatform",
    "contact_handle": "contact_offplatform",
    "offplatform_request": "contact_offplatform",
    "meeting_arrangement": "meeting",
    "photo_request": "grooming",
    "gift_offer": "grooming",
    "secrecy_request": "grooming",
    "minor_age_statement": "age",
    "adult_age_statement": "age",
    "under_minimum_age_statement": "age",
    "threat": "threat",
    "sextortion": "threat",
    "minor_targeting": "grooming",
    # A directed insult ("t'es qu'une grosse vache") is decided like the harassment list, and
    # hostility towards a group ("les X sont des rats") like the hate list.
    "harassment": "harassment",
    "hate_speech": "hate",
}
# Detector codes decided as the term category they stand beside.
_DECIDED_AS_CATEGORY = {code: SIGNAL_CATEGORY[code] for code in ("harassment", "hate_speech")}
_CONTACT_SIGNALS = (
    "contact_phone",
    "contact_email",
    "contact_url",
    "contact_handle",
    "offplatform_request",
    "meeting_arrangement",
)
_SOLICITATION_SIGNALS = ("photo_request", "gift_offer", "secrecy_request")
_PAID_PICTURES = frozenset({"photo_request", "gift_offer"})


@dataclass(frozen=True, slots=True)
class Outcome:
    reason: str
    decision: Decision
    category: str


# The per-message detectors (context-free), in the order their codes are reported.
_DETECTORS: tuple[tuple[str, Callable[[NormalisedText], bool]], ...] = (
    *WINDOW_DETECTORS,  # contact details and meetings, which windows read too
    ("photo_request", has_photo_request),
    ("gift_offer", has_gift_offer),
    ("secrecy_request", has_secrecy_request),
    ("threat", has_threat),
    ("sextortion", has_sextortion),
    ("minor_targeting", has_minor_targeting),
    ("harassment", has_directed_insult),
    ("hate_speech", has_group_hostility),
)


def detect_signals(text: NormalisedText) -> tuple[str, ...]:
    """Codes of the per-message detectors that fire on ``text`` (context-free)."""
    return tuple(code for code, detects in _DETECTORS if detects(text))


def _message_outcomes(
    hits: list[TermHit],
    signals: tuple[str, ...],
    ages: tuple[int, ...],
    config: PolicyConfig,
    context: ScreeningContext,
    adult_claim_ages: tuple[int, ...] = (),
    affectionate: bool = False,
    group_invitation: bool = False,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    minors_space = context.audience == "minors"
    restricted = context.contact_restricted
    is_dm = context.context in ("dm", "dm_request")

    for signal in signals:
        category = SIGNAL_CATEGORY[signal]
        if signal == "meeting_arrangement":
            # In a minors' room, where 13-15 and 16-17 meet, a moderator looks before anyone
            # meets; between two minors in a conversation (one band: contact across bands is
            # refused) a birthday invitation is delivered and a moderator sees it. Adults
            # meeting up (a hike, a drink) is ordinary: an age stated in the conversation or
            # its risk score is the concern.
            if not minors_space:
                decision: Decision = config.adult_meeting_decision
            elif is_dm or group_invitation:
                # An invitation to everyone to something public ("venez nous soutenir au
                # gymnase samedi") is flagged like a meeting between two minors of one band.
                decision = config.minors_dm_meeting_decision
            else:
                decision = config.minors_meeting_decision
        elif signal in _CONTACT_SIGNALS:
            if restricted:
                decision = "block"
            elif is_dm:
                # Contact details are seen by a moderator; asking for a call or another app
                # between adults who accepted each other is their business.
                decision = "allow" if signal == "offplatform_request" else config.adult_dm_contact_decision
            else:
                decision = config.adult_room_contact_decision
        elif signal == "minor_targeting":
            decision = "block"  # looking for children by their age: nowhere, whoever writes it
        elif signal in ("threat", "sextortion"):
            # Never delivered before a moderator has seen it, wherever it is said.
            decision = config.threat_decision
        elif signal in _DECIDED_AS_CATEGORY:
            continue  # decided with the list's hits, below
        elif restricted and signal in _PAID_PICTURES and _PAID_PICTURES <= set(signals):
            decision = "block"  # pictures asked for and paid for, where a minor may read it
        else:  # solicitation: photo, gift, secrecy
            decision = config.restricted_solicitation_decision if restricted else "allow"
        outcomes.append(Outcome(signal, decision, category))

    categories = {hit.category for hit in hits} | {_DECIDED_AS_CATEGORY[s] for s in signals if s in _DECIDED_AS_CATEGORY}
    minor_age = any(age < config.adult_age for age in ages)
    for category in sorted(categories):
        if category in config.name_only_categories:
            continue
        reason = CATEGORY_REASON.get(category, "term_match")
        if category == "sexual_minors":
            decision = "escalate"
        elif category == "sexual":
            if minor_age:
                outcomes.append(Outcome("sexual_content_minor", "escalate", "sexual_minors"))
            if minors_space or context.context == "dm_request" or not context.conversation_accepted:
                decision = "block"
            elif is_dm:
                decision = "allow"
            else:
                decision = config.adult_room_sexual_decision
        elif category == "hate":
            decision = config.hate_decision
        elif category == "harassment":
            if affectionate:
                continue  # "jtm aussi conasse 💕": friends' banter (detectors/threats.py)
            if minors_space:
                decision = config.minors_harassment_decision
            elif "harassment" in signals:  # aimed at the reader, not only a listed word
                decision = config.directed_insult_decision
            else:
                decision = config.harassment_decision
        elif category == "self_harm":
            decision = "flag"  # support, never silence: the person needs an answer, not a block
        elif category == "drugs":
            decision = config.drugs_decision
        elif category == "profanity":
            decision = config.profanity_decision
        elif category == "contact_offplatform":
            decision = "block" if restricted else "flag"
        else:
            decision = config.unknown_category_decision
        outcomes.append(Outcome(reason, decision, category))

    if ages:
        if context.audience == "adults" and minor_age:
            outcomes.append(Outcome("minor_age_statement", "hold", "age"))
        if minors_space:
            # Only a number or an adult's life says someone is an adult (detectors/school.py).
            if any(age >= config.adult_age for age in adult_claim_ages):
                outcomes.append(Outcome("adult_age_statement", "hold", "age"))
            if any(age < config.minimum_age for age in ages):
                outcomes.append(Outcome("under_minimum_age_statement", "flag", "age"))
    return outcomes


# An age in a name: "lea13ans", "jade_14yo", "emma 15 y/o".
_AGE_IN_NAME_RE = re.compile(r"(?<!\d)\d{1,2}[\s_.\-]*(?:ans|an|yo|y/o|y\.o|yrs?|years?)(?![a-z])")


def _name_outcomes(
    text: NormalisedText, hits: list[TermHit], snapshot: PolicySnapshot
) -> list[Outcome]:
    config = snapshot.config
    outcomes = [
        Outcome("name_not_allowed", "block", hit.category)
        for hit in hits
        if hit.category in config.name_block_categories
    ]
    if _AGE_IN_NAME_RE.search(text.folded) or stated_ages(text):
        outcomes.append(Outcome("name_not_allowed", "block", "minor_coded"))
    signals = detect_signals(text)
    if mentions_app(text) or any(s.startswith("contact_") for s in signals):
        outcomes.append(Outcome("name_not_allowed", "block", "contact_offplatform"))
    return outcomes


MODEL_REASON = "likely_hostile"


def model_outcome(text: NormalisedText, config: PolicyConfig, context: ScreeningContext) -> Outcome | None:
    """The shipped classifier's say (classifier.py): a flag from its threshold, a hold in
    minors' spaces from `model_hold_threshold`. It never refuses: rules decide that."""
    if not config.model_enabled:
        return None
    model = shipped_model()
    score = model.score(text)
    flag_at = model.threshold if config.model_flag_threshold is None else config.model_flag_threshold
    if score < flag_at:
        return None
    hold_at = config.model_hold_threshold
    hold = context.audience == "minors" and hold_at is not None and score >= hold_at
    return Outcome(MODEL_REASON, "hold" if hold else "flag", "harassment")


def _verdict(outcomes: list[Outcome], observed: tuple[str, ...] = ()) -> Verdict:
    if not outcomes:
        return Verdict(decision="allow", observed=observed)
    decision = strongest([o.decision for o in outcomes])
    # Most decisive reasons first: the first one is what the user is told.
    ordered = sorted(outcomes, key=lambda o: -DECISION_RISK[o.decision])
    reasons = tuple(dict.fromkeys(o.reason for o in ordered))
    categories = tuple(dict.fromkeys(o.category for o in ordered))
    return Verdict(
        decision=decision,
        reasons=reasons,
        categories=categories,
        risk=max(DECISION_RISK[o.decision] for o in outcomes),
        observed=observed,
    )


def screen_normalised(
    text: NormalisedText,
    *,
    snapshot: PolicySnapshot,
    context: ScreeningContext,
    recent: Sequence[RecentText] = (),
) -> Verdict:
    """``screen_text`` for an already normalised text (dry runs normalise once, screen twice)."""
    all_hits = snapshot.matcher.find(text)
    if any(hit.category == "harassment" for hit in all_hits):
        all_hits = _outside_quotation_hits(text, all_hits, snapshot)
    split: tuple[str, ...] = ()
    if context.is_name:
        all_hits += snapshot.find_name_substrings(text.key.replace(" ", ""))
        signals: tuple[str, ...] = ()
        ages: tuple[int, ...] = ()
        adult_claim_ages: tuple[int, ...] = ()
        affectionate = False
        group_invitation = False
        model = None
    else:
        signals = detect_signals(text)
        ages, adult_claim_ages = ages_and_adult_claims(text)
        affectionate = bool(all_hits or signals) and has_affection(text)
        group_invitation = "meeting_arrangement" in signals and is_group_invitation(text)
        model = model_outcome(text, snapshot.config, context)
        if recent:
            split = split_signals(text, signals, recent)
        if not all_hits and not signals and not ages and not split and model is None:
            return ALLOW  # the usual chat line: nothing to decide on (what `_verdict([])` gives)

    def outcomes_for(hits: list[TermHit]) -> list[Outcome]:
        if context.is_name:
            return _name_outcomes(text, hits, snapshot)
        outcomes = _message_outcomes(hits, signals + split, ages, snapshot.config, context, adult_claim_ages,
                                     affectionate, group_invitation)
        # The model only notices what the rules let through: it never turns a refusal into
        # a hold (hold outranks block) nor adds to what is already stopped.
        if model is not None and not any(o.decision in ("block", "escalate", "hold") for o in outcomes):
            outcomes.append(model)
        # A finding over the window is decided as if this message carried it, and says so.
        outcomes += [Outcome(SPLIT_MARKER, o.decision, o.category) for o in outcomes if o.reason in split]
        return outcomes

    enforced_hits = [hit for hit in all_hits if not hit.observe_only]
    enforced = outcomes_for(enforced_hits)
    observed: tuple[str, ...] = ()
    if len(enforced_hits) != len(all_hits):
        # Observe-only entries: what would the verdict have said with them switched on?
        enforced_reasons = {o.reason for o in enforced}
        with_observed = outcomes_for(all_hits)
        observed = tuple(
            dict.fromkeys(o.reason for o in with_observed if o.reason not in enforced_reasons)
        )
    return _verdict(enforced, observed)


def _outside_quotation_hits(text: NormalisedText, hits: list[TermHit], snapshot: PolicySnapshot) -> list[TermHit]:
    """The harassment list's hits that are not only inside a line quoted from a film or a song
    (detectors/quotation.py); every other hit stays."""
    outside = outside_quotation(text)
    if outside is None:
        return hits
    kept = set(snapshot.matcher.find(outside))
    return [hit for hit in hits if hit.category != "harassment" or hit in kept]


def screen_text(
    text: str,
    *,
    snapshot: PolicySnapshot,
    context: ScreeningContext,
    recent: Sequence[RecentText] = (),
) -> Verdict:
    """Screen one message, DM request, pseudonym or room name. Pure; no I/O.

    ``recent``: the sender's earlier texts in the same room or conversation, oldest first
    (``window.remember``); a contact detail or meeting split over them and this message is
    decided as if this message carried it whole, with the reason ``split_across_messages``
    (window.py). Names ignore it.
    """
    return screen_normalised(normalise(text), snapshot=snapshot, context=context, recent=recent)
