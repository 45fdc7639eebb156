"""Conversation-level grooming risk: sequences score high, single or benign messages low."""

from __future__ import annotations

import pytest

from moderation.policy import (
    ConversationFeatures,
    PolicyConfig,
    ScreeningContext,
    build_snapshot,
    score_conversation,
)
from moderation.seeds import load_seed_allow, load_seed_terms

MINORS_DM = ScreeningContext(audience="minors", context="dm")
ADULTS_DM = ScreeningContext(audience="adults", context="dm")

CLASSIC_FR = [
    "salut ! t'as quel âge ?",
    "13 ans et toi",
    "t'es trop mature pour ton âge",
    "t'es seule chez toi là ?",
    "on continue sur snap c'est plus simple",
    "envoie moi une photo de toi",
    "ne dis rien à tes parents, c'est notre secret",
]
CLASSIC_EN = [
    "how old are you?",
    "13",
    "you're so mature for your age",
    "are you alone right now?",
    "let's talk on snapchat instead",
    "send me a pic",
    "don't tell your parents, it's our little secret",
]


@pytest.mark.parametrize("messages", [CLASSIC_FR, CLASSIC_EN], ids=["fr", "en"])
def test_classic_escalating_sequence_is_held(seed_snapshot, messages) -> None:
    verdict = score_conversation(messages, snapshot=seed_snapshot, context=MINORS_DM)
    assert verdict.decision == "hold"
    assert verdict.risk >= PolicyConfig().grooming_threshold
    assert verdict.reasons[0] == "grooming_risk"
    assert {"secrecy_request", "photo_request", "offplatform_request"} <= set(verdict.reasons)


@pytest.mark.parametrize(
    "message",
    [
        "salut ça va ?",
        "t'es trop belle sur la photo de classe",
        "t'as quel âge ?",
        "je te vois demain en cours",
        "send me a pic of the homework",
        "envoie moi une photo de toi",
    ],
)
def test_single_message_scores_low(seed_snapshot, message) -> None:
    verdict = score_conversation([message], snapshot=seed_snapshot, context=MINORS_DM)
    assert verdict.risk < PolicyConfig().grooming_flag_threshold
    assert verdict.decision == "allow"


def test_risk_only_grows_as_the_sequence_goes_on(seed_snapshot) -> None:
    risks = [
        score_conversation(CLASSIC_FR[: n + 1], snapshot=seed_snapshot, context=MINORS_DM).risk
        for n in range(len(CLASSIC_FR))
    ]
    assert risks == sorted(risks)
    assert risks[0] < 0.4 < risks[-1]


def test_features_raise_risk_only_when_behaviour_started(seed_snapshot) -> None:
    risky = ConversationFeatures(age_gap_years=20, sender_account_age_days=1, first_contact=True)
    quiet = score_conversation(
        ["salut ça va"], snapshot=seed_snapshot, context=MINORS_DM, features=risky
    )
    assert (quiet.risk, quiet.decision) == (0.0, "allow")
    base = score_conversation(CLASSIC_FR[:4], snapshot=seed_snapshot, context=MINORS_DM)
    boosted = score_conversation(
        CLASSIC_FR[:4], snapshot=seed_snapshot, context=MINORS_DM, features=risky
    )
    assert boosted.risk > base.risk
    assert {"age_gap", "new_account", "first_contact"} <= set(boosted.reasons)


def test_sexual_content_with_a_minor_age_escalates(seed_snapshot) -> None:
    verdict = score_conversation(
        ["j'ai 14 ans", "t'es vierge ?", "on parle de sexe ?"],
        snapshot=seed_snapshot,
        context=MINORS_DM,
    )
    assert verdict.decision == "escalate"
    assert verdict.reasons[0] == "sexual_content_minor"


def test_a_sexual_question_between_minors_is_not_escalated(seed_snapshot) -> None:
    verdict = score_conversation(
        ["j'ai 14 ans", "moi aussi", "t'as déjà embrassé quelqu'un ?"],
        snapshot=seed_snapshot,
        context=MINORS_DM,
    )
    assert verdict.decision != "escalate"
    assert "sexual_question" in verdict.reasons


def test_adults_meeting_up_is_not_grooming(seed_snapshot) -> None:
    messages = ["drinks friday?", "yes! meet at the station at 7pm", "text me on whatsapp"]
    adults = score_conversation(messages, snapshot=seed_snapshot, context=ADULTS_DM)
    minors = score_conversation(messages, snapshot=seed_snapshot, context=MINORS_DM)
    assert adults.risk < minors.risk
    assert adults.decision == "allow"


def test_only_the_recent_window_counts() -> None:
    snapshot = build_snapshot(
        terms=load_seed_terms(), allow=load_seed_allow(), config=PolicyConfig(conversation_window=3)
    )
    old_risk = CLASSIC_FR[:6]
    verdict = score_conversation(
        [*old_risk, "ok", "on fait le devoir ?", "oui"], snapshot=snapshot, context=MINORS_DM
    )
    assert verdict.risk == 0.0


def test_threshold_is_the_operator_setting(seed_snapshot) -> None:
    lenient = build_snapshot(
        terms=load_seed_terms(),
        config=PolicyConfig(grooming_threshold=0.99, grooming_flag_threshold=0.98),
    )
    assert (
        score_conversation(CLASSIC_FR, snapshot=seed_snapshot, context=MINORS_DM).decision == "hold"
    )
    assert score_conversation(CLASSIC_FR, snapshot=lenient, context=MINORS_DM).decision == "allow"


def test_score_is_deterministic(seed_snapshot) -> None:
    first = score_conversation(CLASSIC_EN, snapshot=seed_snapshot, context=MINORS_DM)
    second = score_conversation(CLASSIC_EN, snapshot=seed_snapshot, context=MINORS_DM)
    assert first == second


# Chat forms of the grooming stages (written for this test, not from the evaluation sets):
# each message gives the signal named, its look-alike gives none of the new ones.
CHAT_FORMS = [
    ("age?", "age_question"), ("c quoi ton age", "age_question"), ("what school u go to", "age_question"),
    ("t'es dans quel collège ?", "age_question"),
    ("r ur parents home?", "isolation_question"), ("quand est-ce que ta mère rentre ?", "isolation_question"),
    ("where do u live", "isolation_question"), ("tes parents sont partis ?", "isolation_question"),
    ("have u ever been kissed", "sexual_question"), ("do u like older guys", "sexual_question"),
    ("t'as un copain ?", "relationship_question"), ("do u have a bf", "relationship_question"),
    ("do u have a cam?", "offplatform_request"), ("t'as une webcam ?", "offplatform_request"),
    ("can we meet?", "meeting_arrangement"), ("on pourrait se voir", "meeting_arrangement"),
    ("i could pick u up", "meeting_arrangement"),
    ("i can buy u stuff", "gift_offer"), ("je peux t'acheter un truc", "gift_offer"),
    ("age is just a number", "trust_building"), ("l'âge c'est qu'un chiffre", "trust_building"),
]
LOOK_ALIKES = [
    "my parents are at work lol", "can we meet the deadline?", "on peut se voir demain en cours",
    "t'as un copain de classe qui a le cours ?", "age doesn't matter for learning to code",
    "i got a new camera for christmas", "what school trip is this", "on se voit sur le serveur ce soir",
]


@pytest.mark.parametrize(("text", "signal"), CHAT_FORMS)
def test_chat_forms_of_the_grooming_stages_are_read(seed_snapshot, text, signal) -> None:
    from moderation.policy.grooming import message_signals

    assert signal in message_signals(text, seed_snapshot)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_their_look_alikes_are_not(seed_snapshot, text) -> None:
    from moderation.policy.grooming import message_signals

    new = {"age_question", "isolation_question", "sexual_question", "relationship_question",
           "offplatform_request", "meeting_arrangement", "gift_offer", "trust_building"}
    assert not message_signals(text, seed_snapshot) & new, text


def test_a_childs_school_year_in_the_conversation_is_a_minors_age(seed_snapshot) -> None:
    from moderation.policy.grooming import message_signals

    assert "minor_age_statement" in message_signals("jsuis en 4eme", seed_snapshot)
