"""The decision table: the same text gets a different decision depending on where it is posted."""

from __future__ import annotations

import dataclasses

import pytest

from moderation.policy import PolicyConfig, TermEntry, build_snapshot, screen_text

from .conftest import (
    ADULTS_DM,
    ADULTS_DM_REQUEST,
    ADULTS_DM_UNACCEPTED,
    ADULTS_ROOM,
    MINORS_DM,
    MINORS_ROOM,
)

# text, expected decision per context, expected first reason (None when allowed without reason)
TABLE = [
    # contact details: blocked in minors' spaces and unaccepted conversations
    (
        "appelle-moi au 06 12 34 56 78",
        {
            MINORS_ROOM: "block",
            MINORS_DM: "block",
            ADULTS_DM_REQUEST: "block",
            ADULTS_DM_UNACCEPTED: "block",
            ADULTS_ROOM: "flag",
            ADULTS_DM: "flag",  # delivered: a moderator sees it (adult_dm_contact_decision)
        },
        "contact_phone",
    ),
    (
        "écris-moi: jean.dupont@gmail.com",
        {MINORS_ROOM: "block", ADULTS_DM_REQUEST: "block", ADULTS_ROOM: "flag", ADULTS_DM: "flag"},
        "contact_email",
    ),
    (
        "ajoute moi sur snap",
        {
            MINORS_ROOM: "block",
            MINORS_DM: "block",
            ADULTS_DM_REQUEST: "block",
            ADULTS_ROOM: "flag",
            ADULTS_DM: "flag",
        },
        "contact_handle",
    ),
    (
        "on passe en visio ?",
        {MINORS_ROOM: "block", ADULTS_DM_REQUEST: "block", ADULTS_DM: "allow"},
        "offplatform_request",
    ),
    (
        "on se voit samedi à 15h devant la gare",
        {
            MINORS_ROOM: "hold",  # a moderator looks first (minors_meeting_decision)
            MINORS_DM: "flag",  # two minors of one band: delivered, a moderator sees it
            ADULTS_DM_REQUEST: "allow",  # adults meeting up is ordinary (adult_meeting_decision)
            ADULTS_ROOM: "allow",
            ADULTS_DM: "allow",
        },
        "meeting_arrangement",
    ),
    # sexual terms: blocked in minors' spaces and DM requests, allowed between consenting adults
    (
        "envoie des nudes",
        {
            MINORS_ROOM: "block",
            MINORS_DM: "block",
            ADULTS_DM_REQUEST: "block",
            ADULTS_DM_UNACCEPTED: "block",
        },
        None,
    ),
    (
        "j'ai envie de sexe",
        {
            MINORS_ROOM: "block",
            ADULTS_DM_REQUEST: "block",
            ADULTS_ROOM: "allow",
            ADULTS_DM: "allow",
        },
        "sexual_content",
    ),
    # a minor's age in an adults' space: held; an adult's age in a minors' space: held
    ("j'ai 14 ans", {ADULTS_ROOM: "hold", ADULTS_DM: "hold", ADULTS_DM_REQUEST: "hold", MINORS_ROOM: "allow"}, None),
    ("I'm 15", {ADULTS_ROOM: "hold"}, "minor_age_statement"),
    ("j'ai 34 ans", {MINORS_ROOM: "hold", MINORS_DM: "hold", ADULTS_ROOM: "allow"}, None),
    ("j'ai 11 ans", {MINORS_ROOM: "flag", ADULTS_ROOM: "hold"}, None),
    # sexual content with a minor's age: escalated everywhere
    (
        "j'ai 13 ans et j'aime le sexe",
        {
            MINORS_ROOM: "escalate",
            ADULTS_ROOM: "escalate",
            ADULTS_DM: "escalate",
            ADULTS_DM_REQUEST: "escalate",
        },
        "sexual_content_minor",
    ),
    ("I'm 14, send nudes", {ADULTS_DM: "escalate", MINORS_DM: "escalate"}, "sexual_content_minor"),
    (
        "lien pédoporno",
        {ADULTS_DM: "escalate", MINORS_ROOM: "escalate", ADULTS_ROOM: "escalate"},
        "sexual_content_minor",
    ),
    # hate blocks, harassment flags (defaults), self-harm flags with a support reason
    ("sale bougnoule", {MINORS_ROOM: "block", ADULTS_ROOM: "block", ADULTS_DM: "block"}, "hate_speech"),
    ("je déteste les musulmans", {ADULTS_ROOM: "block"}, "hate_speech"),
    # an insult aimed at the reader: refused everywhere; the listed word alone is only flagged
    # among adults
    ("t'es qu'une salope", {MINORS_ROOM: "block", ADULTS_ROOM: "block", ADULTS_DM: "block"}, "harassment"),
    ("quelle salope cette machine à café", {MINORS_ROOM: "block", ADULTS_ROOM: "flag"}, "harassment"),
    ("j'ai envie de mourir", {MINORS_ROOM: "flag", ADULTS_ROOM: "flag", ADULTS_DM: "flag"}, "self_harm_support"),
    # solicitation: flagged where contact is restricted
    ("envoie moi une photo de toi", {MINORS_ROOM: "flag", ADULTS_DM_REQUEST: "flag", ADULTS_DM: "allow"}, None),
    ("ne dis rien à tes parents", {MINORS_DM: "flag", ADULTS_DM: "allow"}, None),
    ("je te paie une carte cadeau", {MINORS_DM: "flag", ADULTS_DM: "allow"}, None),
    # benign look-alikes: allowed everywhere
    ("je te vois demain en cours", {MINORS_ROOM: "allow", MINORS_DM: "allow", ADULTS_DM_REQUEST: "allow"}, None),
    ("le contrôle est le 12/03/2024", {MINORS_ROOM: "allow", ADULTS_DM_REQUEST: "allow"}, None),
    ("j'habite dans le Sussex", {MINORS_ROOM: "allow", ADULTS_DM_REQUEST: "allow"}, None),
    ("le match a fini 3-2 en 2024", {MINORS_ROOM: "allow"}, None),
    ("ça coûte 1 299,99 €", {MINORS_ROOM: "allow"}, None),
    ("Putain, quelle journée", {MINORS_ROOM: "allow", ADULTS_ROOM: "allow"}, None),
    ("on a fait l'analyse du texte", {MINORS_ROOM: "allow"}, None),
]


@pytest.mark.parametrize(
    ("text", "context", "decision", "first_reason"),
    [
        (text, context, decision, reason)
        for text, by_context, reason in TABLE
        for context, decision in by_context.items()
    ],
    ids=lambda v: (
        f"{v.audience}-{v.context}-{v.conversation_accepted}"
        if hasattr(v, "audience")
        else str(v)[:30]
    ),
)
def test_decision_depends_on_context(seed_snapshot, text, context, decision, first_reason) -> None:
    verdict = screen_text(text, snapshot=seed_snapshot, context=context)
    assert verdict.decision == decision, verdict
    if first_reason is not None and decision != "allow":
        assert verdict.reasons[0] == first_reason
    assert verdict.method == "automated"
    assert 0.0 <= verdict.risk <= 1.0


def test_allowed_message_has_no_reasons(seed_snapshot) -> None:
    verdict = screen_text("salut, ça va ?", snapshot=seed_snapshot, context=MINORS_ROOM)
    assert (verdict.decision, verdict.reasons, verdict.risk) == ("allow", (), 0.0)


def test_strongest_decision_wins_and_every_reason_is_listed(seed_snapshot) -> None:
    verdict = screen_text(
        "j'ai 14 ans, ajoute moi sur snap", snapshot=seed_snapshot, context=ADULTS_DM_REQUEST
    )
    assert verdict.decision == "hold"
    assert verdict.reasons[0] == "minor_age_statement"
    assert "contact_handle" in verdict.reasons


@pytest.mark.parametrize(
    ("config", "decision"),
    [(PolicyConfig(), "flag"), (PolicyConfig(harassment_decision="block"), "block")],
)
def test_operator_config_changes_harassment_decision(config, decision) -> None:
    snapshot = build_snapshot(terms=[TermEntry("connard", "harassment")], config=config)
    assert screen_text("quel connard", snapshot=snapshot, context=ADULTS_ROOM).decision == decision


@pytest.mark.parametrize(("config", "decision"),
                         [(PolicyConfig(), "allow"), (PolicyConfig(adult_meeting_decision="flag"), "flag")])
def test_operator_config_decides_meetings_between_adults(config, decision) -> None:
    snapshot = build_snapshot(terms=[], config=config)
    for context in (ADULTS_ROOM, ADULTS_DM):
        verdict = screen_text("on se voit samedi à 15h devant la gare", snapshot=snapshot, context=context)
        assert verdict.decision == decision
    # Where a minor is involved a moderator looks first, whatever the adults' setting.
    assert screen_text("on se voit samedi à 15h devant la gare", snapshot=snapshot,
                       context=MINORS_ROOM).decision == "hold"


def test_unknown_category_is_flagged_by_default() -> None:
    snapshot = build_snapshot(terms=[TermEntry("crypto pump", "scam")])
    verdict = screen_text("rejoins le crypto pump", snapshot=snapshot, context=ADULTS_ROOM)
    assert (verdict.decision, verdict.reasons) == ("flag", ("term_match",))


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ValueError):
        PolicyConfig(grooming_threshold=0.3, grooming_flag_threshold=0.5)
    with pytest.raises(ValueError):
        PolicyConfig(hate_decision="delete")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "ma chatte a eu des chatons",  # she-cat
        "dogs bite",
        "a bite to eat",
        "j'en ai rien à foutre",
        "jouir de la vie",
        "gros baisers à tous",
        "un chat à poil long",
        "le rouge à lèvres nude",
        "Molly vient ce soir",
        "t'es un crack en maths",
        "je suce des bonbons",
        "fingering on guitar",
        "chili con carne",
    ],
)
def test_ordinary_senses_of_listed_words_pass_in_minors_rooms(seed_snapshot, text) -> None:
    # The lists and detectors alone: the shipped model may flag one of these for a moderator
    # ("a bite to eat", docs/classifier.md), which delivers it all the same.
    rules_only = dataclasses.replace(seed_snapshot, config=PolicyConfig(model_enabled=False))
    assert screen_text(text, snapshot=rules_only, context=MINORS_ROOM).decision == "allow"
    assert screen_text(text, snapshot=seed_snapshot, context=MINORS_ROOM).decision in ("allow", "flag")


@pytest.mark.parametrize("text", ["ta bite", "suce ma bite", "baise moi", "ta chatte"])
def test_sexual_uses_of_those_words_are_blocked_in_minors_rooms(seed_snapshot, text) -> None:
    assert screen_text(text, snapshot=seed_snapshot, context=MINORS_ROOM).decision == "block"
