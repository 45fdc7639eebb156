"""First-person age statements: "j'ai 13 ans", "I'm 14", "13yo", "14 y/o", "jai 15ans".

Only the speaker's own age: "mon frère a 12 ans" and "I'm 5 minutes away" are not statements.
Read on the ``folded`` form, where digits and apostrophes are kept.
"""

from __future__ import annotations

import re

from moderation.policy.detectors.numbers import TEENS
from moderation.policy.normalise import NormalisedText

# Ages said in words: the teens (numbers.TEENS), and what the folded form keeps apart from
# them: French 17 to 19 written with a hyphen, a space or (17, 18) as one word, and 20.
_AGE_WORDS: dict[str, int] = {
    **TEENS,
    "dix-sept": 17,
    "dix sept": 17,
    "dixsept": 17,
    "dix-huit": 18,
    "dix huit": 18,
    "dixhuit": 18,
    "dix-neuf": 19,
    "dix neuf": 19,
    "vingt": 20,
    "twenty": 20,
}
_NUMBER = (
    r"(\d{1,2}|"
    + "|".join(sorted((re.escape(w) for w in _AGE_WORDS), key=len, reverse=True))
    + r")"
)
_FR_QUALIFIER = (
    r"(?:(?:eu|bientot|presque|deja|que|seulement|juste|pas encore|genre|environ|tout juste)\s+)?"
)
_EN_QUALIFIER = r"(?:(?:only|just|almost|nearly|about|turning|barely)\s+)?"
# What follows a number that makes "I'm 5 …" something else than an age.
_NOT_AN_AGE = (
    r"(?!\s*(?:%|h\b|hours?|hrs?|mins?|minutes?|secs?|seconds?|days?|weeks?|months?|m\b|km|"
    r"miles?|ft|feet|cm|kg|lbs?|pounds?|euros?|dollars?|\$|€|times|x\b|of\b|percent|out of|"
    r"in line|:\d|\.\d|,\d|th\b|st\b|nd\b|rd\b|pm\b|am\b|o'?clock|inches|foot|stone|points?|pts|"
    r"levels?|games?|kills?|wins?|/10|/20|-\d))"
)
_STATEMENT_RES: tuple[re.Pattern[str], ...] = (
    # j'ai 13 ans, jai 15ans, j ai treize ans, j'ai eu 14 ans (not "j'ai 2 ans d'expérience")
    re.compile(rf"\bj\s?'?\s?ai\s+{_FR_QUALIFIER}{_NUMBER}\s*ans\b(?!\s*(?:d'|de\b|d\s|que\b))"),
    re.compile(rf"\bje (?:vais avoir|vais sur mes|fete mes|suis age(?:e)? de)\s+{_NUMBER}\s*ans\b"),
    re.compile(rf"\b(?:moi|perso|jsuis|je suis)\s*:?\s*{_NUMBER}\s*ans\b"),
    # SMS spellings: "g 13 ans" (= j'ai), "moi c 14", "moi c'est 15 ans"
    re.compile(rf"\bg\s+{_NUMBER}\s*ans\b"),
    re.compile(rf"\bmoi\s+c(?:'?\s?est)?\s+{_NUMBER}\b(?:\s*ans)?(?!\s*(?:h\b|heures?|min|euros?|€|%))"),
    re.compile(rf"\b{_NUMBER}\s*ans\s*(?:et toi|ici|moi|perso|\(moi\))"),
    # I'm 14, im 14, i am 14 (not "I'm 5 minutes away")
    re.compile(rf"\b(?:i'?m|i am|ima)\s+{_EN_QUALIFIER}{_NUMBER}\b{_NOT_AN_AGE}"),
    re.compile(rf"\bmy age is\s+{_NUMBER}\b|\bage\s*[:=]\s*{_NUMBER}\b"),
    # 13yo, 14 y/o, 14 y.o.  (self-descriptions in profiles and intros)
    re.compile(
        rf"\b{_NUMBER}\s*(?:yo|y/o|y\.o\.?|yrs? old|years? old)\b(?!\s+(?:brother|"
        rf"sister|son|daughter|kid|child|cousin|dog|cat))"
    ),
    # "14/f", "15 / m / paris" (asl answers)
    re.compile(rf"(?:^|\s){_NUMBER}\s*/\s*(?:f|m|h)\b"),
)
# Cheap gate before the eight patterns: a number (digits or words) and an age cue must both occur.
_HAS_NUMBER_RE = re.compile(
    r"\d|\b(?:dix|onze|douze|treize|quatorze|quinze|seize|vingt|ten|eleven|twelve|\w+teen|twenty)\b"
)
_HAS_CUE_RE = re.compile(
    r"(?<![a-z])(?:ans|yo|y/o|y\.o|yrs?|years?)\b|\bi'?m\b|\bi am\b|\bima\b|\bage\b|/|\bmoi c\b"
)


# Cheaper still, first: a piece of text that every match of `_HAS_CUE_RE` contains (the
# detectors' cues, detectors/__init__.py; here substrings, the patterns read `folded`).
_CUE_PIECE_RE = re.compile(r"ans|yo|y/o|y\.o|yr|year|i'm|im|i am|age|/|moi c")


def stated_ages(text: NormalisedText) -> tuple[int, ...]:
    """Ages the writer states about themself, in order of appearance, deduplicated."""
    if _CUE_PIECE_RE.search(text.folded) is None:
        return ()
    return _stated_ages(text)


def _stated_ages(text: NormalisedText) -> tuple[int, ...]:
    folded = text.folded
    if _HAS_CUE_RE.search(folded) is None or _HAS_NUMBER_RE.search(folded) is None:
        return ()
    ages: list[int] = []
    for pattern in _STATEMENT_RES:
        for match in pattern.finditer(folded):
            raw = next(group for group in match.groups() if group)
            age = int(raw) if raw.isdigit() else _AGE_WORDS[raw]
            # 5..99: "I'm 2 …" or "j'ai 0 ans" is not a human age worth acting on.
            if 5 <= age <= 99 and age not in ages:
                ages.append(age)
    return tuple(ages)


# --- An adult's life, without a number ------------------------------------------------------------

# "j'ai des enfants de ton âge", "chui daron depuis 10 ans", "j'ai passé la trentaine", "my wife",
# "I could be your dad": what only an adult says of themself. Given as ADULT_LIFE_AGE, which is
# what matters where minors meet (policy/screening.py). Not "ma fille" or "mon fils", which
# teenagers call each other, nor a job or a car, which 16- and 17-year-olds may have.
ADULT_LIFE_AGE = 30
_ADULT_LIFE_RE = re.compile(
    r"\b(?:j ai|jai|g) (?:des|deux|trois|quatre|2|3|4) (?:enfants|gosses|mioches|petits enfants)\b"
    r"|\bmes (?:deux |trois |quatre |2 |3 |4 |petits |)(?:enfants|gosses|mioches|petits enfants)\b"
    r"(?! (?:de la classe|du groupe|du serveur))"
    r"|\bquand (?:t etais|tu etais|t etait) (?:meme )?pas (?:nee?|encore nee?)\b|\bbefore (?:you|u) were (?:even )?born\b"
    r"|\bgraduated (?:from )?(?:college|uni|university|high school) (?:ages|years|a long time|decades) ago\b"
    r"|\b(?:i|just) (?:pay|paying) (?:rent|a mortgage|my mortgage|taxes|the bills|bills)\b"
    r"|\b(?:je suis|jsuis|chui|chuis|j suis) (?:(?:un|une|moi meme|moi aussi|deja|aussi)\s+)*(?:papa|daron|daronne|"
    r"pere de famille|mere de famille|grand pere|grand mere|maman de|papa de|divorce|divorcee|marie|mariee)\b"
    r"(?! (?:de (?:ma|mon|mes) (?:chat|chien|poisson|plante|hamster|lapin|tamagotchi)|dans|en jeu|sur|au)\b)"
    r"|\b(?:ma femme|mon mari|mon epouse|mon ex femme|mon ex mari|ma belle mere de mes enfants)\b"
    r"|\b(?:j ai|jai|g) (?:passe|depasse) la (?:trentaine|quarantaine|cinquantaine)\b"
    r"|\b(?:j ai|jai|g) la (?:trentaine|quarantaine|cinquantaine)\b"
    r"|\b(?:j ai l age|je pourrais|j pourrais) (?:d etre|etre) ton (?:pere|daron|papa|oncle)\b"
    r"|\b(?:my|our) (?:wife|husband|kids|children|grandkids|grandchildren)\b"
    r"|\bi (?:have|ve got|got) (?:two |three |2 |3 )?(?:kids|children|grandkids)\b"
    r"|\bi m (?:a |an )?(?:dad|father|mom|mother|grandpa|grandma|parent) (?:of|myself|too|with)\b"
    r"|\bi (?:could|can) be (?:your|ur) (?:dad|father|daddy|uncle)\b"
    r"|\bin my (?:thirties|forties|fifties|30s|40s|50s)\b"
    # saying so: "je suis majeur", "I'm an adult", "im over 18"
    r"|\b(?:je suis|jsuis|chui|chuis|j suis|moi je suis) (?:(?:deja|largement|bien|moi|aussi)\s+)*majeure?s?\b"
    r"(?! (?:de|en|dans|a)\b)"
    r"|\b(?:i m|im|i am|ima) (?:an adult|adult|a grown|grown (?:man|woman|up|ass man|ass woman)|over (?:18|21|eighteen)|legal|of age)\b"
    # study and work long behind: "quand j'étais à la fac", "je bosse depuis 15 ans"
    r"|\b(?:quand j etais|a l epoque ou j etais|j ai fini) (?:a la fac|en fac|etudiant|etudiante|mes etudes|la fac)\b"
    r"|\b(?:je bosse|je travaille|jtaf|je taffe) depuis (?:[5-9]|[1-9]\d|des|plusieurs|dix|vingt|quinze) (?:ans|annees)\b"
    r"|\bca fait (?:[5-9]|[1-9]\d|des|plusieurs|dix|vingt|quinze) (?:ans|annees) que je (?:bosse|travaille|taffe)\b"
    r"|\b(?:back in college|when i was in college|back in uni|when i was at uni|after i graduated college)\b"
    r"|\bi ve (?:been working|worked) for (?:[5-9]|[1-9]\d|years|many years|ten|twenty|fifteen) years?\b"
    r"|\b(?:je suis|jsuis|chui) (?:a la fac|en fac|en master|a l universite)\b|\bi m (?:at uni|at university|in grad school)\b"
    # an age set against the reader's: "j'ai le double de ton âge", "old enough to be your dad"
    r"|\b(?:j ai|jai|g) (?:le double de|deux fois|trois fois) ton age\b|\btwice (?:your|ur) age\b"
    r"|\b(?:j ai|jai) l age de (?:ton pere|ta mere|tes parents|ton daron|ta daronne)\b"
    r"|\bold enough to be (?:your|ur) (?:dad|father|mom|mother|parent|uncle)\b"
    # what only grown-ups have: taxes, a mortgage, a pension, a divorce, pupils of their own
    r"|\bmes (?:impots|eleves|credits immo|enfants a charge)\b|\bma (?:retraite|pension alimentaire|declaration d impots)\b"
    r"|\bmon (?:divorce|credit immobilier|pret immobilier|ex mari|ex femme)\b"
    r"|\b(?:je suis|jsuis|chui) (?:prof|professeur|instit|institutrice|instituteur|enseignant|enseignante)\b"
    r"(?! (?:de (?:guitare|piano|musique|danse|dessin|chant|skate|echecs)|pour|particulier|en herbe|dans le jeu)\b)"
    r"|\bmy (?:taxes|mortgage|pension|divorce|students|pupils|ex wife|ex husband)\b"
    r"|\bi m (?:a |an )?(?:teacher|divorced|retired)\b"
)
_ADULT_LIFE_PIECE_RE = re.compile(r"enfant|gosse|mioche|papa|daron|pere|mere|femme|mari|epou|ntaine|age|wife|"
                                  r"husband|kids|children|grand|dad|mom|father|mother|parent|thirt|fort|fift|0s|"
                                  r"impot|eleve|credit|retraite|pension|divorc|pret|prof|instit|enseign|taxes|"
                                  r"mortgage|student|pupil|teacher|retired|oncle|uncle|etre|husband|maman|marie|majeur|adult|grown|over|legal|"
                                  r"fac|etud|bosse|travaille|taf|college|uni|work|master|double|fois|twice|enough|grad|school|quand|born|rent|"
                                  r"bills")


def adult_life_ages(text: NormalisedText) -> tuple[int, ...]:
    """ADULT_LIFE_AGE when the writer describes an adult's life (above)."""
    if _ADULT_LIFE_PIECE_RE.search(text.words) is None:
        return ()
    return _adult_life_ages(text)


def _adult_life_ages(text: NormalisedText) -> tuple[int, ...]:
    return (ADULT_LIFE_AGE,) if _ADULT_LIFE_RE.search(text.words) else ()
