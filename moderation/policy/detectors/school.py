"""A child's age without a number: the school year the writer says they are in.

"jsuis en 5e", "j'ai brevet blanc demain", "I'm in year 8", "im in 7th grade": children
rarely write their age in an adults' space, they write their class. Each first-person
statement of a school year gives the *oldest* age usual in that year (France: 5e is 12 to
13, so 13; England and Wales: year 8 is 12 to 13, so 13; United States: 7th grade is 12 to
13, so 13), so that a year never makes someone look younger than they may be: a year whose
pupils may be adults (terminale, year 13, 12th grade) gives 18 and is not a minor's.

Only the writer's own class: "mon fils est en 5e", "quand j'étais en 3e", "je suis prof de 4e"
and "my daughter is in year 8" say nothing about the writer. Read on the ``folded`` form,
where digits and apostrophes are kept.
"""

from __future__ import annotations

import re

from moderation.policy.detectors import has_cue
from moderation.policy.detectors.age import adult_life_ages, stated_ages
from moderation.policy.normalise import NormalisedText

# France: the class (its usual oldest age at the end of the school year).
_FR_YEARS: dict[str, int] = {
    "cp": 7, "ce1": 8, "ce2": 9, "cm1": 10, "cm2": 11,
    "6e": 12, "6eme": 12, "6ieme": 12, "6em": 12, "sixieme": 12,
    "5e": 13, "5eme": 13, "5ieme": 13, "5em": 13, "cinquieme": 13,
    "4e": 14, "4eme": 14, "4ieme": 14, "4em": 14, "quatrieme": 14,
    "3e": 15, "3eme": 15, "3ieme": 15, "3em": 15, "troisieme": 15,
    "2nde": 16, "2de": 16, "seconde": 16, "2nd": 16,
    "1ere": 17, "1re": 17, "premiere": 17,
    "terminale": 18, "term": 18, "tle": 18,
}
# Kinds of school, where only the kind is said ("jsuis au collège").
_FR_SCHOOLS: dict[str, int] = {"primaire": 11, "college": 15, "lycee": 18}
_FR_PUPILS: dict[str, int] = {"collegien": 15, "collegienne": 15, "lyceen": 18, "lyceenne": 18}

_FR_YEAR = "|".join(sorted(map(re.escape, _FR_YEARS), key=len, reverse=True))
# The writer, in the present: je suis, jsuis, chui, j'suis, moi; "qu'en", "encore", "en classe de".
_FR_I_AM = r"(?:je suis|jsuis|j'suis|j suis|chui|chuis|jsui|suis|moi)"
_FR_FILLER = r"(?:(?:encore|que|seulement|juste|genre|meme pas|deja|bientot)\s+|qu'\s*)?"

# "je suis en première ligne", "en seconde main", "en 1ère année de master": not a class.
_NOT_A_CLASS = (r"(?!\s*(?:ligne|annee|an\b|main|position|place|page|partie|division|vitesse|mi temps|"
                r"de (?:fac|master|licence|medecine|droit|bts|prepa)|a la fac))")

# "mon prof de 3e était génial", "à l'époque": an adult remembering.
_NOT_PAST = r"(?!.*\b(?:etait|etaient|a l'epoque|a l epoque|quand j'etais|quand j etais|y a \d+ ans|il y a \d+ ans)\b)"

_FR_RES: tuple[re.Pattern[str], ...] = (
    # jsuis en 5e, je suis qu'en 4e, moi en 3eme, je suis en classe de 6e
    re.compile(rf"\b{_FR_I_AM}\s+{_FR_FILLER}(?:en|n)\s+(?:classe de\s+)?({_FR_YEAR})(?![a-z0-9]){_NOT_A_CLASS}"),
    # dans ma classe de 5e, ma classe de 4eme (a teacher would be held and cleared)
    re.compile(rf"\bma classe de\s+({_FR_YEAR})(?![a-z0-9])"),
    # jsuis au collège, je suis encore au lycée, je vais au collège, moi au collège
    re.compile(rf"\b(?:{_FR_I_AM}|je vais|jvais|j'vais)\s+{_FR_FILLER}(?:au|en)\s+(college|lycee|primaire)\b"),
    # je suis collégienne, jsuis lycéen
    re.compile(rf"\b{_FR_I_AM}\s+{_FR_FILLER}(?:un |une )?(collegien(?:ne)?|lyceen(?:ne)?)\b"),
    # mon collège, dans mon collège, à mon collège
    re.compile(r"\bmon (college)\b(?! de (?:mon|ma|mes) )"),
    # what a pupil has: "j'ai brevet blanc demain", "je passe le brevet", "demain j'ai sport au collège"
    re.compile(r"\b(?:j'ai|jai|j ai|g|je passe|jpasse|je revise|jrevise)\s+(?:le |mon |un |l')?(brevet)\b"),
    re.compile(r"\b(?:j'ai|jai|j ai|g)\s+(?:sport|eps|maths?|francais|anglais|histoire|svt|techno|permanence|"
               r"perm|controle|interro|exam|cours)\s+(?:demain\s+|ce matin\s+|cet aprem\s+|lundi\s+|"
               r"mardi\s+|jeudi\s+|vendredi\s+)?au (college)\b"),
)
# What belongs to a collège year: "la sortie de 4e", "ma copine de 6eme", "mon prof de 5e". Only the
# collège years: "ma prof de terminale" is said by adults of their school days as often as not.
_FR_COLLEGE_YEAR = "|".join(sorted((re.escape(k) for k, v in _FR_YEARS.items() if 12 <= v <= 15),
                                   key=len, reverse=True))
_FR_RES = (*_FR_RES, re.compile(
    r"\b(?:la|ma|mon|mes|notre|nos|le|les)\s+(?:sortie|voyage|classe|prof|profs|copine|copines|copain|copains|"
    r"pote|potes|amie|amies|ami|amis|camarades|delegue|deleguee|delegues|emploi du temps|redoublement)"
    rf"\s+(?:de\s+|d'\s*)({_FR_COLLEGE_YEAR})(?![a-z0-9]){_NOT_A_CLASS}{_NOT_PAST}"
))
_FR_GIVEN: dict[str, int] = {**_FR_YEARS, **_FR_SCHOOLS, **_FR_PUPILS, "brevet": 15}

# England and Wales (year 7 is 11 to 12), the United States (grade N is N+5 to N+6).
_EN_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
}
_EN_NUMBER = r"(\d{1,2}|" + "|".join(_EN_NUMBERS) + r")"
_EN_ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}
_EN_ORDINAL = r"(\d{1,2}(?:st|nd|rd|th)|" + "|".join(_EN_ORDINALS) + r")"
# A grade the writer is in, has just finished, is starting, or has a class, test or teacher of:
# "i finished sixth grade", "i have a 7th grade science test tomorrow", "going into 8th grade".
_EN_MY_GRADE_RE = re.compile(
    rf"\b(?:i (?:just )?(?:finished|finish|passed|failed|started|start|repeat|repeated)|i m going into|"
    rf"im going into|going into|starting|i have (?:a |my |the )?|i got (?:a |my |the )?|ive got (?:a |my |the )?|"
    rf"in my)\s*{_EN_ORDINAL}\s+grade\b(?!\s+(?:teacher was|was|back then|days|reunion))"
)
# "i go to st mary's primary", "it's my last year of primary / before secondary".
_EN_GO_TO_SCHOOL_RE = re.compile(
    r"\bi (?:go|still go|walk|take the bus) to (?:[\w']+ ){0,3}?(primary|middle school|elementary|junior high|"
    r"prep school)\b"
    r"|\bmy (?:last|first) year (?:of|at|in|before) (primary|middle school|elementary|junior high|secondary)\b"
)
_EN_GO_TO_AGES: dict[str, int] = {"primary": 11, "middle school": 14, "elementary": 11, "junior high": 14,
                                  "prep school": 13, "secondary": 11}
_EN_I_AM = r"(?:i'?\s?m|i am|ima)"
_EN_FILLER = r"(?:(?:only|just|still|currently|now)\s+)?"
_EN_YEAR_RE = re.compile(rf"\b{_EN_I_AM}\s+{_EN_FILLER}in\s+(?:(?:year|yr|y)\s?(\d{{1,2}})|(?:year|yr)\s+"
                         rf"({'|'.join(_EN_NUMBERS)}))\b")
_EN_GRADE_RE = re.compile(
    rf"\b{_EN_I_AM}\s+{_EN_FILLER}(?:in\s+(?:the\s+)?)?(?:(\d{{1,2}})(?:st|nd|rd|th)\s+grade(?:r)?|"
    rf"grade\s+{_EN_NUMBER})\b"
)
_EN_SCHOOL_RE = re.compile(
    rf"\b(?:{_EN_I_AM}\s+{_EN_FILLER}(?:in|at)|my|at my)\s+(?:a\s+)?(middle school|junior high|elementary school|"
    rf"primary school|high school)\b(?!\s+(?:friend|sweetheart|days|years|reunion|teacher|diploma))"
)
_EN_FRESHMAN_RE = re.compile(rf"\b{_EN_I_AM}\s+{_EN_FILLER}an?\s+(freshman|sophomore)\s+in\s+high school\b")
_EN_SCHOOLS: dict[str, int] = {"middle school": 14, "junior high": 14, "elementary school": 11,
                               "primary school": 11, "high school": 17, "freshman": 15, "sophomore": 16}

# Cheap first test: a year with digits ("5e", "cm2", "year 8"), or one of the words every other
# match contains (detectors/__init__.py).
_DIGIT_YEAR_RE = re.compile(r"\d(?:e|eme|ieme|em|nde|de|nd|ere|re)\b|\b(?:ce|cm)\d|\b(?:year|yr|y)\s?\d")
_WORD_CUES = frozenset({
    "sixieme", "cinquieme", "quatrieme", "troisieme", "seconde", "premiere", "terminale", "term", "tle",
    "college", "lycee", "primaire", "collegien", "collegienne", "lyceen", "lyceenne", "brevet", "year", "yr",
    "grade", "grader", "school", "junior", "cp", "primary", "elementary", "secondary",
})


# A child's everyday life, said in the first person: parents deciding bedtime, phone and outings,
# being grounded, the school bus, break time. Adults rarely say these of themselves; the age given
# is a minor's (15), never a precise one.
CHILDHOOD_AGE = 15
_PARENT_FR = r"(?:ma mere|ma mere|mon pere|ma daronne|mon daron|mes darons|mes parents|ma mere et mon pere|mes vieux)"
_PARENT_EN = r"(?:my (?:mom|mum|mommy|mummy|dad|daddy|parents|stepmom|stepdad|folks))"
_CHILDHOOD_RES: tuple[re.Pattern[str], ...] = (
    re.compile(
        rf"\b{_PARENT_FR} (?:veut|veulent|voudrait|voudraient) pas que (?:je|j') ?(?:veille|sorte|reste|joue|parle|aille)\b"
        rf"|\b{_PARENT_FR} (?:veut|veulent) que (?:je|j') ?(?:dorme|me couche|sois couchee?|rentre avant|eteigne)\b"
        rf"|\b{_PARENT_FR} (?:me laisse|me laissent|m'autorise|m'autorisent) (?:pas|jamais) (?:sortir|aller|jouer|avoir|dormir|"
        r"regarder|utiliser|parler|rester|veiller|venir|voir|trainer)\b"
        rf"|\b{_PARENT_FR} (?:m'interdit|m'interdisent|me privent|me prive|m'a confisque|m'ont confisque|"
        r"m'a pris|m'ont pris|me confisque|me confisquent|me prend|me prennent) (?:de |d'|mon |ma |le |la )?"
        r"(?:sortir|sortie|tel|telephone|portable|phone|ordi|console|switch|ps5|ps4|ipad|tablette|wifi)\b"
        r"|\b(?:je suis|jsuis|j'suis|chui|suis) (?:encore )?(?:prive|privee|puni|punie|consigne|consignee)\b"
        r"|\b(?:j'ai|jai|je prends|jprends|je rate|jrate) (?:\w+ ){0,3}?(?:le |mon )?(?:car|bus) (?:scolaire|de ramassage)\b"
        r"|\b(?:a la|pendant la|apres la) recre\b"
        # what a pupil is not allowed, and the school's own paperwork
        r"|\b(?:j'ai|jai|j ai) pas (?:le droit|l'autorisation|la permission) d'avoir (?:snap|snapchat|insta|instagram|tiktok|"
        r"discord|un tel|un telephone|un portable|whatsapp|un compte)\b"
        r"|\bmon carnet de (?:correspondance|liaison)\b|\b(?:mon|ma) (?:prof|professeur|professeure) principale?\b"
        rf"|\b{_PARENT_FR} (?:veut|veulent|m'oblige|m'obligent) (?:que je rentre|a rentrer|de rentrer) avant\b"
    ),
    re.compile(
        rf"\b{_PARENT_EN} (?:won't|wont|won t|doesn't|doesnt|doesn t|don't|dont|don t|never) (?:let|allow) me (?:go|stay|have|use|play|sleep|date|see|wear|get a|watch|download|be on|hang out|"
        r"leave|come|text|talk)\b"
        rf"|\b{_PARENT_EN} (?:thinks?|think) (?:i'm|im|i m|i am) (?:asleep|sleeping|in bed|at school|doing homework)\b"
        rf"|\b{_PARENT_EN} (?:took|takes|take|confiscated) (?:away )?my (?:phone|ipad|tablet|switch|xbox|ps5|laptop)\b"
        rf"|\b{_PARENT_EN} (?:makes|make) me (?:go to bed|sleep|turn off)\b"
        r"|\b(?:i'm|im|i m|i am|i got|got) grounded\b|\b(?:past|after) my bedtime\b|\bmy bedtime\b"
        r"|\bi (?:take|ride|catch|missed|miss) the school bus\b|\b(?:at|during) recess\b"
        r"|\bi'?m not allowed (?:to have|on) (?:snap|snapchat|insta|instagram|tiktok|discord|a phone|social media)\b"
        rf"|\b{_PARENT_EN} (?:says?|said) i (?:have|need|got) to be (?:home|back|in bed) by\b"
    ),
)
_CHILDHOOD_CUES = frozenset({
    "mere", "pere", "daronne", "daron", "darons", "parents", "vieux", "prive", "privee", "puni", "punie",
    "droit", "autorisation", "permission", "carnet", "prof", "professeur", "professeure", "allowed",
    "consigne", "consignee", "car", "bus", "recre", "mom", "mum", "mommy", "mummy", "dad", "daddy", "stepmom",
    "stepdad", "folks", "grounded", "bedtime", "recess",
})


def childhood_ages(text: NormalisedText) -> tuple[int, ...]:
    """A minor's age (CHILDHOOD_AGE) when the writer describes a child's everyday life (above)."""
    if not has_cue(text.runs, _CHILDHOOD_CUES):
        return ()
    return _childhood_ages(text)


def _childhood_ages(text: NormalisedText) -> tuple[int, ...]:
    folded = text.folded
    return (CHILDHOOD_AGE,) if any(p.search(folded) for p in _CHILDHOOD_RES) else ()


def _number(raw: str) -> int:
    return int(raw) if raw.isdigit() else _EN_NUMBERS[raw]


def school_year_ages(text: NormalisedText) -> tuple[int, ...]:
    """Ages implied by the school year or school the writer says they are in (see above)."""
    if not has_cue(text.runs, _WORD_CUES) and not (text.has_digit and _DIGIT_YEAR_RE.search(text.folded)):
        return ()
    return _school_year_ages(text)


def _school_year_ages(text: NormalisedText) -> tuple[int, ...]:
    folded = text.folded
    ages: list[int] = []
    for pattern in _FR_RES:
        for match in pattern.finditer(folded):
            ages.append(_FR_GIVEN[match.group(1)])
    for match in _EN_YEAR_RE.finditer(folded):
        year = _number(match.group(1) or match.group(2))
        if 1 <= year <= 13:
            ages.append(year + 5)
    for match in _EN_GRADE_RE.finditer(folded):
        grade = _number(match.group(1) or match.group(2))
        if 1 <= grade <= 12:
            ages.append(grade + 6)
    for pattern in (_EN_SCHOOL_RE, _EN_FRESHMAN_RE):
        for match in pattern.finditer(folded):
            ages.append(_EN_SCHOOLS[match.group(1)])
    for match in _EN_MY_GRADE_RE.finditer(folded):
        raw = match.group(1)
        grade = int(raw[:-2]) if raw[0].isdigit() else _EN_ORDINALS[raw]
        if 1 <= grade <= 12:
            ages.append(grade + 6)
    for match in _EN_GO_TO_SCHOOL_RE.finditer(folded):
        ages.append(_EN_GO_TO_AGES[match.group(1) or match.group(2)])
    return tuple(dict.fromkeys(ages))


def ages_said(text: NormalisedText) -> tuple[int, ...]:
    """Every age the writer gives of themself: as a number (detectors/age.py), as a school year,
    as a child's everyday life, or as an adult's (detectors/age.py)."""
    return ages_and_adult_claims(text)[0]


def ages_and_adult_claims(text: NormalisedText) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``ages_said``, and those of its ages that can say the writer is an adult: a number or an
    adult's life, never a school year (its oldest usual age; the last one holds 17-year-olds)."""
    claims = stated_ages(text) + adult_life_ages(text)
    return claims + school_year_ages(text) + childhood_ages(text), claims
