"""A detector's cues only skip work: with or without them, every answer is the same.

The cues (moderation/policy/detectors/__init__.py) are words that every match of a
detector's patterns contains. Here each cued detector is compared with its patterns alone on
texts generated from those very patterns (every alternative, many times over), on the phrases
of the detectors' own tests and on the benchmark's conversations.
"""

from __future__ import annotations

import ast
import random
import re
import re._parser as sre_parse
from pathlib import Path

import pytest

from moderation.policy.detectors import age, contact, hate, meeting, school, solicitation, targeting, threats
from moderation.policy.normalise import normalise

ROOT = Path(__file__).resolve().parents[3]

# (cued detector, the same question without cues, the patterns to generate texts from)
DETECTORS = {
    "offplatform_request": (contact.has_offplatform_request, contact._offplatform_request,
                            [contact._CONTACT_REQUEST_RE, contact._HAVE_APP_RE,
                             contact._CONTINUE_ELSEWHERE_RE, contact._PRIVATE_ELSEWHERE_RE,
                             contact._VIDEO_REQUEST_RE, contact._ELSEWHERE_IN_PROFILE_RE]),
    "handle": (contact.has_handle, lambda text: contact.has_ghost_handle(text) or contact._handle(text),
               [contact._ADD_ME_RE, contact._MY_HANDLE_RE, contact._APP_COLON_HANDLE_RE,
                contact._APP_THEN_HANDLE_RE, contact._GHOST_HANDLE_RE]),
    "meeting": (meeting.has_meeting_arrangement,
                lambda text: meeting.has_address(text) or meeting._invitation_with_place_or_time(text),
                [meeting._STRONG_INVITATION_RE, meeting._INVITATION_RE, meeting._PLACE_RE,
                 meeting._PRECISE_TIME_RE]),
    "photo_request": (solicitation.has_photo_request, solicitation._photo_request,
                      [solicitation._PHOTO_REQUEST_RE]),
    "gift_offer": (solicitation.has_gift_offer, solicitation._gift_offer, [solicitation._GIFT_OFFER_RE]),
    "secrecy_request": (solicitation.has_secrecy_request, solicitation._secrecy_request,
                        [solicitation._SECRECY_RE]),
    "stated_ages": (age.stated_ages, age._stated_ages, list(age._STATEMENT_RES)),
    "school_year_ages": (school.school_year_ages, school._school_year_ages,
                         [*school._FR_RES, school._EN_YEAR_RE, school._EN_GRADE_RE, school._EN_SCHOOL_RE,
                          school._EN_FRESHMAN_RE, school._EN_MY_GRADE_RE, school._EN_GO_TO_SCHOOL_RE]),
    "childhood_ages": (school.childhood_ages, school._childhood_ages, list(school._CHILDHOOD_RES)),
    "minor_targeting": (targeting.has_minor_targeting, targeting._minor_targeting,
                        # a target alone never fires: generated with a call after it
                        [re.compile(f"(?:{targeting._TARGET_RE.pattern}) (?:mp moi|dm me|je cherche|ajoute moi)"),
                         targeting._YOUNG_CLASS_RE, targeting._YOUNGER_RE, targeting._YOUNG_GRADE_RE]),
    "adult_life_ages": (age.adult_life_ages, age._adult_life_ages, [age._ADULT_LIFE_RE]),
    "group_hostility": (hate.has_group_hostility, hate._group_hostility,
                        [hate._GROUP_HATE_FR_RE, hate._GROUP_HATE_EN_RE]),
    "threat": (threats.has_threat, threats._threat, [threats._THREAT_FR_RE, threats._THREAT_EN_RE]),
    "sextortion": (threats.has_sextortion, threats._sextortion,
                   # its three parts in their order, and each alone
                   [re.compile(f"(?:{threats._CONDITION_RE.pattern}) (?:{threats._SPREAD_RE.pattern}) "
                               f"(?:{threats._EXPOSURE_RE.pattern})"),
                    threats._CONDITION_RE, threats._SPREAD_RE, threats._EXPOSURE_RE]),
    "directed_insult": (threats.has_directed_insult, threats._directed_insult,
                        [threats._INSULT_FR_RE, threats._INSULT_EN_RE]),
}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _generate(nodes, rng: random.Random) -> str:
    """A random string that the parsed pattern (sre) would try to match: each alternative,
    class and repeat chosen at random; assertions and boundaries are left out."""
    out: list[str] = []
    for op, arg in nodes:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("x" if chr(arg) != "x" else "y")
        elif name == "ANY":
            out.append(rng.choice(_LETTERS))
        elif name == "IN":
            out.append(_one_of_class(arg, rng))
        elif name == "BRANCH":
            out.append(_generate(rng.choice(arg[1]), rng))
        elif name == "SUBPATTERN":
            out.append(_generate(arg[-1], rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, item = arg
            count = rng.randint(low, min(high, low + 2))
            out.extend(_generate(item, rng) for _ in range(count))
        elif name == "CATEGORY":
            out.append(_category(str(arg), rng))
        # AT (\b, ^, $), ASSERT, ASSERT_NOT, GROUPREF: nothing to add
    return "".join(out)


def _one_of_class(items, rng: random.Random) -> str:
    choices: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            return "x"
        if name == "LITERAL":
            choices.append(chr(arg))
        elif name == "RANGE":
            choices.append(chr(rng.randint(arg[0], arg[1])))
        elif name == "CATEGORY":
            choices.append(_category(str(arg), rng))
    return rng.choice(choices) if choices else "x"


def _category(name: str, rng: random.Random) -> str:
    if "DIGIT" in name and "NOT" not in name:
        return rng.choice("0123456789")
    if "SPACE" in name and "NOT" not in name:
        return " "
    return rng.choice(_LETTERS)


def _generated_texts(patterns: list[re.Pattern[str]], count: int) -> list[str]:
    rng = random.Random(20261129)
    texts = []
    for pattern in patterns:
        parsed = sre_parse.parse(pattern.pattern)
        for _ in range(count):
            texts.append(_generate(list(parsed), rng))
    return texts


def _test_phrases() -> list[str]:
    """Every string in this folder's tests and in the benchmark's conversations."""
    phrases = []
    files = [*Path(__file__).parent.glob("test_*.py"), ROOT / "bench" / "data" / "conversations.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
                phrases.append(node.value)
    return phrases


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_cues_never_change_a_detectors_answer(name):
    cued, plain, patterns = DETECTORS[name]
    texts = _generated_texts(patterns, 3000) + _test_phrases()
    disagreements = []
    fired = 0
    for raw in texts:
        for text in (raw, f"bon alors {raw} quoi", raw.upper()):
            normalised = normalise(text)
            expected = plain(normalised)
            fired += bool(expected)
            if cued(normalised) != expected:
                disagreements.append(text)
    assert not disagreements, disagreements[:10]
    # The generated texts do exercise the detector: many of them are detections.
    assert fired > 1000


def test_the_usual_chat_line_skips_every_phrase_pattern():
    text = normalise("quel film vous avez vu ce week-end ?")
    for name, (cued, _plain, _patterns) in DETECTORS.items():
        assert not cued(text), name
