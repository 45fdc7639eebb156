"""Windows: a sender's recent messages in one conversation, read together with the current one.

A phone number, a handle or a meeting split over several messages ("06" / "12 34" / "56 78";
"mon snap c" / "lea.b" / "2009"; "on se voit" / "samedi" / "a la gare") is in none of them
alone. The caller (chat/services/recent.py) keeps the sender's last few texts to the same room
or person; `split_signals` runs the contact and meeting detectors over their concatenations
with the current message and returns what those find that the current message alone does not.
`screening.screen_text(..., recent=...)` then decides on those findings exactly as if the
current message had carried them, and adds the marker `SPLIT_MARKER` to the reasons.

Which concatenations: every run of consecutive recent texts that ends at the current message
("56 78"; "12 34 56 78"; "06 12 34 56 78"…). A finding counts only if the current message
completes it: present in the run with the current message, absent from the run without it, and
absent from the current message alone. So a number refused in full a minute ago does not
refuse the "ok" that follows it, and a message that triggers on its own is not counted twice.
Refused texts stay in the window (an attacker who splits and retries is exactly who the window
is for); when some are, the runs are also read with the refused texts left out, so that
"06 12 34" / "56 78" (refused) / "56.78" still joins the first and the last.

Cost: the concatenations are normalised and screened only when the window's *cues* allow a
finding (`could_find`): digits in the current message and in an earlier one (a number), an
"@" or a dot between words (an address or a link), an app or contact-detail word (a handle,
a move elsewhere), an invitation with a place or a time, or two invitation words (a meeting).
A text's cues are taken once, when it is remembered (`remember`), from its word runs.

Only the contact and meeting detectors read windows. Requests for photos, gifts or secrecy are
sentences that are rarely split word by word, and the conversation's grooming score
(grooming.py) already reads them across messages; terms and ages are not windowed either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moderation.policy.detectors.contact import (
    WINDOW_CONTACT_CUES,
    WINDOW_PROVIDER_CUES,
    WINDOW_WEB_RE,
    has_email,
    has_handle,
    has_offplatform_request,
    has_phone_number,
    has_url,
)
from moderation.policy.detectors.meeting import (
    WINDOW_INVITATION_CUES,
    WINDOW_PLACE_CUES,
    WINDOW_STREET_CUES,
    has_meeting_arrangement,
)
from moderation.policy.detectors.numbers import NUMBER_WORDS
from moderation.policy.normalise import NormalisedText, fold, normalise

# How many of the sender's earlier texts a window holds, and for how long (chat/services/recent.py).
WINDOW_MESSAGES = 5
WINDOW_SECONDS = 300.0
# A remembered text keeps its last characters only: what is split over messages sits at the
# end of the earlier ones, and the bound keeps the store small (2,000-character DMs).
REMEMBERED_CHARS = 200
# Added to a verdict's reasons when one of its findings was made over the window.
SPLIT_MARKER = "split_across_messages"

# The detectors windows run, in the order their codes are reported (screening._DETECTORS).
WINDOW_DETECTORS: tuple[tuple[str, Callable[[NormalisedText], bool]], ...] = (
    ("contact_phone", has_phone_number),
    ("contact_email", has_email),
    ("contact_url", has_url),
    ("contact_handle", has_handle),
    ("offplatform_request", has_offplatform_request),
    ("meeting_arrangement", has_meeting_arrangement),
)

# Cue classes of a text.
NUMBER, WEB, CONTACT, INVITATION, PLACE, STREET = "number", "web", "contact", "invitation", "place", "street"
# Number words that are also everyday words: alone they do not make a text a number's piece
# (a spelled phone number has other number words around them).
_WEAK_NUMBER_WORDS = frozenset({"un", "une", "one", "oh"})
_NUMBER_CUES = frozenset(NUMBER_WORDS) - _WEAK_NUMBER_WORDS
_DIGIT_RE = re.compile(r"\d")
_RUN_RE = re.compile(r"\w+")
# Digits read as letters inside a word (normalise.py's leetspeak table, digits only: "@" and
# "$" are not word characters, and a text with "@" is a piece of an address anyway).
_LEET_DIGITS = str.maketrans("01345789", "oieastbg")
_WEB_WORDS = frozenset({"dot", "point", "www", "http", "https"})


_CUE_WORDS = (
    _NUMBER_CUES | WINDOW_CONTACT_CUES | WINDOW_INVITATION_CUES | WINDOW_PLACE_CUES
    | WINDOW_PROVIDER_CUES | _WEB_WORDS
)


@dataclass(frozen=True, slots=True)
class RecentText:
    """One of the sender's earlier texts in the conversation, as the window reads it."""

    text: str
    cues: frozenset[str]
    refused: bool = False
    # The reason codes its own verdict carried (a finding made alone or over its window).
    codes: frozenset[str] = frozenset()


def cues_of(runs: frozenset[str], folded: str) -> frozenset[str]:
    """The cue classes of a text, from its word runs and its folded form."""
    found: list[str] = []
    if _DIGIT_RE.search(folded) is not None:
        found.append(NUMBER)
    words = runs & _CUE_WORDS  # one intersection; usually empty
    if words:
        if NUMBER not in found and not words.isdisjoint(_NUMBER_CUES):
            found.append(NUMBER)
        if not words.isdisjoint(WINDOW_CONTACT_CUES):
            found.append(CONTACT)
        if not words.isdisjoint(WINDOW_INVITATION_CUES):
            found.append(INVITATION)
        if not words.isdisjoint(WINDOW_PLACE_CUES):
            found.append(PLACE)
            if not words.isdisjoint(WINDOW_STREET_CUES):
                found.append(STREET)
        if not words.isdisjoint(WINDOW_PROVIDER_CUES):
            found.append(WEB)
    if WEB not in found and ("@" in folded or "." in folded or not words.isdisjoint(_WEB_WORDS)):
        if WINDOW_WEB_RE.search(folded) is not None:
            found.append(WEB)
    return frozenset(found)


def remember(text: str, *, refused: bool = False, reasons: Sequence[str] = ()) -> RecentText:
    """A text as a window keeps it: its end, and its cues taken once.

    The cues come from the text's runs of word characters, without the rest of normalisation
    (`normalise` costs more than the rest of the window): leetspeak inside a run with letters
    and digits ("sn4p") is undone as `normalise` would, and the run kept as it was too.
    """
    kept = text[-REMEMBERED_CHARS:]
    folded = fold(kept)
    runs = set(_RUN_RE.findall(folded))
    for run in [run for run in runs if not run.isalpha() and not run.isdigit()]:
        runs.add(run.translate(_LEET_DIGITS))
    return RecentText(kept, cues_of(frozenset(runs), folded), refused, frozenset(reasons))


def could_find(current: frozenset[str], recent: Sequence[RecentText]) -> bool:
    """Whether a concatenation of ``recent`` with the current text could hold a contact or
    meeting finding (each detector needs one of these combinations of cues)."""
    union = set(current)
    invitations = int(INVITATION in current)
    numbers_before = False
    for entry in recent:
        union |= entry.cues
        invitations += int(INVITATION in entry.cues)
        numbers_before = numbers_before or NUMBER in entry.cues
    if NUMBER in current and numbers_before:
        return True  # a phone number
    if WEB in union or CONTACT in union:
        return True  # an address, a link, a handle, a move elsewhere, a request for details
    if INVITATION in union and (PLACE in union or NUMBER in union):
        return True  # an invitation with a place or a time
    if NUMBER in union and PLACE in union:
        return True  # a street address
    return invitations >= 2  # an unambiguous invitation split in two ("viens" / "me voir")


def _sequences(recent: Sequence[RecentText]) -> list[tuple[RecentText, ...]]:
    """The recent texts, and without the refused ones when there are some."""
    sequences = [tuple(recent)]
    if any(entry.refused for entry in recent):
        passed = tuple(entry for entry in recent if not entry.refused)
        if passed:
            sequences.append(passed)
    return sequences


def _runs(sequence: tuple[RecentText, ...], *, numbers_only: bool, without: str) -> list[tuple[str, ...]]:
    """Runs of consecutive texts ending at the last one, shortest first, up to the first text
    whose verdict carried `without` (a run holding it would already carry that finding). For
    a number, a run that starts with a text without digits or number words is the run one
    shorter with a break in front: skipped."""
    runs: list[tuple[str, ...]] = []
    for start in range(len(sequence) - 1, -1, -1):
        if without in sequence[start].codes:
            break
        if not numbers_only or NUMBER in sequence[start].cues:
            runs.append(tuple(entry.text for entry in sequence[start:]))
    return runs


def _window_detect(text: NormalisedText, codes: Sequence[str]) -> set[str]:
    return {code for code, detects in WINDOW_DETECTORS if code in codes and detects(text)}


def _completed(run: tuple[str, ...], current: str, codes: Sequence[str]) -> tuple[set[str], set[str]]:
    """The codes the current text completes with this run (found with it, not without it),
    and those the run already carried without it."""
    earlier = " ".join(run)
    found = _window_detect(normalise(f"{earlier} {current}"), codes)
    carried = _window_detect(normalise(earlier), tuple(found)) if found else set()
    return found - carried, carried


def split_signals(
    current: NormalisedText, current_signals: tuple[str, ...], recent: Sequence[RecentText]
) -> tuple[str, ...]:
    """Contact and meeting codes the current message completes with the sender's recent
    texts (oldest first), that it does not carry alone."""
    if not recent:
        return ()
    codes = [code for code, _ in WINDOW_DETECTORS if code not in current_signals]
    current_cues = cues_of(current.runs, current.folded)
    if not codes or not could_find(current_cues, recent):
        return ()
    found: set[str] = set()
    phone = "contact_phone" in codes and NUMBER in current_cues
    phrases = [code for code in codes if code != "contact_phone"]
    for sequence in _sequences(recent):
        if phone and "contact_phone" not in found:
            for run in _runs(sequence, numbers_only=True, without="contact_phone"):
                completed, carried = _completed(run, current.original, ("contact_phone",))
                if completed or carried:
                    found |= completed
                    break  # found, or already in the run: a longer run holds it too
        # Phrases only gain from more text before them (a search finds a match wherever it
        # is; a school or online place before a meeting hides it, as in one message), and a
        # finding an earlier text already carried is not this text's: for each code, the
        # longest run without a text whose verdict carried it is the one to read.
        groups: dict[int, list[str]] = {}
        for code in phrases:
            if code not in found:
                groups.setdefault(len(_runs(sequence, numbers_only=False, without=code)), []).append(code)
        for group in groups.values():
            runs = _runs(sequence, numbers_only=False, without=group[0])
            if not runs:
                continue
            if STREET not in current_cues and not any(
                INVITATION in entry.cues or STREET in entry.cues for entry in sequence[-len(runs[-1]):]
            ):
                # A meeting split over messages starts with its invitation ("on se voit" /
                # "samedi" / "a la gare") or is an address ("12" / "rue des lilas"); a plan
                # stated first and acknowledged after ("we meet at the station at 10" /
                # "ok see u there") is a reply, not one.
                group = [code for code in group if code != "meeting_arrangement"]
                if not group:
                    continue
            completed, left = _completed(runs[-1], current.original, group)
            found |= completed
            # Carried by the longest run although no text's verdict said so (a caller that
            # does not pass verdicts): the shorter runs, until one carries it too.
            for run in runs[:-1]:
                if not left:
                    break
                completed, carried = _completed(run, current.original, tuple(left))
                found |= completed
                left -= completed | carried
    return tuple(code for code in codes if code in found)
