"""Detectors: small pure functions over a ``NormalisedText``, each table-tested.

A detector answers one question about one message ("does it carry a phone number?"). What the
answer means depends on where the message is posted; that is decided in ``screening``.

Cues: a phrase detector's patterns run over every message, most of which say nothing of the
kind, and Python's regular expressions try every position of the text. So each phrase detector
first asks whether the message has one of its *cues*: words that every match of its patterns
contains as a whole run of word characters (a pattern's alternatives are bounded by spaces or
``\b``). Without one of them, none of its patterns can match and the answer is no; with one,
the patterns run as before. The cues only ever skip work, never decide: tests/moderation/
policy/test_detector_cues.py compares each detector with and without them on thousands of
messages and on every phrase of the detectors' own tests.
"""


def has_cue(runs: frozenset[str], cues: frozenset[str]) -> bool:
    """Whether one of a detector's cues is among the text's word runs."""
    return not runs.isdisjoint(cues)


def first_words(alternation: str) -> frozenset[str]:
    """The first word of each alternative of a pattern made only of literal phrases
    ("snap|tik tok" -> {"snap", "tik"}): cues for it."""
    return frozenset(alternative.split()[0] for alternative in alternation.split("|"))
