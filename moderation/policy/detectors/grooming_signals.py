"""Signals that mean little in one message but describe grooming across a conversation.

Flattery, trust building and isolation, questions about age, being alone or where someone lives,
and sexual questions. They are only read by ``score_conversation``: a compliment alone is not a
reason to stop a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from moderation.policy.detectors import meeting
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
    # chat forms: "age?", "c quoi ton age", "what s ur age", "u 13?", "t as 14 ans ?"
    r"|^ age $|\b(?:c est quoi|c quoi|cest quoi|et) ton age\b|\bwhat s (?:your|ur|yr) age\b"
    r"|\b(?:are you|r u|ru|u) (?:1[0-7]|thirteen|fourteen|fifteen|sixteen|seventeen)\b"
    r"|\b(?:t as|tu as|ta|tas|t es|tes) (?:1[0-7]|treize|quatorze|quinze|seize|dix sept) ans\b"
    r"|\b(?:t es|tu es|tes|tu vas) (?:dans|a) quel (?:college|lycee|bahut|ecole)\b|\bwhat school (?:do you|do u|u|you) "
    r"(?:go to|attend|at)\b|\bwhich school\b"
)
_ALONE_QUESTION_RE = re.compile(
    r"\b(?:t es|tu es|tes|are you|r u|you) (?:toute? )?(?:seule?|alone|by yourself|home alone)\b"
    r"|\b(?:tes|your|ur) parents (?:sont|are) (?:la|home|there|a la maison|around|partis|out)\b"
    r"|\b(?:il y a|ya) quelqu un (?:avec toi|chez toi)\b|\b(?:is anyone|"
    r"anyone) (?:with you|home|around)\b"
    r"|\b(?:t habites|tu habites|tu vis|where do you live|where u live|where r u from|t es d ou|"
    r"tu es d ou|ou tu habites|ou t habites|quelle ville)\b"
    r"|\bdans ta chambre\b|\bin your (?:room|bed)\b|\bta porte (?:est )?fermee\b"
    # parents' whereabouts, asked: "r ur parents home?", "quand rentre ta mère ?"
    r"|\b(?:are|r|is|iz) (?:your|ur|yr) (?:parents|mom|mum|dad|folks|mother|father) (?:home|there|around|out|"
    r"away|at work|asleep|sleeping|gone)\b"
    r"|\bwhen do (?:your|ur) (?:parents|mom|mum|dad|folks) (?:leave|get home|go to work|come home|go to bed)\b"
    r"|\b(?:tes|ta|ton) (?:parents|mere|pere|daronne|daron|reum|vieux|darons) (?:sont|est) (?:la|a la maison|"
    r"partis?|parties?|au travail|couches?|couchee?s?|pas la)\b"
    r"|\bquand (?:est ce que )?(?:tes parents|ta mere|ton pere|ta daronne|ton daron) (?:rentrent|rentre|partent|"
    r"part|sont pas la|se couchent)\b"
    # where someone lives or studies, in chat forms
    r"|\bwhere (?:do you|do u|u|you|r u|are you) (?:live|stay|from|at)\b|\bt es de quelle ville\b"
    r"|\btu habites (?:vers|dans) quel\w*\b|\bc est quoi ton (?:adresse|college|lycee|bahut)\b"
)
_SEXUAL_QUESTION_RE = re.compile(
    r"\b(?:t es|tu es|are you|r u|you) (?:encore )?(?:vierge|a virgin|virgin)\b"
    r"|\b(?:t as|tu as|as tu|have you|ever) (?:deja )?(?:ever )?(?:embrasse|fait l amour|couche|"
    r"kissed|had sex|done it|touched)\b"
    r"|\b(?:tu portes quoi|what are you wearing|wyw|what r u wearing|t es habillee? comment)\b"
    r"|\b(?:ton corps|your body|ur body|en sous vetements|in your underwear|en culotte|"
    r"en maillot|in a bikini|soutien gorge|ta poitrine|tes seins)\b"
    r"|\btu (?:te )?touches\b|\btouch yourself\b"
    # kissing, liking older men: "have u ever been kissed", "do u like older guys"
    r"|\b(?:ever )?been kissed\b"
    r"|\bdo (?:you|u) like older (?:guys|men|boys)\b|\b(?:t aimes|tu aimes) les (?:hommes|mecs|garcons) plus "
    r"(?:ages|vieux|grands)\b"
)
# Asking about boyfriends and girlfriends: teenagers ask each other too, so it weighs little.
_RELATIONSHIP_RE = re.compile(
    r"\bdo (?:you|u) have a (?:bf|boyfriend|gf|girlfriend)\b|\b(?:got|u got) a (?:bf|boyfriend|gf|girlfriend)\b"
    r"|\b(?:t as|tu as|ta|tas|as tu) (?:un|une) (?:copain|copine|mec|petit copain|petite copine|keum|cheri|cherie)"
    r"(?! (?:de|d|du|des|en|qui|pour)\b)"
)
# Moving to the camera, asked as a question: "do u have a cam?", "t'as une webcam ?".
_CAM_RE = re.compile(
    r"\b(?:do (?:you|u) have|got|have (?:you|u) got|u got|you got) (?:a )?(?:web ?cam|cam|camera)\b"
    r"|\b(?:t as|tu as|ta|tas|as tu) (?:une )?(?:web ?cam|cam|camera)\b|\bon (?:cam|webcam)\b"
)
# A meeting suggested with no place or time yet (the per-message detector wants one): it
# counts in a conversation. "can we meet?", "on pourrait se voir", "i could pick u up".
_MEETING_IDEA_RE = re.compile(
    r"\b(?:can we|could we|we should|wanna|want to|lets|let s) (?:meet|meet up|hang out|see each other)\b"
    r"(?! (?:the|a|our|my|your|this|that) (?:deadline|goal|target|requirement|requirements|expectations|quota)\b)"
    r"|\b(?:pick (?:you|u) up|come (?:and )?get (?:you|u))\b"
    r"|\bon (?:pourrait|peut|devrait) se (?:voir|rencontrer|capter)\b|\btu veux qu on se (?:voie|voit|rencontre)\b"
    r"|\b(?:je peux|je pourrais) (?:venir )?te (?:chercher|prendre|voir)\b"
)
# Gifts promised, in the forms the per-message detector leaves to the conversation.
_GIFT_IDEA_RE = re.compile(
    r"\b(?:i (?:can|could|will|ll)|ill) (?:buy|get|send) (?:you|u) (?:stuff|things|anything|something|a phone|clothes|"
    r"credit|skins|vbucks|robux)\b|\bje (?:peux|pourrais|vais) t (?:acheter|offrir|payer)\b"
    r"|\bje t (?:achete|offre|paie|paye)\b"
)
# The adult playing down the age gap: "age is just a number", "ça te dérange mon âge ?".
_AGE_GAP_EXCUSE_RE = re.compile(
    r"\bage (?:is (?:just|only) a number|doesn t matter|dont matter|does not matter)"
    r"(?= $| (?:to me|between us|for love|for us|right|ok|okay|lol)\b)"
    r"|\b(?:does|do) (?:my )?age (?:bother|matter to) (?:you|u)\b|\bdoes it bother (?:you|u) (?:that i m|im) older\b"
    r"|\bl age (?:c est|n est) qu un (?:chiffre|nombre)\b|\bl age (?:on s en fout|compte pas|ne compte pas)\b"
    r"|\bca te derange (?:mon age|que (?:je sois|j ai) plus)\b"
)


def _finds(pattern: re.Pattern[str]) -> Callable[[NormalisedText], bool]:
    def detects(text: NormalisedText) -> bool:
        return pattern.search(text.words) is not None

    return detects


has_compliment = _finds(_COMPLIMENT_RE)
has_trust_building = _finds(_TRUST_RE)
has_age_question = _finds(_AGE_QUESTION_RE)
has_isolation_question = _finds(_ALONE_QUESTION_RE)
has_sexual_question = _finds(_SEXUAL_QUESTION_RE)
has_cam_question = _finds(_CAM_RE)
has_relationship_question = _finds(_RELATIONSHIP_RE)
has_gift_idea = _finds(_GIFT_IDEA_RE)
has_age_gap_excuse = _finds(_AGE_GAP_EXCUSE_RE)


def has_meeting_idea(text: NormalisedText) -> bool:
    # Classmates and players see each other every day: not a meeting to arrange.
    words = text.words
    return (_MEETING_IDEA_RE.search(words) is not None
            and meeting.SCHOOL_RE.search(words) is None and meeting.ONLINE_RE.search(words) is None)
