"""A line quoted from a film, a series, a book or a song: 'la scène « je sais où tu habites »',
'that movie line "I'll find you"'.

Quoting a threat is not making one: the threat detector and the harassment list judge what is
said outside the quotation marks, when the message names a work it quotes from. Only those
two: a quotation is no cover for contact details, sexual requests or anything else.
"""

from __future__ import annotations

import re

from moderation.policy.normalise import NormalisedText, normalise

# Straight, curly or French quotation marks around a few words.
_QUOTED_RE = re.compile(r'"[^"]{3,200}"|“[^”]{3,200}”|«[^»]{3,200}»')
_WORK_RE = re.compile(
    r"\b(?:film|films|serie|series|scene|replique|episode|saison|livre|roman|chanson|clip|trailer|"
    r"bande annonce|manga|anime|movie|show|season|book|novel|song|lyrics|quote)\b"
)


def outside_quotation(text: NormalisedText) -> NormalisedText | None:
    """What the writer says outside a quotation from a named work, or None when the message
    quotes no work."""
    if _QUOTED_RE.search(text.original) is None or _WORK_RE.search(text.words) is None:
        return None
    return normalise(_QUOTED_RE.sub(" ", text.original))
