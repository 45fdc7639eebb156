"""Seeking out children by their age: "je cherche une meuf de 13 14 ans", "les filles de 13 ans
mp moi", "looking for girls 12-14 dm me", "un serveur pour les 12 13 ans, ya des trucs à gagner".

Two things together, in one message: a young age given as a *target* (an age range, or an age
beside a person word: "une fille de 13 ans", "girls 13"), and a call to act on it (to write in
private, add someone, join a server elsewhere, meet, be paid, or "je cherche"). Either alone is
ordinary among teenagers ("les 13 14 ans vous jouez à quoi ?", "qui a 14 ans ici ?",
"mp moi pour le devoir"). Whoever writes it, in whatever space, is looking for children.

Without a number, the same search names the youngest school years or asks for younger people:
"qui est en 6e ici ?", "any 5th graders here", "looking for younger friends" — classes below
Phare's minimum age, asked about by someone who is already in a room above it.

Read on the ``words`` form (accents folded, punctuation as spaces, "13-14" is "13 14").
"""

from __future__ import annotations

import re

from moderation.policy.detectors import has_cue
from moderation.policy.normalise import NormalisedText

_YOUNG = r"(?:[89]|1[0-5])"
_PERSON = (
    r"(?:fille|filles|meuf|meufs|gamine|gamines|gamin|gamins|petite|petites|minette|minettes|gars|mec|mecs|"
    r"garcon|garcons|jeune|jeunes|ado|ados|collegienne|collegiennes|collegien|collegiens|"
    r"girl|girls|boy|boys|teen|teens|kid|kids|chick|chicks)"
)
_AGE_UNIT = r"(?: (?:ans|an|yo|y o|year olds?|years? old|yrs?))?"
# "13 14 ans", "de 12 a 14 ans", "entre 12 et 14", "12 to 14", "13 ou 14"
_RANGE = rf"(?:entre |between |de |from )?{_YOUNG} (?:a |et |ou |to |or |and )?{_YOUNG}{_AGE_UNIT}"
_TARGET_RE = re.compile(
    rf"\b{_PERSON} (?:de |d |of |aged |age )?(?:{_RANGE}|{_YOUNG}(?: ans| an| yo| y o| year old| years old))\b"
    rf"|\b(?:les|des|pour les|for|any|some|only) {_RANGE}\b"
)
_CALL_RE = re.compile(
    r"\b(?:mp|pv|dm|pm|priv|prive|inbox|ajoute|ajoutez|add|ecris|ecrivez|ecrivez moi|ecris moi|contacte|"
    r"cherche|recherche|looking for|seeking|want|wants|veut|veux|voudrais|serveur|server|groupe|group|"
    r"snap|insta|discord|telegram|whatsapp|rencontrer|rencontre|se voir|voir irl|irl|meet|hook up|"
    r"jpaye|je paye|je paie|paye|pay|payer|paid|argent|money|cash|cadeau|cadeaux|gift|gifts|a gagner|to win)\b"
)
# Every match names a young age as a whole number word (detectors/__init__.py).
_CUES = frozenset({"8", "9", "10", "11", "12", "13", "14", "15"})


# One's own children, siblings or pupils: "j'ai deux filles de 9 et 12 ans", "my kids 10 and 12".
_OWN_RE = re.compile(r"\b(?:mes|ma|mon|nos|notre|my|our|his|her|their|ses|leurs|j ai|jai|i have|ive got|i ve got|"
                     r"we have)(?: (?:deux|trois|quatre|two|three|four|2|3|4|petites?|petits?|little|young))? $")


# The youngest school years (below the minimum age), asked about; younger people, sought. The
# English grades are read on the ``folded`` form: the ``words`` form reads "5th" as leet ("sth").
_ASKING_EN = r"(?:any|anyone in|who s in|whos in|who is in|who's in|anybody in|are there any|any of you in)"
_ASKING = rf"(?:qui est|qui sont|qui c est qui est|ya des|y a des|il y a des|ya t il des|{_ASKING_EN})"
_YOUNG_CLASS_RE = re.compile(
    rf"\b{_ASKING} (?:en )?(?:6e|6eme|6ieme|sixieme|cm1|cm2|ce1|ce2|cp|primaire)\b"
)
_YOUNG_GRADE_RE = re.compile(rf"\b{_ASKING_EN} (?:in )?(?:[3-6]th|year [4-7]) ?(?:graders?|grade)?\b")
_YOUNGER_RE = re.compile(
    r"\b(?:looking for|seeking|want|wants|cherche|recherche|je cherche|jcherche) (?:some |des |de |a |an |une |un )?"
    r"(?:younger|plus jeunes?|petites? jeunes?|little girls?|young girls?|young boys?|little boys?)\b"
)
_WORD_CUES = frozenset({"6e", "6eme", "6ieme", "sixieme", "cm1", "cm2", "ce1", "ce2", "cp", "primaire", "any", "anyone",
                        "who", "whos", "anybody", "are", "younger", "plus", "petite", "petites", "little", "young"})


def has_minor_targeting(text: NormalisedText) -> bool:
    """A young age named as a target and a call to act on it, or the youngest school years
    and younger people sought (see above)."""
    if not has_cue(text.runs, _WORD_CUES) and not (text.has_digit and has_cue(text.runs, _CUES)):
        return False
    return _minor_targeting(text)


def _minor_targeting(text: NormalisedText) -> bool:
    words = text.words
    if _YOUNG_CLASS_RE.search(words) or _YOUNGER_RE.search(words) or _YOUNG_GRADE_RE.search(text.folded):
        return True
    if _CALL_RE.search(words) is None:
        return False
    return any(_OWN_RE.search(words[:match.start()]) is None for match in _TARGET_RE.finditer(words))
