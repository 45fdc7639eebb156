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


# --- What names do that sentences do not (moderation/policy/names.py) -------------------------

from moderation.policy.names import name_categories, screen_name_text, segment, vocabulary_for  # noqa: E402

THIS_YEAR = 2026


def name_verdict(name: str, snapshot, context=PSEUDONYM):
    return screen_name_text(name, snapshot=snapshot, context=context, this_year=THIS_YEAR)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("bigdaddy4teens", "sexual_minors"),  # older + "4" + minor, glued after a name
        ("tontonpourados", "sexual_minors"),  # older + "pour" + minor, one word
        ("h0t_t33nz", "sexual_minors"),  # leetspeak, the minor word in its plural slang
        ("naughtyjeunette", "sexual_minors"),  # sexual + minor, one word
        ("recherche_jeunes", "sexual_minors"),  # seeking + young
        ("oncle4young", "sexual_minors"),  # older + for + young
        ("vieux_13", "sexual_minors"),  # older + an age
        ("gaaaars_15", "minor_coded"),  # person + age, stretched letters
        ("fille_seize", "minor_coded"),  # person + a spelled age
        ("boy2012", "minor_coded"),  # person + a minor's birth year
        ("zoe.kik", "contact_offplatform"),  # an app as a whole piece
        ("zoeonlyfans", "contact_offplatform"),  # an app glued after a name
        ("telegramzoe", "contact_offplatform"),  # a long app name glued before one
        ("zoe_O6_98_76_54_32", "contact_offplatform"),  # a phone number, letter O for zero
    ],
)
def test_names_that_pack_a_sentence_into_one_word_are_refused(seed_snapshot, name: str, category: str) -> None:
    for context in (PSEUDONYM, ROOM_NAME):
        verdict = name_verdict(name, seed_snapshot, context)
        assert verdict.decision == "block", (name, verdict)
        assert verdict.reasons == ("name_not_allowed",)
        assert category in verdict.categories, (name, verdict)


@pytest.mark.parametrize(
    "name",
    [
        "tom_du_13",  # a French département after "du"
        "dept_17_rando",  # after "dept"
        "noah16",  # a number beside a word the vocabulary does not know is not read as an age
        "papa_poule",  # an older word alone
        "jeune_maman",  # young + older without a "for" joining them
        "cherche_trouve",  # seeking alone
        "book4you",  # "4" for "for" with nothing to target
        "photographie",  # "hot" inside an ordinary word
        "installation_art",  # "insta" at the start of an ordinary word
        "snapshot_club",  # "snap" at the start of an ordinary word
        "thirteen_reasons_why",  # a spelled number beside words that are no person
        "mathis_2001",  # an adult's birth year
    ],
)
def test_ordinary_names_stay_allowed(seed_snapshot, name: str) -> None:
    for context in (PSEUDONYM, ROOM_NAME):
        verdict = name_verdict(name, seed_snapshot, context)
        assert verdict.decision == "allow", (name, verdict)


def test_an_at_handle_in_a_room_name_is_refused(seed_snapshot) -> None:
    verdict = name_verdict("Écrivez à @zoe_officiel", seed_snapshot, ROOM_NAME)
    assert verdict.decision == "block" and "contact_offplatform" in verdict.categories


def test_the_birth_year_rule_needs_the_year_and_moves_with_it(seed_snapshot) -> None:
    assert "minor_coded" in name_categories("girl2012", snapshot=seed_snapshot, this_year=2026)
    assert "minor_coded" not in name_categories("girl2012", snapshot=seed_snapshot, this_year=2035)
    assert "minor_coded" not in name_categories("girl2012", snapshot=seed_snapshot)


def test_a_name_refused_by_the_term_lists_keeps_its_reason_and_gains_the_names_category(seed_snapshot) -> None:
    verdict = name_verdict("ado_chaude_14", seed_snapshot)
    assert verdict.decision == "block" and verdict.reasons[0] == "name_not_allowed"
    assert "minor_coded" in verdict.categories and "sexual_minors" in verdict.categories


def test_an_operators_new_minor_term_is_a_word_names_are_cut_into(seed_snapshot) -> None:
    from moderation.policy import build_snapshot
    from moderation.policy.terms import TermEntry
    from moderation.seeds import load_seed_allow, load_seed_terms

    extended = build_snapshot(
        terms=[*load_seed_terms(), TermEntry(term="minot", category="minor_coded")],
        allow=load_seed_allow(), version="extended",
    )
    assert "sexual_minors" not in name_categories("hotminot", snapshot=seed_snapshot)
    assert "sexual_minors" in name_categories("hotminot", snapshot=extended)


def test_segmentation_prefers_words_that_mean_something(seed_snapshot) -> None:
    vocabulary = vocabulary_for(seed_snapshot)
    hot_teen = segment("hotteen", vocabulary)
    assert hot_teen is not None and hot_teen.full and {"sexual", "minor"} <= hot_teen.kinds
    young = segment("jeune", vocabulary)
    assert young is not None and young.words == ("jeune",)
    assert segment("photo", vocabulary) is None  # "hot" with letters around it is not read
