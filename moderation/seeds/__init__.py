"""Seed term lists shipped with Phare, so that an empty database still screens safely.

Reads the package's own data files (``importlib.resources``); see NOTICE.md for sources and
licences. Pure apart from that read: no Django, no database.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from moderation.policy.terms import TERM_KINDS, TermEntry

_LDNOOBW_FILES = {"en": "ldnoobw-en.txt", "fr": "ldnoobw-fr.txt"}
_OWN_FILES = {"fr": "terms-fr.tsv", "en": "terms-en.tsv"}
_SKIP = "-"


def _lines(name: str) -> list[str]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def _ldnoobw_categories() -> tuple[dict[str, str], dict[str, str]]:
    """(term -> category, language -> default category) from ldnoobw-categories.tsv."""
    mapping: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for line in _lines("ldnoobw-categories.tsv"):
        term, category = (part.strip() for part in line.split("\t"))
        if term.startswith("@default-"):
            defaults[term.removeprefix("@default-")] = category
        else:
            mapping[term.casefold()] = category
    return mapping, defaults


@lru_cache(maxsize=1)
def _seed_terms() -> tuple[TermEntry, ...]:
    entries: list[TermEntry] = []
    seen: set[tuple[str, str]] = set()
    for lang, name in _OWN_FILES.items():
        for line in _lines(name):
            category, kind, term = line.split("\t", 2)
            if kind not in TERM_KINDS:
                raise ValueError(f"{name}: unknown kind {kind!r} in line {line!r}")
            entries.append(TermEntry(term=term.strip(), category=category, kind=kind, lang=lang))  # type: ignore[arg-type]
            seen.add((term.strip().casefold(), lang))
    mapping, defaults = _ldnoobw_categories()
    for lang, name in _LDNOOBW_FILES.items():
        for line in _lines(name):
            term = line.strip()
            category = mapping.get(term.casefold(), defaults[lang])
            if category == _SKIP or (term.casefold(), lang) in seen:
                continue  # Phare's own list already categorises it, or it is an ordinary word
            entries.append(TermEntry(term=term, category=category, kind="exact", lang=lang))
    return tuple(entries)


def load_seed_terms() -> list[TermEntry]:
    """Every seed entry: Phare's own FR/EN lists, then the categorised LDNOOBW entries."""
    return list(_seed_terms())


def load_seed_allow() -> list[str]:
    """Seed allow-list phrases (matches inside them are ignored)."""
    return [line.strip() for line in _lines("allow.txt")]
