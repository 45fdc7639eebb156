"""Pseudonyms through the gate's name screen (moderation.gate.screen_name, answered over
accounts.signals.name_screening): compounds written as one word are refused like words."""

from __future__ import annotations

import pytest

from accounts.services import validate_pseudonym
from core.errors import PhareError
from moderation import gate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["grandpa4teenz", "vieuxcherchejeunette", "emma.snapchat", "fille_14"])
def test_a_pseudonym_packing_a_sentence_into_one_word_is_refused_with_the_name_reason(name):
    with pytest.raises(PhareError) as refused:
        validate_pseudonym(name)
    assert refused.value.code == "pseudonym_not_allowed"
    assert refused.value.extra == {"field": "pseudonym", "reason": "name_not_allowed"}


@pytest.mark.parametrize("name", ["emma_du_13", "papa_poule", "noah16"])
def test_an_ordinary_pseudonym_is_accepted(name):
    assert validate_pseudonym(name) == name


def test_room_names_go_through_the_same_screen():
    assert gate.screen_name("Papys pour ados", "room_name") == "name_not_allowed"
    assert gate.screen_name("Tonton4jeunes", "room_name") == "name_not_allowed"
    assert gate.screen_name("Randonnée du 13", "room_name") is None
