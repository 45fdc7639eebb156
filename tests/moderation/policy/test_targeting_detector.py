"""Looking for children by their age (detectors/targeting.py): a young age named as a target
and a call to act on it, in one message; written for these tests, not taken from the scenario
suite."""

from __future__ import annotations

import pytest

from moderation.policy.config import ScreeningContext
from moderation.policy.detectors.targeting import has_minor_targeting
from moderation.policy.normalise import normalise
from moderation.policy.screening import screen_text

TARGETING = [
    "cherche fille 12 13 ans sympa pour parler en pv",
    "les gars de 14-15 ans ajoutez moi",
    "une petite de 13 ans veut gagner des robux ? ecris moi",
    "serveur discord pour les 11 12 ans, venez",
    "any girls 13 or 14 wanna meet up",
    "looking for a teen 14 yo, i pay",
    "je recherche des ados entre 12 et 14 ans pour un projet photo, mp",
]
NOT_TARGETING = [
    "les 14 15 ans vous avez eu le brevet ?",
    "qui a 13 ans ici ? moi",
    "mp moi pour l'exo 4",
    "ma cousine de 13 ans veut s'inscrire",
    "j'ai trois enfants de 8 et 12 ans, on cherche une sortie",
    "my two boys 12 and 14 want to meet other gamers",
    "le tournoi est pour les 12 13 ans",
    "ma fille de 14 ans cherche un stage",
]


@pytest.mark.parametrize("text", TARGETING)
def test_a_target_age_with_a_call_is_found(text):
    assert has_minor_targeting(normalise(text))


@pytest.mark.parametrize("text", NOT_TARGETING)
def test_an_age_or_a_call_alone_or_ones_own_children_is_not(text):
    assert not has_minor_targeting(normalise(text))


@pytest.mark.parametrize("audience, context", [("minors", "room"), ("adults", "room"), ("adults", "dm"),
                                                ("minors", "dm_request")])
def test_it_is_refused_wherever_it_is_written(seed_snapshot, audience, context):
    verdict = screen_text("cherche fille 12 13 ans pour parler en pv", snapshot=seed_snapshot,
                          context=ScreeningContext(audience=audience, context=context))
    assert verdict.decision == "block"
    assert "minor_targeting" in verdict.reasons
