"""Photo requests, gifts or money, secrecy; and the conversation-only grooming signals."""

from __future__ import annotations

import pytest

from moderation.policy.detectors.grooming_signals import (
    has_age_question,
    has_compliment,
    has_isolation_question,
    has_sexual_question,
    has_trust_building,
)
from moderation.policy.detectors.solicitation import (
    has_gift_offer,
    has_photo_request,
    has_secrecy_request,
)
from moderation.policy.normalise import normalise

CASES = [
    # (detector, caught, not caught)
    (
        has_photo_request,
        [
            "envoie une photo",
            "envoie moi une photo de toi",
            "tu peux m'envoyer une photo ?",
            "send pics",
            "send me a pic",
            "send nudes",
            "montre-toi",
            "montre moi ton corps",
            "show me your body",
            "t'as des photos de toi ?",
            "envoie une ph0t0",
            "fais moi un selfie",
        ],
        [
            "envoie la photo du devoir",
            "send a pic of the homework",
            "j'ai pris une photo du coucher de soleil",
            "la photo de classe est mardi",
            "tu m'envoies la photo d'écran ?",
        ],
    ),
    (
        has_gift_offer,
        [
            "je te paie",
            "je te paye si tu veux",
            "je t'offre une carte cadeau",
            "je peux te donner des robux",
            "tu veux des v-bucks ?",
            "I'll buy you a gift card",
            "I can pay you",
            "i'll send you money",
            "free robux",
            "je te donne 50 euros",
        ],
        [
            "j'ai acheté 800 robux",
            "la carte cadeau de ma mère a expiré",
            "je t'envoie 3 photos de mon chat",
            "je te donne raison",
            "it costs 5 dollars",
        ],
    ),
    (
        has_secrecy_request,
        [
            "ne dis rien à tes parents",
            "dis rien a tes parents",
            "ne le dis à personne",
            "c'est notre petit secret",
            "c'est notre p'tit secret",
            "our little secret",
            "don't tell your mom",
            "keep this between us",
            "efface nos messages",
            "supprime la conv après",
            "delete our chat",
            "tes parents doivent pas savoir",
            "personne doit savoir",
        ],
        [
            "ne dis rien à papa, c'est une surprise pour son anniversaire",
            "dis-moi tout",
            "j'ai effacé mon dessin",
            "le secret de la recette",
            "c'est un point de vue",
            "c'est un bon film",
            "tell me more",
        ],
    ),
    (
        has_compliment,
        ["t'es trop belle", "tu es tellement mature", "you're so pretty", "mature pour ton âge"],
        ["ce film est trop beau", "la belle vie", "you're late"],
    ),
    (
        has_trust_building,
        ["tu peux me faire confiance", "personne te comprend comme moi", "you can trust me"],
        ["je te fais confiance pour le projet", "trust the process"],
    ),
    (
        has_age_question,
        ["t'as quel âge ?", "tu as quel age", "how old are you", "asl", "t'es en quelle classe"],
        ["quel âge a ton chat", "how old is this game"],
    ),
    (
        has_isolation_question,
        ["t'es seule ?", "tes parents sont là ?", "are you alone", "tu habites où ?"],
        ["je suis seul ce soir", "my parents are strict"],
    ),
    (
        has_sexual_question,
        ["t'es vierge ?", "tu portes quoi ?", "what are you wearing", "t'as déjà embrassé ?"],
        ["je porte un pull", "I'm wearing a hat"],
    ),
]


@pytest.mark.parametrize(
    ("detector", "text"),
    [(detector, text) for detector, caught, _ in CASES for text in caught],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_detector_catches(detector, text: str) -> None:
    assert detector(normalise(text))


@pytest.mark.parametrize(
    ("detector", "text"),
    [(detector, text) for detector, _, benign in CASES for text in benign],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_detector_ignores_benign_look_alike(detector, text: str) -> None:
    assert not detector(normalise(text))
