"""Phone numbers, emails, links, handles, moving to another app: caught, and look-alikes not."""

from __future__ import annotations

import pytest

from moderation.policy.detectors.contact import (
    has_email,
    has_handle,
    has_offplatform_request,
    has_phone_number,
    has_url,
)
from moderation.policy.normalise import normalise


@pytest.mark.parametrize(
    "text",
    [
        "appelle moi au 06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "06/12/34/56/78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+44 20 7946 0958",
        "+1 555 123 4567",
        "(555) 123-4567",
        "07700 900123",
        "mon num 06 12 34\n56 78",  # split across a line
        "O6 12 34 56 78",  # letter O for zero
        "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
        "zero six, douze, trente quatre, cinquante six, soixante dix huit",
        "zero six twelve thirty four fifty six seventy eight",
        "oh seven seven double oh nine one two three four five",
        "call me 447911 123456",
        "mon num 33 7 81 22 45 90",
        "06 douze 34 cinquante six 78",
        "６ １２ ３４ ５６ ７８ zero",  # fullwidth digits
        "0⁶ 12 34 56 78",
    ],
)
def test_phone_numbers_are_caught(text: str) -> None:
    assert has_phone_number(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "on se voit le 12/03/2024",
        "rendu pour le 2024-03-12",
        "du 12/03/2024 au 15/03/2024",
        "12/03/2024-13/03/2024",
        "ça coûte 1 299,99 €",
        "1 000 000 de vues",
        "le score était 3-2",
        "en 2023 et 2024",
        "entre 1998 et 2005",
        "j'ai eu 12 14 16 et 18",
        "à 14h30",
        "il est 12:45",
        "nous étions 250 000",
        "code postal 75011",
        "un deux trois soleil",
        "j'ai six ans de plus que lui",
    ],
)
def test_numbers_that_are_not_phone_numbers_pass(text: str) -> None:
    assert not has_phone_number(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "écris moi à jean.dupont@gmail.com",
        "JEAN@ORANGE.FR",
        "jean @ gmail . com",
        "jean at gmail dot com",
        "jean (at) gmail (dot) com",
        "jean arobase orange point fr",
        "jean at example dot fr",
    ],
)
def test_emails_are_caught(text: str) -> None:
    assert has_email(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "see you at noon. come early",
        "I'm at home",
        "je suis arrivé à la gare",
        "@user t'as raison",
        "look at this dot",
    ],
)
def test_ordinary_at_and_dot_are_not_emails(text: str) -> None:
    assert not has_email(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "regarde https://exemple.org/page",
        "va sur www.site.fr",
        "discord.gg/abcdef",
        "bit.ly/xyz",
        "monsite point com",
        "monsite dot com",
        "monsite . com",
    ],
)
def test_links_are_caught(text: str) -> None:
    assert has_url(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "ok. merci",
        "1.5 litres",
        "M. Dupont",
        "c'est un point important",
        "fin.",
        "c'est un point de vue",
    ],
)
def test_ordinary_dots_are_not_links(text: str) -> None:
    assert not has_url(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "ajoute moi sur snap",
        "ajoute-moi sur snap",
        "Ajoute moi sur SNAPCHAT",
        "rajoute moi sur insta",
        "add me on snap",
        "add me on insta",
        "follow me on tiktok",
        "add me on discord",
        "ajoute moi sur telegram",
        "add me on whatsapp",
        "ajoute moi sur sn4p",
        "a j o u t e moi sur snap",
        "mon snap c'est lea_2010",
        "mon snap c est lea_2010",
        "my insta is @lea.paris",
        "snap: lea2010",
        "insta = lea.paris",
        "mon snap : julie",
        "insta manon_du_13 je reponds",
        "discord theo#2231",
        "ma snap c 'chloe.x07'",
        "sur le fantome : enzo.2k10",
        "👻 lola_dance",
        "snapp lucie.b",
    ],
)
def test_handles_are_caught(text: str) -> None:
    assert has_handle(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "j'ai vu une vidéo sur tiktok",
        "my snap is broken lol",
        "les snaps de ce matin étaient drôles",
        "instagram a encore changé son algo",
        "il y a un signal faible",
        "ajoute moi en ami ici",
        "mon insta c'est nul",
        "my snap is private",
        "j'ai passé 3h sur insta hier",
        "tiktok 2023 c'était mieux",
        "snap 5min et je reviens",
        "le fantôme de l'opéra est au programme",
        "👻👻 joyeux halloween",
    ],
)
def test_mentions_of_apps_are_not_handles(text: str) -> None:
    assert not has_handle(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "t'as snap ?",
        "tu as insta ?",
        "do you have snapchat?",
        "t'es sur discord ?",
        "on continue sur whatsapp",
        "parle moi sur telegram",
        "let's talk on snap",
        "let's move to telegram",
        "text me on whatsapp",
        "viens en privé sur discord",
        "on passe en visio ?",
        "on fait un facetime ?",
        "facetime me",
        "tu veux faire un appel vidéo",
        "allume ta cam",
        "turn on your cam",
        "can we video call",
        "wanna cam?",
        "c2c ?",
        "tu peux m'envoyer ton numéro ?",
        "donne moi ton num",
        "c koi ton snap",
        "what's your snap",
        "t'as un 06 ?",
        "envoie moi ton adresse",
        "vasy viens en mp snap",
        "dm me on insta",
        "qui veut faire une visio ce soir",
    ],
)
def test_requests_to_move_elsewhere_are_caught(text: str) -> None:
    assert has_offplatform_request(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "j'ai vu ça sur tiktok hier",
        "la caméra de mon tel est cassée",
        "on a eu cours en visio",
        "the camera on this phone is great",
        "mon prof a fait une vidéo",
        "discord est en panne",
        "t'as vu mon message ?",
        "tu as un frère ?",
        "donne moi ton avis",
    ],
)
def test_mentions_of_apps_or_video_are_not_requests(text: str) -> None:
    assert not has_offplatform_request(normalise(text))
