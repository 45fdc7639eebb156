"""Numbers spelled out in French or English words, read back as digits.

Used to catch phone numbers given as words ("zéro six douze trente-quatre …", "oh seven seven
double …") and ages ("j'ai treize ans"). Works on the tokens of the ``words`` form, so accents,
case and hyphens are already gone ("dix-sept" is "dix sept").
"""

from __future__ import annotations

UNITS: dict[str, int] = {
    "zero": 0,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS: dict[str, int] = {
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "vingt": 20,
    "vingts": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
    "septante": 70,
    "huitante": 80,
    "octante": 80,
    "nonante": 90,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBER_WORDS: frozenset[str] = frozenset(UNITS) | frozenset(TEENS) | frozenset(TENS)


def _teen_or_unit(tokens: list[str], i: int) -> tuple[int, int] | None:
    """(value, next index) for 0..19 at ``tokens[i]``, or None."""
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token == "dix" and i + 1 < len(tokens) and tokens[i + 1] in ("sept", "huit", "neuf"):
        return 10 + UNITS[tokens[i + 1]], i + 2
    if token in TEENS:
        return TEENS[token], i + 1
    if token in UNITS:
        return UNITS[token], i + 1
    return None


def parse_number(tokens: list[str], i: int) -> tuple[int, int] | None:
    """Parse one number below 100 written in words at ``tokens[i]``: (value, next index)."""
    token = tokens[i]
    if token == "quatre" and i + 1 < len(tokens) and tokens[i + 1] in ("vingt", "vingts"):
        base, j = 80, i + 2
    elif token in TENS:
        base, j = TENS[token], i + 1
    else:
        return _teen_or_unit(tokens, i)
    if j < len(tokens) and tokens[j] == "et":
        after_et = _teen_or_unit(tokens, j + 1)
        if after_et is not None and after_et[0] in (1, 11):
            return base + after_et[0], after_et[1]
    rest = _teen_or_unit(tokens, j)
    if rest is not None and rest[0] > 0:
        value = rest[0]
        # Only soixante / quatre-vingt take a teen ("soixante-douze" = 72); elsewhere a
        # following teen is the next group of a phone number, not part of this one.
        if value < 10 or base in (60, 80):
            return base + value, rest[1]
    return base, j


def digit_runs(tokens: list[str]) -> list[str]:
    """Runs of consecutive number tokens (words or digits), each as a string of digits.

    A word number contributes its value ("douze" -> "12", "six" -> "6", "zero" -> "0"); a digit
    token contributes itself. "double"/"triple" repeat the next digit (British habit).
    """
    runs: list[str] = []
    current: list[str] = []
    repeat = 1
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.isdigit() and len(token) <= 4:
            current.append(token * repeat)
            repeat, i = 1, i + 1
            continue
        if token in ("double", "triple") and i + 1 < len(tokens):
            repeat, i = (2 if token == "double" else 3), i + 1
            continue
        parsed = parse_number(tokens, i) if token in NUMBER_WORDS else None
        if parsed is None:
            if current:
                runs.append("".join(current))
            current, repeat, i = [], 1, i + 1
            continue
        value, i = parsed
        current.append(str(value) * repeat)
        repeat = 1
    if current:
        runs.append("".join(current))
    return runs
