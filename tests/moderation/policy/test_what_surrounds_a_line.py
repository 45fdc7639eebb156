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


# --- quoted from a work --------------------------------------------------------------------------

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


# --- banter --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "t'es trop bête jtm quand même",
    "you're such a dumbass, love you tho",
    "grosse débile va, bisous",
])
def test_an_insult_said_with_love_is_banter(text, seed_snapshot):
    assert has_affection(normalise(text))
    assert decision(text, seed_snapshot) == "allow"


@pytest.mark.parametrize("text", [
    "t'es qu'une grosse pute ❤️",  # a heart alone mocks as often as it loves
    "t'es qu'une grosse débile",
])
def test_hearts_alone_do_not_make_banter(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "block"


def test_banter_does_not_cover_a_threat(seed_snapshot):
    assert decision("jvais te buter jtm", seed_snapshot) == "hold"


# --- school years and adults' lives -------------------------------------------------------------

@pytest.mark.parametrize("text", ["je suis en terminale, spé SES", "chui au lycée en première", "im a senior in high school"])
def test_a_school_year_never_says_adult_in_a_minors_room(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "allow"


@pytest.mark.parametrize("text", [
    "j'ai deux gosses à peu près de ton âge",
    "chui papa depuis longtemps tu sais",
    "ma femme dit que je joue trop",
    "j'ai passé la quarantaine mais je joue encore",
    "my wife hates this game",
    "i could be your dad lol",
    "I'm in my forties but still gaming",
])
def test_an_adults_life_told_in_a_minors_room_is_held(text, seed_snapshot):
    assert adult_life_ages(normalise(text)) == (ADULT_LIFE_AGE,)
    assert decision(text, seed_snapshot) == "hold"
    assert decision(text, seed_snapshot, ADULTS_ROOM) == "allow"


@pytest.mark.parametrize("text", [
    "mes parents rentrent tard",
    "ma fille t'as vu son tiktok",  # what teenage girls call each other
    "je suis le papa de mon chat",
    "my mom and dad are strict",
    "mes enfants de la classe de soutien sont adorables",
])
def test_what_teenagers_say_is_not_an_adults_life(text):
    assert adult_life_ages(normalise(text)) == ()


# --- younger children sought ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "ya des cm2 ici ?",
    "qui est en sixième ?",
    "anyone in 5th grade here",
    "looking for younger friends to talk to",
    "je cherche des plus jeunes pour discuter",
])
def test_the_youngest_classes_or_younger_people_sought(text, seed_snapshot):
    assert has_minor_targeting(normalise(text))
    assert decision(text, seed_snapshot) == "block"


@pytest.mark.parametrize("text", [
    "ma soeur est en 6e",
    "les cp de mon école sont trop mignons",
    "I teach 5th graders",
    "qui est en 3e ici ? on révise le brevet",
    "any 9th graders here?",
])
def test_classes_talked_about_are_not_sought(text):
    assert not has_minor_targeting(normalise(text))


# --- pictures with a price, threats as typed, places asked for -----------------------------------

def test_pictures_asked_for_with_a_price_are_refused_where_minors_read(seed_snapshot):
    text = "envoie moi des photos de toi, 1500 robux pour toi"
    assert decision(text, seed_snapshot) == "block"
    assert decision("envoie moi une photo de toi", seed_snapshot) == "flag"
    assert decision("j'ai 1500 robux à dépenser", seed_snapshot) == "allow"
    assert decision(text, seed_snapshot, ADULTS_DM) == "allow"


@pytest.mark.parametrize("text", [
    "encore un mot et jte plante",
    "on a ton ip et ton vrai nom, fais gaffe",
    "la prochaine fois ça se passera mal",
    "i have your real name, watch yourself",
])
def test_threats_as_they_are_typed(text, seed_snapshot):
    assert has_threat(normalise(text))


@pytest.mark.parametrize("text", [
    "attends la prochaine game jte détruis",
    "jte tue mdr",
    "dépêche toi sinon ça va mal se passer avec le prof",
    "j'ai ton adresse, je t'envoie le faire-part",
])
def test_games_jokes_and_errands_are_not_threats(text):
    assert not has_threat(normalise(text))


def test_a_meeting_with_the_school_asked_for_is_held(seed_snapshot):
    assert decision("t'es dans quel collège ? on se capte après les cours", seed_snapshot) == "hold"
    assert decision("on se capte après les cours ?", seed_snapshot) == "allow"


def test_an_address_asked_for_in_short(seed_snapshot):
    assert decision("dis moi ta ville et ton adr", seed_snapshot) == "block"
    assert decision("j'ai changé d'adr", seed_snapshot) == "allow"


@pytest.mark.parametrize("text", ["je suis prof de physique au lycée", "mes impôts ont encore augmenté", "my mortgage is killing me"])
def test_what_only_grown_ups_have(text):
    assert adult_life_ages(normalise(text)) == (ADULT_LIFE_AGE,)


@pytest.mark.parametrize("text", ["mon prof de maths est relou", "je suis prof de guitare pour mon petit frère"])
def test_a_teacher_talked_about_is_not_the_writer(text):
    assert adult_life_ages(normalise(text)) == ()


@pytest.mark.parametrize("text", ["mon père va me tuer j'ai eu 4", "ma daronne va me tuer si je rentre tard"])
def test_someone_else_will_kill_me_is_not_self_harm(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "allow"


def test_wanting_to_die_still_gets_support(seed_snapshot):
    verdict = screen_text("je vais me tuer ce soir", snapshot=seed_snapshot, context=MINORS_ROOM)
    assert verdict.decision == "flag" and verdict.categories == ("self_harm",)


@pytest.mark.parametrize("text", ["envoie la photo de ton dessin stp", "send me a pic of your dog"])
def test_a_picture_of_the_readers_things_is_not_of_the_reader(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "allow"


def test_a_picture_of_the_reader_is_still_asked_for(seed_snapshot):
    assert decision("envoie une photo de ton corps", seed_snapshot) in ("flag", "block")


# --- More ways of saying it (written from what people type, not from a set kept apart) ------------

@pytest.mark.parametrize("text", [
    "on sait où tu habites", "je sais dans quel bahut tu vas", "je connais ton vrai nom et ton quartier",
    "tu vas regretter", "t'as intérêt à te taire", "tu vas te faire défoncer", "on va te retrouver",
    "you're dead meat", "you better watch your back", "we know where you live", "i'm coming for you",
    "you're gonna get hurt", "i'll find you", "you'll regret this", "say that again and see",
])
def test_intimidation_as_typed(text):
    assert has_threat(normalise(text))


@pytest.mark.parametrize("text", [
    "on va te retrouver au parc", "i'll find you a seat", "you're dead tired lol", "tu vas regretter de pas être venu",
    "you better run to catch the bus", "i'm coming for you at 8 to pick you up", "tu vas te faire défoncer par le prof",
    "je vais m'occuper de toi quand tu seras malade", "t'as intérêt à courir pour le bus",
])
def test_errands_and_jokes_that_sound_like_intimidation(text):
    assert not has_threat(normalise(text))


@pytest.mark.parametrize("text", [
    "dégage de ce salon", "casse toi d'ici", "t'es pathétique", "t'es une minable", "t'as aucun ami",
    "retourne pleurer", "you're hideous", "ur so pathetic", "you have no friends", "go away loser",
    "everybody thinks you're a freak",
])
def test_harassment_as_typed_is_refused_where_minors_read(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "block"


@pytest.mark.parametrize("text", [
    "t'as pas d'amis sur fortnite ? je t'ajoute", "t'as raté le bus ?", "dégage de la route", "i feel so ugly today",
    "ur not ugly at all",
])
def test_what_only_looks_like_harassment(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "allow"


@pytest.mark.parametrize("text", [
    "je suis majeur depuis longtemps", "I'm an adult", "i'm a grown woman", "im over 21", "je bosse depuis 12 ans",
    "quand j'étais à la fac", "j'ai le double de ton âge", "old enough to be your mom",
])
def test_saying_one_is_an_adult(text):
    assert adult_life_ages(normalise(text)) == (ADULT_LIFE_AGE,)


@pytest.mark.parametrize("text", ["je suis presque majeur", "je bosse depuis 2 ans au mcdo", "je serai majeur en mars"])
def test_almost_an_adult_is_not_one(text):
    assert adult_life_ages(normalise(text)) == ()


@pytest.mark.parametrize("text", [
    "j'ai pas le droit d'avoir insta", "ma prof principale m'a collé", "mon carnet de correspondance est signé",
    "im not allowed on tiktok", "my mom said i have to be home by 9",
])
def test_a_pupils_life_in_an_adults_room_is_held(text, seed_snapshot):
    assert decision(text, seed_snapshot, ADULTS_ROOM) == "hold"


@pytest.mark.parametrize("text", [
    "passe chez moi après", "monte dans ma voiture", "get in my car", "viens toute seule", "come alone",
    "je te récupère devant le collège", "je t'invite chez moi", "mes parents sont absents, tu viens ?",
])
def test_strong_invitations_are_meetings(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "hold"


# --- Emoji, profiles, group invitations, exposure -------------------------------------------------

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


@pytest.mark.parametrize("text", ["mon @ est dans ma bio", "my snap is in my bio", "scanne le QR code sur ma photo de profil"])
def test_an_account_pointed_at_in_the_profile(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "block"


def test_a_handle_after_a_word_is_not_an_email_address(seed_snapshot):
    verdict = screen_text("allez follow c @theatre.college.jaures", snapshot=seed_snapshot, context=MINORS_ROOM)
    assert "contact_email" not in verdict.reasons
    assert "contact_email" in screen_text("jean @ gmail.com", snapshot=seed_snapshot, context=MINORS_ROOM).reasons


@pytest.mark.parametrize("text", [
    "match de volley samedi 15h, venez nous encourager au gymnase",
    "soirée pizza chez Léa vendredi, vous venez ?",
])
def test_an_invitation_to_everyone_is_flagged_not_held_in_a_minors_room(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "flag"


def test_an_invitation_to_everyone_that_is_one_to_one_is_held(seed_snapshot):
    assert decision("venez seules chez moi samedi", seed_snapshot) == "hold"


@pytest.mark.parametrize("text", [
    "je vais balancer tes vieilles photos sur insta",
    "i'm gonna post your pics so everyone at school sees",
    "je sais que tu t'appelles Zoé et que t'es au collège Pasteur",
    "mes potes vont te retrouver",
    "i know ur name and which school u go to",
    "you'll get jumped, i'll make sure u get jumped",
])
def test_exposure_and_doxxing_are_held(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "hold"


@pytest.mark.parametrize("text", [
    "je vais poster tes photos de vacances sur le groupe de la famille",
    "tu vas pleurer, mon équipe est trop forte",
    "t'es qu'une grosse patate mdr",
    "chui crevée, j'ai couru toute la journée",
])
def test_family_albums_boasts_and_tiredness_pass(text, seed_snapshot):
    assert decision(text, seed_snapshot) == "allow"
