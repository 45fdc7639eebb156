"""Text normalisation for matching only.

Users always see the original text; everything here produces *matching forms* that defeat the
common evasions (look-alike letters, accents, invisible characters, leetspeak, letters split by
spaces or dots, stretched letters) while keeping word boundaries, so that ordinary words are not
caught inside longer ones ("Sussex", "analyse", "Scunthorpe").

Forms, from least to most transformed:
- ``folded``: NFKC, case folded, format characters (Unicode Cf: zero-width, bidi controls)
  removed, diacritics and other combining marks (Mn, Me: accents, keycaps, variation
  selectors) removed, confusable letters mapped to Latin, typographic apostrophes and
  dashes mapped to ASCII. Digits and punctuation are kept: the numeric detectors (phone numbers,
  ages, times) read this form.
- ``words``: tokens of ``folded`` joined by single spaces and padded with a space at each end;
  leetspeak undone inside tokens that contain a letter ("b0l" -> "bol", but "2024" stays), runs
  of three or more one-character tokens joined ("s e x", "s.e.x" -> "sex"). The phrase detectors
  read this form.
- ``key``: ``words`` with repeated letters collapsed ("saaalope" -> "salope") and "l" merged
  with "i" (so "1" read as "i" still meets a term spelled with "l"). The term automaton reads
  this form; terms are passed through the same steps, so both sides meet in the same alphabet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Look-alike letters that NFKC does not fold (Cyrillic, Greek, a few Latin variants). Compact on
# purpose: the letters people actually use to dodge filters, not Unicode's full confusables table.
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "г": "r",
    "е": "e",
    "ё": "e",
    "з": "3",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ԁ": "d",
    "ӏ": "l",
    "ԛ": "q",
    "ԝ": "w",
    "ь": "b",
    "п": "n",
    "л": "n",
    "и": "u",
    # Greek
    "α": "a",
    "β": "b",
    "γ": "y",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "μ": "u",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "σ": "o",
    "ς": "c",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    # Latin letters without a decomposition
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ŧ": "t",
    "ɑ": "a",
    "ɡ": "g",
    "ǝ": "e",
    "æ": "ae",
    "œ": "oe",
    "ð": "d",
    "þ": "th",
    # Typography: apostrophes, dashes
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u00b4": "'",
    "`": "'",
    "\u2032": "'",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
}

# Leetspeak, applied only inside tokens that also contain a letter, so that numbers stay numbers.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "€": "e",
        "!": "i",
        "|": "i",
    }
)

_TOKEN_RE = re.compile(r"(?:[^\W_]|[@$€!|])+")
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")
# A character followed by the same one: deleting each leaves one of every run. (A literal
# replacement: `(.)\1+` replaced by `\1` expanded the group in Python for every run, 2.4 µs
# against 0.7 for a chat line.)
_REPEATED_RE = re.compile(r"(.)(?=\1)")
# A letter written three times or more is shortened in the ``words`` form: chat stretches words
# ("tuuuuer", "nooon", "grossse") and no French or English word has a letter thrice in a row. A
# vowel becomes one ("tuer", "non"), a consonant two, as words double them ("grosse", "ass").
_STRETCHED_RE = re.compile(r"([^\W\d_])\1{2,}")
_VOWELS = frozenset("aeiouy")
_DIGIT_RE = re.compile(r"\d")


# Emoji that stand for words in chat: sexual ones as words the term lists hold (docs/screening.md),
# a knife or a gun as the verb they stand for ("jvais te 🔪"), money as money ("je te donne 💰").
# Every other emoji is dropped like punctuation.
EMOJI_WORDS: dict[str, str] = {
    "🍆": " emojiaubergine ", "🍑": " emojipeche ", "💦": " emojigouttes ", "👅": " emojilangue ",
    "🔪": " planter ", "🗡": " planter ", "🔫": " buter ",
    "💰": " argent ", "💵": " argent ", "💶": " argent ", "💸": " argent ", "🤑": " argent ",
}


def _fold_char(char: str) -> str:
    if char in EMOJI_WORDS:
        return EMOJI_WORDS[char]
    if unicodedata.category(char) == "Cf":
        return ""
    text = unicodedata.normalize("NFKC", char).casefold()
    text = "".join(
        ch
        for ch in unicodedata.normalize("NFD", text)
        if unicodedata.category(ch) not in ("Mn", "Me")
    )
    return "".join(_CONFUSABLES.get(ch, ch) for ch in text)


# Enough for every script people chat in; a flood of rare code points is folded without caching
# rather than growing the table without bound.
_FOLD_TABLE_LIMIT = 65_536


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled lazily: each code point is folded once per process."""

    def __missing__(self, code_point: int) -> str:
        folded = _fold_char(chr(code_point))
        if len(self) < _FOLD_TABLE_LIMIT:
            self[code_point] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """NFKC + casefold + Cf removal + diacritics + confusables, punctuation and digits kept."""
    if text.isascii():
        # ASCII has no format characters, accents or look-alikes: lower() is the whole job.
        return text.lower().replace("`", "'")
    return text.translate(_FOLD_TABLE)


def _clean_token(token: str) -> str:
    # "!" and "|" read as "i" only inside a word; at the edges they are punctuation ("salut!").
    token = token.strip("!|")
    if token and not token.isalpha() and _HAS_LETTER_RE.search(token):
        return token.translate(_LEET)
    return token


# What `_clean_token` can change: a character of the leetspeak table ("!" and "|" among them).
_LEET_CHAR_RE = re.compile("[" + re.escape("".join(chr(code) for code in _LEET)) + "]")


def word_tokens(folded: str) -> list[str]:
    """Tokens with leetspeak undone and spelled-out letters ("s e x") joined."""
    if _STRETCHED_RE.search(folded) is not None:
        folded = unstretch(folded)
    if _LEET_CHAR_RE.search(folded) is None:
        tokens = _TOKEN_RE.findall(folded)  # `_clean_token` would return each one unchanged
    else:
        tokens = [t for t in map(_clean_token, _TOKEN_RE.findall(folded)) if t]
    if len(tokens) < 3:
        return tokens
    joined: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1:
            run.append(token)
            continue
        _flush_single_letters(run, joined)
        run = []
        joined.append(token)
    _flush_single_letters(run, joined)
    return joined


def _shorten(match: re.Match[str]) -> str:
    letter = match.group(1)
    return letter if letter in _VOWELS else letter * 2


def unstretch(text: str) -> str:
    """Letters written three times or more, shortened ("nooon" -> "non", "grossse" -> "grosse")."""
    return _STRETCHED_RE.sub(_shorten, text)


def _flush_single_letters(run: list[str], out: list[str]) -> None:
    if len(run) >= 3:
        # Three or more one-character tokens in a row are a word spelled out ("s.e.x");
        # undo leetspeak now that the digits have letters beside them ("5 3 x").
        out.append("".join(run).translate(_LEET))
    else:
        out.extend(run)


def key_form(words: str) -> str:
    """Repeated letters collapsed and "l" merged into "i": the alphabet the automaton uses."""
    return _REPEATED_RE.sub("", words).replace("l", "i")


_WORD_RUN_RE = re.compile(r"\w+")


def word_runs(tokens: list[str]) -> frozenset[str]:
    """The maximal runs of word characters (``\\w+``) in the tokens: each token, or for a token
    without letters that kept a symbol ("06$"), its runs ("06")."""
    runs = set(tokens)
    for token in tokens:
        if not token.isalnum():
            runs.discard(token)
            runs.update(_WORD_RUN_RE.findall(token))
    return frozenset(runs)


@dataclass(frozen=True, slots=True)
class NormalisedText:
    original: str
    folded: str
    words: str  # " tok tok tok " (padded: every word is between two spaces)
    key: str  # key_form(words)
    has_digit: bool
    # word_runs of ``words``: the phrase detectors' cheap first test (a word each of their
    # patterns needs is one of these runs, detectors/__init__.py).
    runs: frozenset[str]


def normalise(text: str) -> NormalisedText:
    folded = fold(text)
    tokens = word_tokens(folded)
    words = " " + " ".join(tokens) + " "
    return NormalisedText(
        original=text,
        folded=folded,
        words=words,
        key=key_form(words),
        has_digit=_DIGIT_RE.search(folded) is not None,
        runs=word_runs(tokens),
    )


def normalise_term(term: str) -> str:
    """The ``words`` form of an operator's term, without padding (see ``normalise``)."""
    return " ".join(word_tokens(fold(term)))


def words_with_offsets(original: str) -> tuple[str, list[tuple[int, int]]]:
    """The ``words`` form plus, for each of its tokens, the (start, end) span in ``original``.

    Not on the hot path (it folds character by character): used to show a moderator which part
    of the original message matched. The returned string equals ``normalise(original).words``.
    """
    offsets: list[int] = []
    pieces: list[str] = []
    for index, char in enumerate(original):
        piece = fold(char)
        pieces.append(piece)
        offsets.extend([index] * len(piece))
    folded = "".join(pieces)
    raw: list[tuple[str, int, int]] = []
    for match in _TOKEN_RE.finditer(folded):
        token = _clean_token(unstretch(match.group()))
        if token:
            raw.append((token, offsets[match.start()], offsets[match.end() - 1] + 1))
    tokens: list[tuple[str, int, int]] = []
    run: list[tuple[str, int, int]] = []

    def flush() -> None:
        if len(run) >= 3:
            tokens.append(("".join(t for t, _, _ in run).translate(_LEET), run[0][1], run[-1][2]))
        else:
            tokens.extend(run)

    for item in raw:
        if len(raw) >= 3 and len(item[0]) == 1:
            run.append(item)
            continue
        flush()
        run = []
        tokens.append(item)
    flush()
    words = " " + " ".join(t for t, _, _ in tokens) + " "
    return words, [(start, end) for _, start, end in tokens]
