"""How pseudonyms are compared: by their Unicode confusable skeleton (UTS #39, section 4).

"bob" and "bоb" (Cyrillic о), "admin" and "аdmin", "paypal" and "pаypal" look the same on
screen, so they must be the same pseudonym: one of them is taken, a reserved name stays
reserved whatever its spelling. The skeleton and the script checks come from ICU's spoof
checker (PyICU, shipped as the `pyicu-wheels` package), which carries Unicode's own
confusables.txt and identifier profile: no table of ours to keep up to date.

Pure functions, no database: the model's manager and the services call them.
"""

from __future__ import annotations

import functools
import unicodedata

import icu

# The unique column holds the key; a skeleton may be longer than the name ("m" is "rn",
# decomposed accents add a mark), so the column is wider than a pseudonym (32).
KEY_MAX_LENGTH = 255


@functools.cache
def _skeleton_checker() -> icu.SpoofChecker:
    return icu.SpoofChecker()


@functools.cache
def _script_checker() -> icu.SpoofChecker:
    # UTS #39 "moderately restrictive": one script, or Latin with one other script that is
    # not Cyrillic, Greek or Cherokee (so "山田taro" passes and "bоb" does not); digits from
    # one numbering system only; no invisible or repeated combining marks.
    checker = icu.SpoofChecker()
    checker.setChecks(
        icu.USpoofChecks.RESTRICTION_LEVEL | icu.USpoofChecks.MIXED_NUMBERS | icu.USpoofChecks.INVISIBLE
    )
    checker.setRestrictionLevel(icu.URestrictionLevel.MODERATELY_RESTRICTIVE)
    return checker


def skeleton(text: str) -> str:
    """The UTS #39 skeleton of `text` (NFD, each character mapped to its prototype, NFD)."""
    return _skeleton_checker().getSkeleton(0, text)


def pseudonym_key(pseudonym: str) -> str:
    """The form two pseudonyms are compared by, and the unique key stored for an account.

    Compatibility forms folded first (UTS #39 assumes NFKC identifiers: "ＡＤＭＩＮ" is
    "ADMIN"), case-folded before the skeleton (so "Bob" and "bob" are one name) and after it
    (the skeleton maps some characters to capitals: "0" → "O"), so that two names that
    differ only by width, case or look-alike characters get the same key.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", pseudonym.strip()).casefold())
    return skeleton(folded).casefold()


def lookup_keys(pseudonym: str) -> list[str]:
    """The keys an account named `pseudonym` may be stored under, best first: its skeleton
    key, then the case-folded name that accounts made before skeletons kept when their
    skeleton collided with an older account's (migration 0008)."""
    key = pseudonym_key(pseudonym)
    legacy = unicodedata.normalize("NFC", pseudonym.strip()).casefold()
    return [key] if legacy == key else [key, legacy]


def is_mixed_script(pseudonym: str) -> bool:
    """True when the name mixes scripts (or digit systems) beyond what UTS #39's
    "moderately restrictive" level allows: Latin letters with Cyrillic or Greek ones."""
    return bool(_script_checker().check(pseudonym))


def reserved_form(text: str) -> str:
    """What reserved names are compared by: the key without accents, separators or
    underscores ("Modérateur_1" and "mоderateur" both start with "rnoderateur")."""
    decomposed = unicodedata.normalize("NFD", pseudonym_key(text))
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))
