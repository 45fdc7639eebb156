"""Threats, sextortion, directed insults, hostility towards groups and school years: each detector on what it must
catch and on the ordinary sentences that look like it (written for these tests, not taken
from the scenario suite)."""

from __future__ import annotations

import pytest

from moderation.policy.detectors.hate import has_group_hostility
from moderation.policy.detectors.school import CHILDHOOD_AGE, ages_said, school_year_ages
from moderation.policy.detectors.threats import has_directed_insult, has_sextortion, has_threat
from moderation.policy.normalise import normalise

THREATS = [
    "je vais te tuer",
    "jvais te casser la gueule demain",
    "on va te tabasser à la sortie du bahut",
    "j'vais t'éclater ta tête",
    "je vais te faire vraiment mal",
    "on va brûler ta maison",
    "je vais venir au collège avec un couteau",
    "tu vas finir à l'hosto",
    "tu vas le regretter toute ta vie",
    "je sais où tu habites",
    "je connais ton adresse, fais gaffe quand tu sors",
    "je vais te suivre et te planter",
    "va te pendre",
    "suicide toi personne t'aime",
    "I'll kill you",
    "im gonna beat the shit out of you",
    "i know where u live",
    "watch your back",
    "we're gonna hurt your family",
    "kys",
    "ce soir a la sortie t'es mort",
    "vendredi t'es mort toi",
    "je te défonce si tu recommences",
    "on vous bute tous",
    "tu mérites de mourir",
    "les gens comme toi devraient crever",
    "on va te choper et te peter les genoux",
    "i've got your address, think about it",
    "you have 2 days until we find you",
    "people like you deserve to die",
    "we'll pull up to your school with the boys",
]
NOT_THREATS = [
    "ma mère va me tuer quand elle verra mon bulletin",
    "je vais te défoncer à Mario Kart ce soir",
    "tu vas mourir de rire devant ce film",
    "je vais te retrouver devant le ciné à 14h",
    "je peux te trouver le lien si tu veux",
    "tu vas payer combien pour la sortie ?",
    "je vais couper le pain avec un couteau",
    "fais gaffe à toi, bisous",
    "i'm not gonna hurt you, promise",
    "i'll get you a coffee",
    "this game is killing me",
    "je me suis fait mal au genou au foot",
    "t'es mort de rire ou quoi",
    "j'ai ton adresse pour l'invitation ?",
    "jte défonce mdr t'es trop nul à ce jeu",
    "je te frappe pas, t'inquiète",
    "vendredi t'es mort de rire tu vas voir le spectacle",
    "lundi t'es mort en anglais, le contrôle est horrible",
    "i have your address for the wedding card",
    "you have 2 days until the deadline",
    "we'll pull up to your house for the barbecue",
]
SEXTORTION = [
    "envoie une autre photo sinon je la montre à tes parents",
    "tu me verses 50€ sinon la vidéo part à tous tes contacts",
    "si tu m'envoies pas plus je balance tes photos à ta classe",
    "send more pics or i'll post them online",
    "pay me or everyone sees your nudes",
]
NOT_SEXTORTION = [
    "sinon ça va ? t'as vu les photos de la soirée ?",
    "envoie-moi le lien sinon je t'envoie le mien",
    "or i'll send you the link tomorrow",
    "sinon on se fait un film ce week-end",
    "if you don't like it, tell me",
]
INSULTS = [
    "t'es qu'une grosse vache",
    "espèce de bouffon",
    "sale thon",
    "t'es vraiment un gros débile",
    "personne veut de toi ici",
    "tout le monde se fout de ta gueule",
    "t'as une tête de cul",
    "pd pd pd",
    "you're such a loser",
    "shut up you fat ugly bitch",
    "nobody likes you",
    "ur trash",
]
NOT_INSULTS = [
    "t'es la meilleure",
    "t'es grave douée",
    "le linge sale est dans le panier",
    "la vache, t'es trop forte au basket",
    "jvais etre en retard jle sens",
    "personne ne sait la réponse ?",
    "did you trash the old drawings?",
    "you're a legend",
    "nobody asked the teacher",
    "t'es un rat, tu partages jamais tes bonbons mdr",
]
GROUP_HOSTILITY = [
    "les immigrés sont tous des parasites",
    "pourquoi les musulmans sont-ils toujours aussi violents ?",
    "je trouve les lesbiennes répugnantes",
    "les personnes handicapées ne sont pas des êtres humains",
    "les juifs comme toi devraient disparaître",
    "les roms n'ont rien à faire ici",
    "il faudrait exterminer ces réfugiés",
    "je n'ai que du mépris pour les homos",
    "c'est typique des femmes d'être hystériques",
    "mort aux arabes",
    "gays are disgusting",
    "immigrants should all be deported",
]
NOT_GROUP_HOSTILITY = [
    "les moustiques sont des parasites",
    "les banquiers sont tous des voleurs",
    "les femmes sont géniales",
    "les musulmans ne sont pas dangereux",
    "les réfugiés devraient être accueillis dignement",
    "dire que les immigrés sont des parasites, c'est raciste",
    "I wrote 'muslims are animals' in my essay about propaganda that I find unacceptable",
    "mes copines sont des folles mdr",
]
SCHOOL_YEARS = [
    ("jsuis en 5eme", 13),
    ("je suis qu'en 4e", 14),
    ("moi en 3ème", 15),
    ("je suis en seconde", 16),
    ("jsuis en cm2 mais je m'ennuie", 11),
    ("ma classe de 6e est nulle", 12),
    ("jsuis au collège moi", 15),
    ("je suis collégienne", 15),
    ("j'ai brevet blanc demain", 15),
    ("i'm in year 8", 13),
    ("im in 7th grade", 13),
    ("i'm still in middle school", 14),
    ("trop hâte du voyage de 3eme en angleterre, la sortie de 3e c'est le meilleur", 15),
    ("mes potes de 5e sont trop drôles", 13),
    ("i just finished eighth grade!!", 14),
    ("i'm starting ninth grade next week", 15),
    ("i go to a primary near the park", 11),
    ("it's my last year of middle school", 14),
]
CHILDHOOD = [
    "mes parents veulent pas que je sorte après 20h",
    "ma daronne m'a pris mon portable jusqu'à lundi",
    "jsuis privée de console cette semaine",
    "je rate tout le temps le car scolaire",
    "on joue au foot à la récré",
    "my dad took my phone again",
    "i got grounded for a week",
    "my mom makes me go to bed at 9",
    "my parents don't let me have tiktok",
]
NOT_CHILDHOOD = [
    "ma mère veut pas que je lui offre des fleurs, elle est allergique",
    "mes parents m'ont pris des billets pour le concert",
    "my dad won't let me pay the bill",
    "the school bus was late for my daughter",
    "j'ai pris le bus ce matin",
]
NOT_SCHOOL_YEARS = [
    "mon fils est en 5e",
    "quand j'étais en 3e j'adorais ça",
    "je suis prof de 4e",
    "je suis en terminale",  # pupils of terminale may be adults
    "je suis en première ligne sur ce dossier",
    "je suis en 1ère année de master",
    "my daughter is in year 8",
    "my high school friends are coming",
    "i'm in 12th grade",  # seniors may be 18
    "mon prof de 4e était génial à l'époque",
    "my son finished sixth grade",
    "i teach seventh grade science",
    "my 8th grade teacher was strict",
    "j'habite dans le 5eme",
]


CASES = [
    (detector, text, expected)
    for detector, found, not_found in ((has_threat, THREATS, NOT_THREATS),
                                       (has_sextortion, SEXTORTION, NOT_SEXTORTION),
                                       (has_directed_insult, INSULTS, NOT_INSULTS),
                                       (has_group_hostility, GROUP_HOSTILITY, NOT_GROUP_HOSTILITY))
    for texts, expected in ((found, True), (not_found, False))
    for text in texts
]


@pytest.mark.parametrize(("detector", "text", "expected"), CASES,
                         ids=[f"{d.__name__}:{t}" for d, t, _ in CASES])
def test_each_detector_finds_its_kind_and_not_the_ordinary_sentences_like_it(detector, text, expected):
    assert detector(normalise(text)) is expected


@pytest.mark.parametrize(("text", "age"), SCHOOL_YEARS)
def test_a_school_year_gives_the_oldest_usual_age(text, age):
    assert max(school_year_ages(normalise(text))) == age


@pytest.mark.parametrize("text", CHILDHOOD)
def test_a_childs_everyday_life_gives_a_minors_age(text):
    assert ages_said(normalise(text)) == (CHILDHOOD_AGE,)


@pytest.mark.parametrize("text", NOT_CHILDHOOD)
def test_an_adults_parents_or_children_give_no_age(text):
    assert ages_said(normalise(text)) == ()


@pytest.mark.parametrize("text", NOT_SCHOOL_YEARS)
def test_someone_elses_or_an_adults_year_gives_no_minor_age(text):
    assert all(age >= 18 for age in school_year_ages(normalise(text)))
