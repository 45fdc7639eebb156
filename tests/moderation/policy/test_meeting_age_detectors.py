"""Meeting arrangements and first-person age statements."""

from __future__ import annotations

import pytest

from moderation.policy.detectors.age import stated_ages
from moderation.policy.detectors.meeting import has_address, has_meeting_arrangement
from moderation.policy.normalise import normalise


@pytest.mark.parametrize(
    "text",
    [
        "on se voit samedi à 15h devant la gare",
        "on se retrouve ce soir au parc ?",
        "rejoins-moi à 18h au mcdo",
        "viens chez moi",
        "je passe te chercher",
        "on se voit en vrai ?",
        "j'habite au 12 rue Victor Hugo",
        "rdv 3 bis avenue de la République",
        "let's meet tonight at the station",
        "meet me at the park at 5pm",
        "come over to my place",
        "i'll pick you up after school",
        "we should meet irl",
        "tu veux qu'on se voie en vrai ?",
        "r3joins moi ce soir au parc",
    ],
)
def test_meeting_arrangements_are_caught(text: str) -> None:
    assert has_meeting_arrangement(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "je te vois demain en cours",
        "on se voit demain en cours",
        "on se voit demain",
        "see you tomorrow",
        "on se voit à 8h en maths",
        "rejoins-moi sur le serveur ce soir",
        "viens voir ce meme",
        "j'ai rendez-vous chez le dentiste",
        "le film passe à 20h",
        "on se retrouve au lycée lundi",
        "rue de la paix, c'est cher au monopoly",
        "le 12 mai on a eu un contrôle",
        "meet me in the lobby",
        "rdv devant le cdi à la récré",
    ],
)
def test_everyday_talk_is_not_a_meeting(text: str) -> None:
    assert not has_meeting_arrangement(normalise(text))


def test_address_needs_a_number_and_a_street_word() -> None:
    assert has_address(normalise("c'est au 5 rue des Lilas"))
    assert not has_address(normalise("la rue est calme"))


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("j'ai 13 ans", (13,)),
        ("jai 15ans", (15,)),
        ("j ai 14 ans et toi", (14,)),
        ("J'ai quatorze ans", (14,)),
        ("j'ai dix-sept ans", (17,)),
        ("j'ai eu 16 ans hier", (16,)),
        ("je vais avoir 14 ans", (14,)),
        ("moi 13 ans", (13,)),
        ("13 ans et toi ?", (13,)),
        ("I'm 14", (14,)),
        ("im 15 lol", (15,)),
        ("i am 16 years old", (16,)),
        ("I'm only 12", (12,)),
        ("13yo", (13,)),
        ("14 y/o", (14,)),
        ("15 yrs old", (15,)),
        ("age: 14", (14,)),
        ("14/f/paris", (14,)),
        ("j'ai 25 ans", (25,)),
        ("I'm 32", (32,)),
        ("j\u2019ai 13 ans", (13,)),
        ("j'ai 1️⃣3️⃣ ans", (13,)),
        ("g 13 ans", (13,)),
        ("moi c 14", (14,)),
        ("moi c'est 15 ans", (15,)),
        ("I'm a 15 year old girl", (15,)),
    ],
)
def test_age_statements_give_the_stated_age(text: str, ages: tuple[int, ...]) -> None:
    assert stated_ages(normalise(text)) == ages


@pytest.mark.parametrize(
    "text",
    [
        "mon frère a 12 ans",
        "I'm 5 minutes away",
        "im 2 hours late",
        "j'ai 2 ans d'expérience",
        "j'ai 3 ans de retard sur la série",
        "ça fait 13 ans",
        "I'm 100% sure",
        "my 14 year old brother",
        "I'm 3rd in line",
        "j'ai 15 points",
        "il y a 14 ans",
        "moi c 14h la pause",
        "g 3 trucs à faire",
    ],
)
def test_other_numbers_are_not_age_statements(text: str) -> None:
    assert stated_ages(normalise(text)) == ()
