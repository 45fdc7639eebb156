"""What names do that sentences do not.

A pseudonym or a room name goes through ``screen_text`` like a message (term lists, detectors,
as in minors' spaces). Names also pack a whole sentence into one word: "daddy4teens",
"papa_pour_ados", "hotteen", "jeunefille13", "leasnap". This module reads a name the way a
person does: it cuts it into pieces (at separators, and between letters and digits), then
segments each piece into known words (the term lists' sexual and minor-coded entries plus the
small vocabularies below), with leetspeak undone and stretched letters collapsed. The rules
then look at which kinds of words the name holds together, never at a list of names:

- a sexual, seeking or desire word together with a minor word, a young word or an age
  ("hotteen", "cherche_jeune", "teenlover");
- an older-person word together with a minor word or an age ("daddy4teens", "tonton_13"), or
  with a young word when a "for" joins them ("oldman4young"; "jeune_papa" stays allowed);
- an age of 10 to 17 (two digits, a spelled age, a birth year of a minor) next to any word of
  those kinds or a person word ("girl14", "fille_quinze"); a number after "du" or "dept" is a
  French département ("lucas_du_13"), and a number beside a word we do not know is not read as
  an age ("lea14", "capitaine_17": birthdays, jersey numbers, départements);
- a minor word that is a whole piece ("marc4teens"), as ``screen_text`` refuses it as a word;
- contact details: a phone-shaped run of digits (separators and the letter o as zero
  included), an @handle, an app's name as a whole piece or glued after a name ("leasnap"), or
  glued before one for the long names that are no ordinary word's beginning ("snapchatlea").

Pure: no Django, no I/O. Names are screened at sign-up and when a room is proposed, not per
message, so the cost here (a few hundred dictionary look-ups) does not matter.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace

from moderation.policy.config import ScreeningContext
from moderation.policy.detectors.numbers import TEENS
from moderation.policy.normalise import fold, key_form, normalise, normalise_term
from moderation.policy.screening import screen_text
from moderation.policy.snapshot import PolicySnapshot
from moderation.policy.verdict import DECISION_RISK, Verdict

# Kinds of words.
MINOR = "minor"  # says "a child or a teenager" on its own
YOUNG = "young"  # young or small: harmless alone ("jeune_pousse"), not beside a sexual word
PERSON = "person"  # a girl, a boy, a baby
OLDER = "older"  # an older man
SEXUAL = "sexual"
SEEKING = "seeking"
DESIRE = "desire"
FOR = "for"  # "pour", "for", "4", "2", "à"
FILLER = "filler"  # articles and the like: they let a name be cut into words, nothing more
APP = "app"

_OWN_WORDS: dict[str, tuple[str, ...]] = {
    MINOR: (
        "teen", "teens", "teenie", "teenies", "teeny", "ado", "ados", "adolescent", "adolescente",
        "adolescents", "adolescentes", "lyceen", "lyceenne", "lyceens", "lyceennes", "collegien",
        "collegienne", "collegiens", "collegiennes", "mineur", "mineure", "mineurs", "mineures",
        "jeunette", "jeunettes", "fillette", "fillettes", "gamine", "gamines", "enfant", "enfants",
        "kid", "kids", "child", "children", "underage", "preteen", "preteens", "loli", "lolita",
        "schoolgirl", "schoolgirls", "jeunefille", "jeunesfilles",
    ),
    YOUNG: ("jeune", "jeunes", "young", "petite", "petites", "little", "lil", "jf", "jeunot"),
    PERSON: (
        "fille", "filles", "fifille", "girl", "girls", "boy", "boys", "gars", "garcon", "mec",
        "meuf", "nana", "bebe", "baby", "babe", "princesse", "princess", "cutie", "mignonne",
        "belle", "jh", "babygirl",
    ),
    OLDER: (
        "daddy", "dad", "papa", "papy", "papi", "pepe", "tonton", "oncle", "uncle", "vieux",
        "vieil", "old", "oldman", "mature", "daron", "grandpa", "grandad", "sugar", "sugardaddy",
        "papounet",
    ),
    SEXUAL: (
        "hot", "sexy", "sex", "coquin", "coquine", "coquines", "chaud", "chaude", "chaudes",
        "cochon", "cochonne", "naughty", "horny", "kinky", "nude", "nudes", "nue", "nues",
    ),
    SEEKING: (
        "cherche", "cherch", "recherche", "seek", "seeks", "seeking", "looking", "lookin",
        "want", "wants", "veut", "search", "searching", "recrute",
    ),
    DESIRE: ("love", "loves", "lover", "lovers", "aime", "aimer", "kiffe", "kif", "like", "likes",
             "adore", "amateur"),
    FOR: ("pour", "for", "fo", "a"),
    # No "l" or "i": key forms merge them, and a lone letter would let "kiki" read "kik i".
    FILLER: ("de", "du", "des", "les", "la", "le", "the", "my", "mes", "ma", "et", "and", "qui",
             "of", "me", "moi", "you", "je", "j", "en", "un", "une"),
    APP: (
        "snap", "snapchat", "insta", "instagram", "tiktok", "telegram", "whatsapp", "kik",
        "discord", "skype", "wickr", "threema", "viber", "wechat", "omegle", "onlyfans", "mym",
    ),
}
# Spelled ages: the teens people are (13 to 17); "dix", "ten", "onze" are ordinary words too.
_SPELLED_AGES = frozenset(word for word, value in TEENS.items() if 13 <= value <= 17) | {"dixsept"}
# App names that are no ordinary word's beginning, so they count glued before a name too
# ("snapchatlea"); shorter ones only after a name ("leasnap"), or "instant", "snapshot" and
# "discorde" would be refused.
_APPS_GLUED_BEFORE = ("snapchat", "instagram", "telegram", "whatsapp", "tiktok", "onlyfans")
_APP_GLUED_AFTER_MIN = 4
# What makes a digit piece "for": "daddy4teens", "cadeau2ado".
_FOR_DIGITS = frozenset({"4", "2"})

# A French département: "du 13", "dept_75", "lucas_du_13".
_DEPARTEMENT_RE = re.compile(r"(?:du|dept?|departement)[\W_]*\d{2,3}(?!\d)")
_LETTER_O_RE = re.compile(r"(?<=\d)o|o(?=\d)")
_NON_DIGIT_RE = re.compile(r"\D")
# A phone number in the digits of a name, whatever separated them.
_PHONE_DIGITS_RE = re.compile(r"0[1-9]\d{8}|[67]\d{8}|(?:33|44|32|41)[1-9]\d{8,9}")
_HANDLE_RE = re.compile(r"@[a-z]")
_SEPARATORS_RE = re.compile(r"[\W_]+")
_PIECE_RE = re.compile(r"[^\W\d_]+|\d+")
# A partial segmentation counts when it is this long or holds two content words: "photo" is
# not "hot" with letters around it.
_PARTIAL_MIN = 5


@dataclass(frozen=True, slots=True)
class Segmentation:
    words: tuple[str, ...]  # in key form
    kinds: frozenset[str]
    full: bool  # the words cover the whole piece


@dataclass(frozen=True, slots=True)
class NameVocabulary:
    kinds: dict[str, frozenset[str]]  # key form -> kinds
    longest: int
    apps: tuple[str, ...]  # key forms


def _key(word: str) -> str:
    return key_form(normalise_term(word)).replace(" ", "")


def build_vocabulary(snapshot: PolicySnapshot) -> NameVocabulary:
    """The words names are cut into: the vocabularies above and the snapshot's sexual and
    minor-coded entries (an operator's new term counts in names at once)."""
    kinds: dict[str, set[str]] = {}
    for kind, words in _OWN_WORDS.items():
        for word in words:
            kinds.setdefault(_key(word), set()).add(kind)
    for word in _SPELLED_AGES:
        kinds.setdefault(_key(word), set()).add("age")
    term_kinds = {"minor_coded": MINOR, "sexual_minors": MINOR, "sexual": SEXUAL, "suggestive": SEXUAL}
    for entry in snapshot.terms:
        kind = term_kinds.get(entry.category)
        if kind is None or not entry.enabled or entry.observe_only or entry.kind == "regex":
            continue
        key = _key(entry.term.strip("*"))
        if len(key) >= 3:
            kinds.setdefault(key, set()).add(kind)
    frozen = {key: frozenset(value) for key, value in kinds.items() if key}
    apps = tuple(_key(app) for app in _OWN_WORDS[APP])
    return NameVocabulary(kinds=frozen, longest=max(map(len, frozen)), apps=apps)


_vocabularies: dict[int, tuple[PolicySnapshot, NameVocabulary]] = {}
_vocabularies_lock = threading.Lock()


def vocabulary_for(snapshot: PolicySnapshot) -> NameVocabulary:
    """Built once per snapshot (a snapshot is immutable and replaced when the policy changes)."""
    with _vocabularies_lock:
        cached = _vocabularies.get(id(snapshot))
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        vocabulary = build_vocabulary(snapshot)
        if len(_vocabularies) > 8:
            _vocabularies.clear()
        _vocabularies[id(snapshot)] = (snapshot, vocabulary)
        return vocabulary


def segment(piece: str, vocabulary: NameVocabulary) -> Segmentation | None:
    """The longest run of known words in a piece of letters (key form on both sides, so that
    stretched letters and "1" for "l" meet). Two words may share a letter where the name had
    it doubled ("hotteen" is "hoten" once collapsed). None when nothing worth reading is found."""
    text = key_form(piece)
    size = len(text)
    # Every occurrence of a known word: start -> [(end, word)].
    starts: dict[int, list[tuple[int, str]]] = {}
    for i in range(size):
        for j in range(i + 1, min(size, i + vocabulary.longest) + 1):
            if text[i:j] in vocabulary.kinds:
                starts.setdefault(i, []).append((j, text[i:j]))
    if not starts:
        return None
    def content(words: tuple[str, ...]) -> int:
        return sum(1 for word in words if not vocabulary.kinds[word] <= {FOR, FILLER})

    def rank(option: tuple[int, tuple[str, ...]]) -> tuple[int, int, int]:
        # Furthest first, then the most words that mean something ("hot teen" rather than
        # "hot en"), then the fewest pieces ("jeune" rather than "je une").
        return option[0], content(option[1]), -len(option[1])

    # best[i]: the best chain starting at i.
    best: dict[int, tuple[int, tuple[str, ...]]] = {}
    for i in sorted(starts, reverse=True):
        options: list[tuple[int, tuple[str, ...]]] = []
        for end, word in starts[i]:
            options.append((end, (word,)))
            for following in (end, end - 1):
                if following > i and following in best:
                    reach, words = best[following]
                    options.append((reach, (word, *words)))
        best[i] = max(options, key=rank)
    start, (end, words) = max(best.items(), key=lambda item: (item[1][0] - item[0], *rank(item[1])[1:]))
    kinds = frozenset().union(*(vocabulary.kinds[word] for word in words))
    full = start == 0 and end == size
    if not full and end - start < _PARTIAL_MIN and content(words) < 2:
        return None
    return Segmentation(words=words, kinds=kinds, full=full)


@dataclass
class _Reading:
    kinds: set[str]
    age: bool = False
    minor_piece: bool = False
    app: bool = False


def _read_pieces(pieces: list[str], vocabulary: NameVocabulary, reading: _Reading, this_year: int | None) -> None:
    for piece in pieces:
        if piece.isdigit():
            if piece in _FOR_DIGITS:
                reading.kinds.add(FOR)
            elif len(piece) == 2 and 10 <= int(piece) <= 17:
                reading.age = True
            elif this_year is not None and len(piece) == 4 and this_year - 17 <= int(piece) <= this_year - 10:
                reading.age = True  # a minor's birth year
            continue
        found = segment(piece, vocabulary)
        if found is not None:
            reading.kinds |= found.kinds
            if "age" in found.kinds:
                reading.age = True
            if found.full and MINOR in found.kinds:
                reading.minor_piece = True
            if found.full and APP in found.kinds:
                reading.app = True
        key = key_form(piece)
        for app in vocabulary.apps:
            if key == app or (len(app) >= _APP_GLUED_AFTER_MIN and key.endswith(app)):
                reading.app = True
        if key.startswith(tuple(_key(app) for app in _APPS_GLUED_BEFORE)):
            reading.app = True


def name_categories(name: str, *, snapshot: PolicySnapshot, this_year: int | None = None) -> tuple[str, ...]:
    """Why a name is refused beyond what ``screen_text`` sees: "sexual_minors" (a sexual,
    seeking or older-person word with a minor, a young word or an age), "minor_coded" (an
    age with a person word, a minor word as a whole piece), "contact_offplatform" (phone
    digits, an @handle, an app). Empty for an acceptable name. ``this_year`` enables the
    birth-year rule (a minor's birth year counts as an age)."""
    vocabulary = vocabulary_for(snapshot)
    folded = _DEPARTEMENT_RE.sub(" ", fold(name))
    reading = _Reading(kinds=set())
    # Cut at separators; the same with the separators removed (evasions: "d.a.d.d.y"); and
    # the screen's own words, where leetspeak is undone ("t33n" is "teen").
    tokens = [t for t in _SEPARATORS_RE.split(folded) if t]
    _read_pieces([p for t in tokens for p in _PIECE_RE.findall(t)], vocabulary, reading, this_year)
    _read_pieces(_PIECE_RE.findall("".join(tokens)), vocabulary, reading, this_year)
    leet_words = normalise(folded).words.split()
    _read_pieces([p for t in leet_words for p in _PIECE_RE.findall(t)], vocabulary, reading, this_year)
    _read_pieces(_PIECE_RE.findall("".join(leet_words)), vocabulary, reading, this_year)

    kinds = reading.kinds
    categories: list[str] = []
    minorish = bool(kinds & {MINOR, YOUNG}) or reading.age
    if (kinds & {SEXUAL, SEEKING, DESIRE} and minorish) or (
        OLDER in kinds and (MINOR in kinds or reading.age or (YOUNG in kinds and FOR in kinds))
    ):
        categories.append("sexual_minors")
    if reading.minor_piece or (reading.age and kinds & {PERSON, MINOR, YOUNG}):
        categories.append("minor_coded")
    digits = _NON_DIGIT_RE.sub("", _LETTER_O_RE.sub("0", fold(name)))
    if reading.app or _HANDLE_RE.search(fold(name)) or _PHONE_DIGITS_RE.search(digits):
        categories.append("contact_offplatform")
    return tuple(categories)


def screen_name_text(
    name: str, *, snapshot: PolicySnapshot, context: ScreeningContext, this_year: int | None = None
) -> Verdict:
    """A pseudonym or room name: ``screen_text`` (as in minors' spaces when the caller says
    so), then ``name_categories``. A refusal is `block` with `name_not_allowed`."""
    verdict = screen_text(name, snapshot=snapshot, context=context)
    categories = name_categories(name, snapshot=snapshot, this_year=this_year)
    if not categories:
        return verdict
    if verdict.decision == "allow":
        return Verdict(decision="block", reasons=("name_not_allowed",), categories=categories,
                       risk=DECISION_RISK["block"], observed=verdict.observed)
    merged = tuple(dict.fromkeys((*verdict.categories, *categories)))
    return replace(verdict, categories=merged)
