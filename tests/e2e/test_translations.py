"""The French and English catalogues are complete, and the committed .mo files match them,
so that a fresh clone shows the whole UI in both languages without running msgfmt."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [
    ROOT / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in ("fr", "en")
] + [ROOT / "chat" / "locale" / lang / "LC_MESSAGES" / "djangojs.po" for lang in ("fr", "en")]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def read_po(path: Path) -> list[Entry]:
    """A small reader for the .po files `makemessages` writes (no obsolete entries kept)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal current
        if current.msgid or current.msgstr:
            entries.append(current)
        current = Entry()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~") or not line.strip():
            continue
        if line.startswith("#,"):
            if current.msgid or current.msgstr:
                flush()
            current.fuzzy = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest)
            if keyword in ("msgctxt", "msgid") and current.msgstr:
                flush()
            if keyword.startswith("msgstr["):
                target = ("msgstr", int(keyword[7:-1]))
            elif keyword == "msgstr":
                target = ("msgstr", 0)
            else:
                target = (keyword, 0)
            if target[0] == "msgstr":
                current.msgstr[target[1]] = ""
            else:
                setattr(current, target[0], "")
        assert target is not None, f"{path}: text before any keyword: {line!r}"
        if target[0] == "msgstr":
            current.msgstr[target[1]] += value
        else:
            setattr(current, target[0], (getattr(current, target[0]) or "") + value)
    flush()
    return [e for e in entries if e.msgid]  # the header has an empty msgid


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated_with_the_same_placeholders(po: Path):
    entries = read_po(po)
    assert len(entries) > 50, "the catalogue looks empty: run `make messages`"
    untranslated = [e.msgid for e in entries if e.fuzzy or not all(e.msgstr.values()) or not e.msgstr]
    assert untranslated == []
    for entry in entries:
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in entry.msgstr.values():
            assert sorted(PLACEHOLDER.findall(text)) == wanted, (entry.msgid, text)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_mo_matches_its_po(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages` and commit it"
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for entry in read_po(po):
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            assert catalogue.ngettext(key, entry.msgid_plural, 1) in (entry.msgstr[0], key)
            assert catalogue.ngettext(key, entry.msgid_plural, 5) == entry.msgstr[1]
        else:
            assert catalogue.gettext(key) == entry.msgstr[0], f"{mo} is stale for {entry.msgid!r}"


def test_french_is_the_real_french_catalogue():
    fr = {e.msgid: e.msgstr[0] for e in read_po(CATALOGUES[0]) if not e.msgid_plural}
    assert fr["Create an account"] == "Créer un compte"
    js = {e.msgid: e.msgstr[0] for e in read_po(CATALOGUES[2]) if not e.msgid_plural}
    assert js["You cannot contact this person."] == "Tu ne peux pas contacter cette personne."


JS_CALL = re.compile(r'\b(?:gettext|ngettext)\(\s*"((?:[^"\\]|\\.)*)"')


def test_every_string_of_the_client_scripts_is_in_the_catalogue():
    """A string added to the client without `make messages` would stay English in French."""
    known = {e.msgid for e in read_po(CATALOGUES[2])}
    missing = []
    for script in sorted((ROOT / "chat" / "static" / "chat").glob("*.js")):
        for match in JS_CALL.finditer(script.read_text(encoding="utf-8")):
            text = ast.literal_eval('"' + match.group(1) + '"')
            if text not in known:
                missing.append((script.name, text))
    assert missing == []
