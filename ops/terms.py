"""Public terms generated from the policies actually enabled (DSA art. 14), and the safety
centre's content.

Every automated measure is listed with what it looks for and what it does where, and the
"what it does" column is computed by the safety gate's own decision code under the current
policy (`moderation.policy.screening`), so the terms cannot drift from the behaviour. A measure
backed by term lists is listed only while at least one of its terms is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from moderation import gate
from moderation.gate_labels import DECISION_LABELS, DESCRIPTIONS, SIMPLE_DECISION_LABELS
from moderation.policy import REASON_CODES, ScreeningContext
from moderation.policy.screening import CATEGORY_REASON, SIGNAL_CATEGORY, _message_outcomes
from moderation.policy.terms import TermHit

# Where a measure may apply, as the columns of the terms' table.
CONTEXTS: dict[str, tuple[Any, ScreeningContext]] = {
    "minors": (_("Minors' rooms and conversations"), ScreeningContext("minors", "room")),
    "adults_room": (_("Adults' rooms"), ScreeningContext("adults", "room")),
    "dm_request": (_("Direct message requests"), ScreeningContext("adults", "dm_request", False)),
    "adults_dm": (_("Adults' accepted conversations"), ScreeningContext("adults", "dm", True)),
}

# Signals that only feed the conversation score; listed under it, not as measures of their own.
GROOMING_SIGNALS = ("compliment", "trust_building", "age_question", "isolation_question",
                    "sexual_question", "relationship_question", "age_gap", "new_account", "first_contact")
# Ages that make each age detector fire, to compute its decision per context.
_AGE_SAMPLES = {"minor_age_statement": (15,), "adult_age_statement": (25,), "under_minimum_age_statement": (11,)}
_REASON_CATEGORY = {reason: category for category, reason in CATEGORY_REASON.items()}


@dataclass
class Measure:
    code: str
    title: Any
    description: Any
    simple: Any
    decisions: dict[str, str] = field(default_factory=dict)  # context -> decision
    signals: list["Measure"] = field(default_factory=list)
    note: Any = ""
    cells: list[Any] = field(default_factory=list)  # decision text per context, for the page
    minors_text: Any = ""

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": str(self.title), "description": str(self.description),
                "decisions": self.decisions, "signals": [s.code for s in self.signals]}


def _decisions_for(code: str, snapshot) -> dict[str, str]:
    config = snapshot.config
    result: dict[str, str] = {}
    for key, (_label, context) in CONTEXTS.items():
        if code in SIGNAL_CATEGORY and code not in _AGE_SAMPLES:
            outcomes = _message_outcomes([], (code,), (), config, context)
        elif code in _AGE_SAMPLES:
            outcomes = _message_outcomes([], (), _AGE_SAMPLES[code], config, context)
        elif code == "sexual_content_minor":
            outcomes = _message_outcomes([TermHit("sexual_minors", "", False)], (), (), config, context)
        elif code == "term_match":
            outcomes = _message_outcomes([TermHit("violence", "", False)], (), (), config, context)
        else:
            outcomes = _message_outcomes([TermHit(_REASON_CATEGORY[code], "", False)], (), (), config, context)
        matching = [o.decision for o in outcomes if o.reason == code]
        result[key] = matching[0] if matching else "allow"
    return result


def enabled_term_categories(snapshot) -> set[str]:
    return {t.category for t in snapshot.terms if t.enabled and not t.observe_only}


def enabled_reason_codes(snapshot) -> list[str]:
    """Reason codes the gate can give under the current policy, in the terms' order."""
    categories = enabled_term_categories(snapshot)
    name_only = set(snapshot.config.name_only_categories)
    codes: list[str] = list(SIGNAL_CATEGORY)  # the detectors in code always run
    for category, reason in CATEGORY_REASON.items():
        if category in categories and reason not in codes:
            codes.append(reason)
    if "sexual_minors" in categories or "sexual" in categories:
        codes.append("sexual_content_minor")
    if categories - set(CATEGORY_REASON) - name_only - {"sexual_minors"}:
        codes.append("term_match")
    codes += ["split_across_messages", "name_not_allowed", "grooming_risk", "review_pending"]
    if snapshot.config.model_enabled:
        codes.append("likely_hostile")
    return list(dict.fromkeys(codes))


def automated_measures() -> list[Measure]:
    snapshot = gate.current_snapshot()
    config = snapshot.config
    measures: list[Measure] = []
    for code in enabled_reason_codes(snapshot):
        title, description, simple = DESCRIPTIONS[code]
        measure = Measure(code=code, title=title, description=description, simple=simple)
        if code == "split_across_messages":
            measure.note = _("Decided like the detail it completes (phone number, username, address or meeting).")
        elif code == "likely_hostile":
            measure.note = _("Flagged for a moderator from the model's calibrated score; never refused or held by the model alone.")
        elif code == "review_pending":
            measure.note = _("Lifted by the moderator's decision on the conversation's case.")
        elif code == "name_not_allowed":
            measure.note = _("Applies to pseudonyms and room names: a name that fails is refused.")
        elif code == "grooming_risk":
            measure.note = _(
                "From a score of %(flag)s a moderator looks at the conversation; from %(hold)s "
                "it is held and a case is opened."
            ) % {"flag": config.grooming_flag_threshold, "hold": config.grooming_threshold}
            measure.signals = [Measure(s, *DESCRIPTIONS[s]) for s in GROOMING_SIGNALS]
        else:
            measure.decisions = _decisions_for(code, snapshot)
        measures.append(measure)
    image = image_measure()
    if image is not None:
        measures.append(image)
    return measures


# Images are screened by the image pipeline (chat.uploads, moderation.hashbanks), not the text
# gate; its reason code is its own.
IMAGE_MATCH_CODE = "image_hash_match"
IMAGE_DESCRIPTION = (
    _("Known abusive images"),
    _("Every uploaded image is compared with banks of fingerprints (perceptual and exact hashes) of known abusive images and of images moderators removed. A match is not shown, and is sent at once to moderators. Images are shown blurred until the person chooses to see them."),
    _("Pictures are checked against a list of known bad pictures. Pictures are blurred until you choose to see them."),
)


def image_measure() -> Measure | None:
    """The image-matching measure, while the image pipeline is installed."""
    try:
        HashBank = apps.get_model("moderation", "HashBank")
    except LookupError:
        return None
    title, description, simple = IMAGE_DESCRIPTION
    categories = sorted(set(HashBank.objects.filter(active=True).values_list("category", flat=True)))
    labels = ", ".join(str(HashBank.Category(c).label) for c in categories if c in HashBank.Category.values)
    measure = Measure(
        code=IMAGE_MATCH_CODE, title=title, description=description, simple=simple,
        # Images are refused outright in minors' spaces and in requests (media_not_allowed).
        decisions={"minors": "block", "adults_room": "escalate", "dm_request": "block",
                   "adults_dm": "escalate"},
    )
    if labels:
        measure.note = _("Fingerprint banks in use: %(banks)s.") % {"banks": labels}
    return measure


REVIEW_STEPS = [
    _("Every report, and every automatic flag or held message, opens a case for the moderation team; the queue is ordered by urgency (child safety first) with a deadline per priority."),
    _("A human moderator reviews the case and the saved evidence, and decides: no action, remove a message, warn, mute, suspend, ban, restrict, ask for an age check, lock a room, or refer to the authorities."),
    _("The person concerned receives a statement of reasons: what was decided, why, on which rule, whether automated means were used, and how to appeal. The reporter is told the outcome."),
    _("An appeal is decided by a different moderator than the one who took the decision."),
    _("Automated measures never ban anyone on their own: a blocked message is refused with its reason, and anything stronger is a human's decision."),
]
SIMPLE_REVIEW_STEPS = [
    _("When you report something, a real person from the moderation team looks at it."),
    _("The most serious things, like danger for young people, are checked first."),
    _("If we decide something about you, we tell you why, and you can ask another moderator to look again."),
    _("A computer can stop a message, but only a person can suspend or ban an account."),
]


def terms_context(*, simple: bool) -> dict[str, Any]:
    snapshot = gate.current_snapshot()
    labels = SIMPLE_DECISION_LABELS if simple else DECISION_LABELS
    measures = automated_measures()
    for measure in measures:
        measure.cells = [labels[measure.decisions[key]] for key in CONTEXTS] if measure.decisions else []
        measure.minors_text = labels[measure.decisions["minors"]] if measure.decisions else ""
    return {
        "version": snapshot.version,
        "measures": measures,
        "contexts": [(key, label) for key, (label, _ctx) in CONTEXTS.items()],
        "decision_labels": SIMPLE_DECISION_LABELS if simple else DECISION_LABELS,
        "review_steps": SIMPLE_REVIEW_STEPS if simple else REVIEW_STEPS,
        "helplines": helplines(),
    }


@dataclass(frozen=True)
class Helpline:
    name: Any
    contact: str
    href: str
    description: Any
    for_minors: bool = False


def helplines() -> list[Helpline]:
    """Help outside Phare (France). Ordered with what a minor most needs first."""
    return [
        Helpline(_("3018 — online harassment and cyberbullying"), "3018", "tel:3018",
                 _("Free, anonymous and confidential, for young people and their parents. Also on the 3018 app and at e-enfance.org/3018."),
                 True),
        Helpline(_("119 — children in danger"), "119", "tel:119",
                 _("Free, 24 hours a day, every day: for a child or teenager in danger or at risk, or anyone worried about one."),
                 True),
        Helpline(_("PHAROS — report illegal content to the authorities"), "internet-signalement.gouv.fr",
                 "https://www.internet-signalement.gouv.fr/",
                 _("The French authorities' platform for reporting illegal content online.")),
        Helpline(_("3114 — suicide prevention"), "3114", "tel:3114",
                 _("Free, 24 hours a day, for anyone thinking about suicide or worried about someone.")),
        Helpline(pgettext_lazy("emergency number", "17 or 112 — emergency"), "112", "tel:112",
                 _("If someone is in immediate danger, call the police (17) or the European emergency number (112).")),
    ]


def report_categories() -> list[tuple[str, Any]]:
    return [
        ("child_safety", _("A young person in danger")),
        ("grooming", _("Someone trying to trick or pressure a young person")),
        ("sexual_content", _("Sexual content")),
        ("non_consensual_imagery", _("Intimate images shared without consent")),
        ("harassment", _("Harassment or bullying")),
        ("hate", _("Hate")),
        ("threat", _("Threats")),
        ("self_harm", _("Self-harm or suicide")),
        ("spam", _("Spam")),
        ("impersonation", _("Someone pretending to be someone else")),
        ("other", _("Something else")),
    ]


def undescribed_reason_codes() -> set[str]:
    """Codes the gate knows that these terms cannot describe (must be empty)."""
    return set(REASON_CODES) - set(DESCRIPTIONS)
