"""Signals that mean little in one message but describe grooming across a conversation.

Flattery, trust building and isolation, questions about age, being alone or where someone lives,
and sexual questions. They are only read by ``score_conversation``: a compliment alone is not a
reason to stop a message.
"""

from __future__ import annotations

import re

from moderation.policy.normalise import NormalisedText

_INTENSIFIER = r"(?:(?:trop|tellement|vraiment|si|tres|super|grave|so|really|very|too|such a) )?"
_COMPLIMENT_RE = re.compile(
    rf"\b(?:t es|tu es|t est|tes|t etais|you re|youre|ur|you are|u r|u are|u re) {_INTENSIFIER}"
    r"(?:belle|beau|mignonne|mignon|jolie|joli|canon|bonne|sexy|magnifique|charmante|craquante|"
    r"beautiful|pretty|cute|gorgeous|hot|adorable|stunning|mature|speciale?|special|differente?|"
    r"different|unique|parfaite?|perfect)\b"
    r"|\bmatures? (?:pour ton age|for your age)\b|\btu fais (?:plus|pas) (?:que )?ton age\b"
    r"|\byou (?:look|seem) (?:older|so mature|mature)\b"
)
_TRUST_RE = re.compile(
    r"\b(?:tu peux me faire confiance|fais moi confiance|you can trust me|trust me|"
    r"je suis la pour toi|i m (?:here|there) for you|im here for you|personne (?:ne )?te comprend|"
    r"je te comprends|je suis (?:le seul|la seule) (?:a|qui)|i understand you|"
    r"(?:nobody|no one) (?:else )?understands you|(?:tes|your|ur) parents (?:ne )?(?:te )?"
    r"(?:comprennent|understand|get) (?:pas|rien|you)|on a une (?:vraie )?connexion|"
    r"we have a (?:special |real )?connection|je tiens a toi|i care about you|"
    r"je suis ton ami|i m your friend|je ne te ferai (?:jamais|pas) de mal|i won t hurt you|"
    r"you re my favou?rite|t es ma preferee?)\b"
)
_AGE_QUESTION_RE = re.compile(
    r"\b(?:t as|tu as|ta|tas|t a|as tu|vous avez) quel age\b|\bquel age (?:t as|"
    r"tu as|as tu|ta|avez vous|tas)\b"
    r"|\bhow old (?:are|r) (?:you|u)\b|\basl\b|\b(?:t es|tu es|tes) en quelle classe\b"
    r"|\bwhat grade (?:are you|r u) in\b|\bt es (?:au college|au lycee|en \d+ ?e(?:me)?)\b"
    r"|\bt es (?:majeure?|mineure?)\b|\bare you (?:18|a minor|over 18|under 18)\b"
)
_ALONE_QUESTION_RE = re.compile(
    r"\b(?:t es|tu es|tes|are you|r u|you) (?:toute? )?(?:seule?|alone|by yourself|home alone)\b"
    r"|\b(?:tes|your|ur) parents (?:sont|are) (?:la|home|there|a la maison|around|partis|out)\b"
    r"|\b(?:il y a|ya) quelqu un (?:avec toi|chez toi)\b|\b(?:is anyone|"
    r"anyone) (?:with you|home|around)\b"
    r"|\b(?:t habites|tu habites|tu vis|where do you live|where u live|where r u from|t es d ou|"
    r"tu es d ou|ou tu habites|ou t habites|quelle ville)\b"
    r"|\bdans ta chambre\b|\bin your (?:room|bed)\b|\bta porte (?:est )?fermee\b"
)
_SEXUAL_QUESTION_RE = re.compile(
    r"\b(?:t es|tu es|are you|r u|you) (?:encore )?(?:vierge|a virgin|virgin)\b"
    r"|\b(?:t as|tu as|as tu|have you|ever) (?:deja )?(?:ever )?(?:embrasse|fait l amour|couche|"
    r"kissed|had sex|done it|touched)\b"
    r"|\b(?:tu portes quoi|what are you wearing|wyw|what r u wearing|t es habillee? comment)\b"
    r"|\b(?:ton corps|your body|ur body|en sous vetements|in your underwear|en culotte|"
    r"en maillot|in a bikini|soutien gorge|ta poitrine|tes seins)\b"
    r"|\btu (?:te )?touches\b|\btouch yourself\b"
)


def has_compliment(text: NormalisedText) -> bool:
    return _COMPLIMENT_RE.search(text.words) is not None


def has_trust_building(text: NormalisedText) -> bool:
    return _TRUST_RE.search(text.words) is not None


def has_age_question(text: NormalisedText) -> bool:
    return _AGE_QUESTION_RE.search(text.words) is not None


def has_isolation_question(text: NormalisedText) -> bool:
    return _ALONE_QUESTION_RE.search(text.words) is not None


def has_sexual_question(text: NormalisedText) -> bool:
    return _SEXUAL_QUESTION_RE.search(text.words) is not None
