"""Pseudonyms and room names: sexualised and minor-coded names refused, with their evasions."""

from __future__ import annotations

import pytest

from moderation.policy import screen_text

from .conftest import PSEUDONYM, ROOM_NAME


@pytest.mark.parametrize(
    "name",
    [
        "lycéennes",
        "Lycéennes chaudes",
        "lyc3enn3s",
        "L y c é e n n e s",
        "à son insu",
        "a_son_insu",
        "teen",
        "teengirl",
        "ado chaude",
        "ado_chaude",
        "adochaude",
        "jeune fille",
        "jeunefille",
        "schoolgirl",
        "sch00lg1rl",
        "13ans",
        "lea_13ans",
        "jade 14yo",
        "petite coquine",
        "sexy_lea",
        "snap_lea2010",
        "salope",
        "collégienne",
        "loli_chan",
    ],
)
def test_names_refused(seed_snapshot, name: str) -> None:
    for context in (PSEUDONYM, ROOM_NAME):
        verdict = screen_text(name, snapshot=seed_snapshot, context=context)
        assert verdict.decision == "block", (name, verdict)
        assert verdict.reasons[0] == "name_not_allowed"


@pytest.mark.parametrize(
    "name",
    [
        "Sussex",
        "Essex_fan",
        "lea_paris",
        "Les amateurs de jardinage",
        "Cuisine du monde",
        "dragon_du_93",
        "Analyse de films",
        "chateau",
        "Karaoké du jeudi",
        "joueur2000",
    ],
)
def test_ordinary_names_allowed(seed_snapshot, name: str) -> None:
    for context in (PSEUDONYM, ROOM_NAME):
        assert screen_text(name, snapshot=seed_snapshot, context=context).decision == "allow"


def test_name_only_terms_do_not_stop_messages(seed_snapshot) -> None:
    from .conftest import ADULTS_ROOM, MINORS_ROOM

    for context in (MINORS_ROOM, ADULTS_ROOM):
        verdict = screen_text(
            "les lycéennes de ma classe ont gagné", snapshot=seed_snapshot, context=context
        )
        assert verdict.decision == "allow"
