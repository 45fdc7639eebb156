"""Operator term lists compiled into one Aho-Corasick automaton.

Every exact and wildcard entry of every category, and every allow-list entry, goes into a single
automaton over the ``key`` form (see ``normalise``), so one pass over a message finds all of them
whatever the size of the lists. Keys carry their word boundaries as spaces (" sex " does not occur
in " sussex "), which is how matches respect word boundaries without a second check.

Regex entries cannot live in an automaton: they run one by one over the ``words`` form (lower
case, no accents, leetspeak undone, words separated by single spaces, padded with a space at
each end), so their cost grows with their number. ``PolicyConfig.max_regex_terms`` caps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import ahocorasick

from moderation.policy.normalise import NormalisedText, key_form, normalise_term

TermKind = Literal["exact", "wildcard", "regex"]
TERM_KINDS: tuple[str, ...] = ("exact", "wildcard", "regex")


@dataclass(frozen=True, slots=True)
class TermEntry:
    """One operator-managed entry of a category's list.

    ``kind``: "exact" (whole words, after normalisation), "wildcard" (``*`` at the start and/or
    end only: ``fuck*`` matches "fucking"), "regex" (Python syntax, run on the words form: see
    the module docstring).
    ``lang`` is metadata for the admin ("fr", "en", "any"): every enabled entry applies to every
    message because people mix languages. ``observe_only`` entries never change a decision; what
    they would have done is reported in ``Verdict.observed``.
    """

    term: str
    category: str
    kind: TermKind = "exact"
    lang: str = "any"
    enabled: bool = True
    observe_only: bool = False

    def __post_init__(self) -> None:
        if self.kind not in TERM_KINDS:
            raise ValueError(f"unknown term kind {self.kind!r}")
        if not self.term.strip():
            raise ValueError("empty term")
        if self.kind == "wildcard" and "*" in self.term.strip("*"):
            raise ValueError(f"wildcard {self.term!r}: '*' is allowed only at the start or end")


@dataclass(frozen=True, slots=True)
class TermHit:
    category: str
    term: str
    observe_only: bool


@dataclass(frozen=True, slots=True)
class _Compiled:
    entry: TermEntry | None  # None for an allow-list entry
    # Short terms whose letters are doubled ("ass", "butt") would, once collapsed, equal common
    # words ("as", "but"): for those the doubled letters are checked on the words form.
    doubled_check: re.Pattern[str] | None


# Collapsed keys this short or shorter keep their doubled letters mandatory (see _Compiled).
_SHORT_KEY = 4


def _doubled_check(words_term: str, *, left_open: bool, right_open: bool) -> re.Pattern[str]:
    parts: list[str] = []
    for match in re.finditer(r"(.)\1*", words_term):
        char, count = match.group(1), len(match.group())
        char_class = "[il]" if char in "il" else re.escape(char)
        parts.append(f"{char_class}{{2,}}" if count >= 2 else f"{char_class}+")
    left = "" if left_open else "(?<![^ ])"
    right = "" if right_open else "(?![^ ])"
    return re.compile(left + "".join(parts) + right)


@dataclass(frozen=True, slots=True)
class TermMatcher:
    """Immutable compiled lists. Build with ``compile_terms``; share freely between threads."""

    automaton: ahocorasick.Automaton | None
    regexes: tuple[tuple[re.Pattern[str], TermEntry], ...]
    term_count: int

    def find(self, text: NormalisedText) -> list[TermHit]:
        hits: list[TermHit] = []
        if self.automaton is not None:
            found: list[tuple[int, int, _Compiled]] = []
            allowed: list[tuple[int, int]] = []
            for end, (length, compiled_entries) in self.automaton.iter(text.key):
                start = end - length + 1
                for compiled in compiled_entries:
                    if compiled.entry is None:
                        allowed.append((start, end))
                    else:
                        found.append((start, end, compiled))
            # One check per distinct term, not per occurrence: a message repeating a short
            # term thousands of times must not rescan itself thousands of times.
            doubled_ok: dict[int, bool] = {}
            for start, end, compiled in found:
                if any(a_start <= start and end <= a_end for a_start, a_end in allowed):
                    continue
                check = compiled.doubled_check
                if check is not None:
                    if id(check) not in doubled_ok:
                        doubled_ok[id(check)] = check.search(text.words) is not None
                    if not doubled_ok[id(check)]:
                        continue
                entry = compiled.entry
                assert entry is not None
                hits.append(TermHit(entry.category, entry.term, entry.observe_only))
        for pattern, entry in self.regexes:
            if pattern.search(text.words):
                hits.append(TermHit(entry.category, entry.term, entry.observe_only))
        return hits


def compile_terms(terms: Iterable[TermEntry], allow: Iterable[str] = ()) -> TermMatcher:
    """Compile enabled entries and the allow list. Raises ``ValueError`` on a bad regex."""
    by_key: dict[str, list[_Compiled]] = {}
    regexes: list[tuple[re.Pattern[str], TermEntry]] = []
    count = 0
    for entry in terms:
        if not entry.enabled:
            continue
        count += 1
        if entry.kind == "regex":
            try:
                regexes.append((re.compile(entry.term), entry))
            except re.error as error:
                raise ValueError(f"regex term {entry.term!r}: {error}") from error
            continue
        left_open = entry.kind == "wildcard" and entry.term.startswith("*")
        right_open = entry.kind == "wildcard" and entry.term.endswith("*")
        words_term = normalise_term(
            entry.term.strip("*") if entry.kind == "wildcard" else entry.term
        )
        if not words_term:
            continue  # a term made only of punctuation cannot match a word
        key = key_form(words_term)
        check = None
        if len(key) <= _SHORT_KEY and key != words_term.replace("l", "i"):
            check = _doubled_check(words_term, left_open=left_open, right_open=right_open)
        padded = ("" if left_open else " ") + key + ("" if right_open else " ")
        by_key.setdefault(padded, []).append(_Compiled(entry, check))
    for phrase in allow:
        words_phrase = normalise_term(phrase)
        if words_phrase:
            by_key.setdefault(" " + key_form(words_phrase) + " ", []).append(_Compiled(None, None))
    automaton = None
    if by_key:
        automaton = ahocorasick.Automaton()
        for key, compiled_entries in by_key.items():
            automaton.add_word(key, (len(key), tuple(compiled_entries)))
        automaton.make_automaton()
    return TermMatcher(automaton=automaton, regexes=tuple(regexes), term_count=count)


def unique_hits(hits: Sequence[TermHit]) -> list[TermHit]:
    seen: set[tuple[str, str, bool]] = set()
    out: list[TermHit] = []
    for hit in hits:
        marker = (hit.category, hit.term, hit.observe_only)
        if marker not in seen:
            seen.add(marker)
            out.append(hit)
    return out
