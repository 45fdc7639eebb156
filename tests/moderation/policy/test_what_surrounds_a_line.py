"""What surrounds a line changes what it is: a threat quoted from a film, an insult said with
love, a school year, an adult's life told where minors meet, a young class sought, pictures with
a price, a meeting with the place asked for. Sentences written for these tests, not taken from
the scenario suite or the sets kept for measuring."""

from __future__ import annotations

import pytest

from moderation.policy.detectors.age import ADULT_LIFE_AGE, adult_life_ages
from moderation.policy.detectors.quotation import outside_quotation
from moderation.policy.detectors.targeting import has_minor_targeting
from moderation.policy.detectors.threats import has_affection, has_threat
from moderation.policy.normalise import normalise
from moderation.policy.screening import screen_text

from .conftest import ADULTS_DM, ADULTS_ROOM, MINORS_ROOM


def decision(text, snapshot, context=MINORS_ROOM):
    return screen_text(text, snapshot=snapshot, context=context).decision


# Sentences two tables below share.
BANTER = [
    "t'es trop bête jtm quand même",
    "you're such a dumbass, love you tho",
    "grosse débile va, bisous",
]
ADULTS_LIVES = [
    "j'ai deux gosses à peu près de ton âge",
    "chui papa depuis longtemps tu sais",
    "ma femme dit que je joue trop",
    "j'ai passé la quarantaine mais je joue encore",
    "my wife hates this game",
    "i could be your dad lol",
    "I'm in my forties but still gaming",
]
YOUNGER_SOUGHT = [
    "ya des cm2 ici ?",
    "qui est en sixième ?",
    "anyone in 5th grade here",
    "looking for younger friends to talk to",
    "je cherche des plus jeunes pour discuter",
]


# Each row: what a kind of sentence is, where it is written, what the gate decides, and
# sentences of that kind (written for these tests, not taken from any scenario set).
DECIDED = [
    ("an_insult_said_with_love_is_banter", MINORS_ROOM, "allow", BANTER),
    ("an_adults_life_told_in_a_minors_room_is_held", MINORS_ROOM, "hold", ADULTS_LIVES),
    ("an_adults_life_in_an_adults_room_is_ordinary", ADULTS_ROOM, "allow", ADULTS_LIVES),
    ("the_youngest_classes_or_younger_people_sought", MINORS_ROOM, "block", YOUNGER_SOUGHT),
    ("hearts_alone_do_not_make_banter", MINORS_ROOM, "block", [
    "t'es qu'une grosse pute ❤️",  # a heart alone mocks as often as it loves
    "t'es qu'une grosse débile",
]),
    ("a_school_year_never_says_adult_in_a_minors_room", MINORS_ROOM, "allow", ["je suis en terminale, spé SES", "chui au lycée en première", "im a senior in high school"]),
    ("someone_else_will_kill_me_is_not_self_harm", MINORS_ROOM, "allow", ["mon père va me tuer j'ai eu 4", "ma daronne va me tuer si je rentre tard"]),
    ("a_picture_of_the_readers_things_is_not_of_the_reader", MINORS_ROOM, "allow", ["envoie la photo de ton dessin stp", "send me a pic of your dog"]),
    ("harassment_as_typed_is_refused_where_minors_read", MINORS_ROOM, "block", [
    "dégage de ce salon", "casse toi d'ici", "t'es pathétique", "t'es une minable", "t'as aucun ami",
    "retourne pleurer", "you're hideous", "ur so pathetic", "you have no friends", "go away loser",
    "everybody thinks you're a freak",
]),
    ("what_only_looks_like_harassment", MINORS_ROOM, "allow", [
    "t'as pas d'amis sur fortnite ? je t'ajoute", "t'as raté le bus ?", "dégage de la route", "i feel so ugly today",
    "ur not ugly at all",
]),
    ("a_pupils_life_in_an_adults_room_is_held", ADULTS_ROOM, "hold", [
    "j'ai pas le droit d'avoir insta", "ma prof principale m'a collé", "mon carnet de correspondance est signé",
    "im not allowed on tiktok", "my mom said i have to be home by 9",
]),
    ("strong_invitations_are_meetings", MINORS_ROOM, "hold", [
    "passe chez moi après", "monte dans ma voiture", "get in my car", "viens toute seule", "come alone",
    "je te récupère devant le collège", "je t'invite chez moi", "mes parents sont absents, tu viens ?",
]),
    ("an_account_pointed_at_in_the_profile", MINORS_ROOM, "block", ["mon @ est dans ma bio", "my snap is in my bio", "scanne le QR code sur ma photo de profil"]),
    ("an_invitation_to_everyone_is_flagged_not_held_in_a_minors_room", MINORS_ROOM, "flag", [
    "match de volley samedi 15h, venez nous encourager au gymnase",
    "soirée pizza chez Léa vendredi, vous venez ?",
]),
    ("exposure_and_doxxing_are_held", MINORS_ROOM, "hold", [
    "je vais balancer tes vieilles photos sur insta",
    "i'm gonna post your pics so everyone at school sees",
    "je sais que tu t'appelles Zoé et que t'es au collège Pasteur",
    "mes potes vont te retrouver",
    "i know ur name and which school u go to",
    "you'll get jumped, i'll make sure u get jumped",
]),
    ("family_albums_boasts_and_tiredness_pass", MINORS_ROOM, "allow", [
    "je vais poster tes photos de vacances sur le groupe de la famille",
    "tu vas pleurer, mon équipe est trop forte",
    "t'es qu'une grosse patate mdr",
    "chui crevée, j'ai couru toute la journée",
]),
]

# Each row: a detector, what it must answer, and sentences it must answer so for.
DETECTED = [
    ("affection", has_affection, True, BANTER),
    ("an_adults_life", adult_life_ages, (ADULT_LIFE_AGE,), ADULTS_LIVES),
    ("younger_children_sought", has_minor_targeting, True, YOUNGER_SOUGHT),
    ("what_teenagers_say_is_not_an_adults_life", adult_life_ages, (), [
    "mes parents rentrent tard",
    "ma fille t'as vu son tiktok",  # what teenage girls call each other
    "je suis le papa de mon chat",
    "my mom and dad are strict",
    "mes enfants de la classe de soutien sont adorables",
]),
    ("classes_talked_about_are_not_sought", has_minor_targeting, False, [
    "ma soeur est en 6e",
    "les cp de mon école sont trop mignons",
    "I teach 5th graders",
    "qui est en 3e ici ? on révise le brevet",
    "any 9th graders here?",
]),
    ("threats_as_they_are_typed", has_threat, True, [
    "encore un mot et jte plante",
    "on a ton ip et ton vrai nom, fais gaffe",
    "la prochaine fois ça se passera mal",
    "i have your real name, watch yourself",
]),
    ("games_jokes_and_errands_are_not_threats", has_threat, False, [
    "attends la prochaine game jte détruis",
    "jte tue mdr",
    "dépêche toi sinon ça va mal se passer avec le prof",
    "j'ai ton adresse, je t'envoie le faire-part",
]),
    ("what_only_grown_ups_have", adult_life_ages, (ADULT_LIFE_AGE,), ["je suis prof de physique au lycée", "mes impôts ont encore augmenté", "my mortgage is killing me"]),
    ("a_teacher_talked_about_is_not_the_writer", adult_life_ages, (), ["mon prof de maths est relou", "je suis prof de guitare pour mon petit frère"]),
    ("intimidation_as_typed", has_threat, True, [
    "on sait où tu habites", "je sais dans quel bahut tu vas", "je connais ton vrai nom et ton quartier",
    "tu vas regretter", "t'as intérêt à te taire", "tu vas te faire défoncer", "on va te retrouver",
    "you're dead meat", "you better watch your back", "we know where you live", "i'm coming for you",
    "you're gonna get hurt", "i'll find you", "you'll regret this", "say that again and see",
]),
    ("errands_and_jokes_that_sound_like_intimidation", has_threat, False, [
    "on va te retrouver au parc", "i'll find you a seat", "you're dead tired lol", "tu vas regretter de pas être venu",
    "you better run to catch the bus", "i'm coming for you at 8 to pick you up", "tu vas te faire défoncer par le prof",
    "je vais m'occuper de toi quand tu seras malade", "t'as intérêt à courir pour le bus",
]),
    ("saying_one_is_an_adult", adult_life_ages, (ADULT_LIFE_AGE,), [
    "je suis majeur depuis longtemps", "I'm an adult", "i'm a grown woman", "im over 21", "je bosse depuis 12 ans",
    "quand j'étais à la fac", "j'ai le double de ton âge", "old enough to be your mom",
]),
    ("almost_an_adult_is_not_one", adult_life_ages, (), ["je suis presque majeur", "je bosse depuis 2 ans au mcdo", "je serai majeur en mars"]),
]


@pytest.mark.parametrize("context, expected, text", [
    pytest.param(context, expected, text, id=f"{name}: {text}")
    for name, context, expected, texts in DECIDED for text in texts
])
def test_what_the_gate_decides(context, expected, text, seed_snapshot):
    assert decision(text, seed_snapshot, context) == expected


@pytest.mark.parametrize("detector, expected, text", [
    pytest.param(detector, expected, text, id=f"{name}: {text}")
    for name, detector, expected, texts in DETECTED for text in texts
])
def test_what_a_detector_answers(detector, expected, text):
    assert detector(normalise(text)) == expected


@pytest.mark.parametrize("text", [
    'la réplique du film « je vais te retrouver » m\'a fait flipper',
    'trop culte la scène "je sais où tu habites" dans la série',
    'that movie line "I will find you and I will kill you" is the best',
])
def test_a_threat_quoted_from_a_work_is_delivered(text, seed_snapshot):
    assert not has_threat(normalise(text))
    assert decision(text, seed_snapshot) == "allow"


@pytest.mark.parametrize("text", [
    'comme dans le film "je sais où tu habites" : moi aussi je sais où tu habites',
    '"je sais où tu habites" fais gaffe',  # quotation marks without a work named
    'je vais te retrouver, comme le film',  # a work named, nothing quoted
])
def test_quotation_marks_are_no_cover_for_a_threat(text, seed_snapshot):
    assert decision(text, seed_snapshot) in ("hold", "block")


def test_outside_quotation_needs_both_marks_and_a_work():
    assert outside_quotation(normalise('le film "je vais te tuer"')) is not None
    assert outside_quotation(normalise('"je vais te tuer"')) is None
    assert outside_quotation(normalise("le film je vais te tuer")) is None


def test_banter_does_not_cover_a_threat(seed_snapshot):
    assert decision("jvais te buter jtm", seed_snapshot) == "hold"


def test_pictures_asked_for_with_a_price_are_refused_where_minors_read(seed_snapshot):
    text = "envoie moi des photos de toi, 1500 robux pour toi"
    assert decision(text, seed_snapshot) == "block"
    assert decision("envoie moi une photo de toi", seed_snapshot) == "flag"
    assert decision("j'ai 1500 robux à dépenser", seed_snapshot) == "allow"
    assert decision(text, seed_snapshot, ADULTS_DM) == "allow"


def test_a_meeting_with_the_school_asked_for_is_held(seed_snapshot):
    assert decision("t'es dans quel collège ? on se capte après les cours", seed_snapshot) == "hold"
    assert decision("on se capte après les cours ?", seed_snapshot) == "allow"


def test_an_address_asked_for_in_short(seed_snapshot):
    assert decision("dis moi ta ville et ton adr", seed_snapshot) == "block"
    assert decision("j'ai changé d'adr", seed_snapshot) == "allow"


def test_wanting_to_die_still_gets_support(seed_snapshot):
    verdict = screen_text("je vais me tuer ce soir", snapshot=seed_snapshot, context=MINORS_ROOM)
    assert verdict.decision == "flag" and verdict.categories == ("self_harm",)


def test_a_picture_of_the_reader_is_still_asked_for(seed_snapshot):
    assert decision("envoie une photo de ton corps", seed_snapshot) in ("flag", "block")


@pytest.mark.parametrize("text, where, expected", [
    ("t'as déjà vu un 🍆 ?", MINORS_ROOM, "block"),
    ("🍑💦 ce soir ?", MINORS_ROOM, "block"),
    ("j'adore les pêches 🍑", MINORS_ROOM, "allow"),
    ("🍆 à la parmesane ce soir", ADULTS_ROOM, "allow"),  # adults' rooms let sexual words through too
    ("jvais te 🔪", MINORS_ROOM, "hold"),
    ("je te donne 💰 si tu m'envoies une photo de toi", MINORS_ROOM, "block"),
])
def test_emoji_that_stand_for_words(text, where, expected, seed_snapshot):
    assert decision(text, seed_snapshot, where) == expected


def test_a_handle_after_a_word_is_not_an_email_address(seed_snapshot):
    verdict = screen_text("allez follow c @theatre.college.jaures", snapshot=seed_snapshot, context=MINORS_ROOM)
    assert "contact_email" not in verdict.reasons
    assert "contact_email" in screen_text("jean @ gmail.com", snapshot=seed_snapshot, context=MINORS_ROOM).reasons


def test_an_invitation_to_everyone_that_is_one_to_one_is_held(seed_snapshot):
    assert decision("venez seules chez moi samedi", seed_snapshot) == "hold"
