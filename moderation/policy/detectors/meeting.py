"""Meeting arrangements: an invitation to meet in person with a place or a precise time.

Designed so that classmates' everyday talk does not trigger: "je te vois demain en cours" has
no invitation, a vague time ("demain", "tomorrow") is not enough on its own, and an invitation
that names school or an online place ("en cours", "sur le serveur") is not a meeting. An
address, or an unambiguous invitation ("viens chez moi", "meet me irl"), is enough alone.
"""

from __future__ import annotations

import re

from moderation.policy.detectors import has_cue
from moderation.policy.normalise import NormalisedText

_STREET = (
    r"rue|avenue|av|bd|boulevard|place|chemin|impasse|allee|route|quai|cours|square|"
    r"street|st|road|rd|ave|lane|drive"
)
# "12 rue Victor Hugo", "3 bis avenue …", "221b baker street": read on the folded form.
_ADDRESS_RE = re.compile(
    rf"\b\d{{1,4}}\s?(?:b|bis|ter)?,?\s+(?:{_STREET})\s+(?:de\s+|du\s+|des\s+|d')?[a-z]"
)

_STRONG_INVITATION_RE = re.compile(
    r"\b(?:viens|venez|vient|come) (?:chez moi|me voir|me rejoindre|me chercher|over|to my place|"
    r"to my house|round|and see me|see me|meet me)\b"
    r"|\b(?:je|j) ?(?:viens|passe|peux venir|peux passer|vais venir) te (?:chercher|prendre|voir|capter|recuperer)\b"
    r"|\bjviens te (?:chercher|prendre|voir|capter|recuperer)\b"
    r"|\bon (?:se voit|se rencontre|se retrouve|se capte|pourrait se voir|"
    r"peut se voir) (?:en vrai|irl)\b"
    r"|\b(?:meet|see) (?:me |you |each other )?(?:irl|in person|in real life)\b"
    r"|\b(?:i ll|i will|i can|ill|let me) (?:pick you up|come (?:to|and) (?:get|see) you)\b"
    r"|\b(?:je veux|j aimerais|jaimerais|je voudrais|tu veux|tu voudrais) (?:te voir|"
    r"te rencontrer|me voir|me rencontrer|qu on se voie|qu on se voit|"
    r"qu on se rencontre) (?:en vrai|irl|seule?s?)\b"
    r"|\bmeet me (?:at|in|outside|behind|near|after)\b"
    # an outing that ends at the writer's home: "aller au ciné et après chez moi"
    r"|\b(?:et |puis )?(?:apres|ensuite|puis) (?:on va |on rentre |on finit |on passe )?chez moi\b"
    r"|\b(?:then|and then|after that|afterwards) (?:we go |we can go |back )?(?:to )?(?:my place|my house)\b"
    r"|\bback to my (?:place|house)\b"
    # a car, a pick-up, coming alone, an invitation home
    r"|\b(?:passe|passez|monte|montez|viens|venez) (?:chez moi|dans ma (?:voiture|caisse|bagnole))\b"
    r"|\b(?:hop|get|jump) in (?:my|the) car\b|\bcome (?:alone|by yourself|on your own)\b"
    r"|\bje (?:te|vous) (?:recupere|recup|ramene|depose) (?:a|apres|devant|en bas|chez|au|en voiture)\b"
    r"|\bje (?:t|vous) invite chez moi\b|\b(?:viens|venez|vient) (?:toute? |tout )?seule?s?\b"
    r"|\b(?:mes parents|ma mere|mon pere|mes darons|ma daronne|mon daron|my parents|my mom|my dad) "
    r"(?:sont|est|are|is) (?:pas la|absents?|partis?|away|out|not home|gone)\b(?=.*\b(?:viens|venez|tu viens|come|"
    r"come over|passe|rejoins)\b)"
)
_INVITATION_RE = re.compile(
    r"\b(?:on se (?:voit|retrouve|rejoint|rencontre|capte|fait)|rejoins moi|rejoignez moi|"
    r"retrouve moi|retrouvons nous|viens|venez|rdv|rendez vous|je t attends|attends moi|"
    r"on peut se voir|on pourrait se voir|on peut se capter|on pourrait se capter|on se capte|tu veux (?:qu on se voi[te]|me voir|te voir|venir)|"
    r"(?:j aimerais|jaimerais|je veux|je voudrais) te (?:voir|rencontrer)|"
    r"meet|meet up|see you|see u|come|join me|i ll be waiting|wanna hang|let s hang|lets hang|"
    r"hang out|je passe|je viens)\b"
)
_PLACE_RE = re.compile(
    r"\b(?:chez (?:moi|toi|lui|elle|nous|vous)|my place|your place|my house|your house|"
    r"ton adresse|your address|gare|station|metro|arret|bus stop|devant|derriere|parc|park|"
    r"mcdo|mcdonald s?|kebab|cafe|bar|hotel|cinema|cine|parking|car park|mall|"
    r"centre commercial|plage|beach|ma voiture|my car|pont|bridge|skatepark|stade)\b"
)
_PRECISE_TIME_RE = re.compile(
    r"\b\d{1,2}\s?h(?:\s?\d{2})?\b|\b\d{1,2}[:h]\d{2}\b|\b\d{1,2}\s?(?:am|pm)\b"
    r"|\b(?:ce soir|cette nuit|tonight|this evening|this afternoon|cet aprem|cet apres midi|"
    r"ce week end|ce weekend|this weekend|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|midi|minuit|noon|midnight)\b"
)
# School: classmates meet there every day and it is not an arrangement with a stranger. Only
# suppresses the ordinary invitations ("on se voit à 8h en maths"), not the unambiguous ones.
SCHOOL_RE = re.compile(
    r"\b(?:en cours|au lycee|au college|a l ecole|en classe|au bahut|en perm|a la cantine|au self|"
    r"en sport|en eps|at school|in class|in school|au cdi|a la recre|en recre|en maths|en francais|"
    r"en anglais|en histoire|en svt|en physique|en techno|au club|a l entrainement|at practice)\b"
)
# Online places: "rejoins-moi sur le serveur", "meet me in the lobby" are not in person (moving
# to another app is the off-platform detector's business).
ONLINE_RE = re.compile(
    r"\b(?:sur le serveur|sur le jeu|en ligne|online|in game|en jeu|sur la partie|on the server|"
    r"sur fortnite|sur minecraft|sur roblox|dans le salon|in the chat|sur le chat|lobby|"
    r"in the game|dans la partie|en vocal|in voice|in vc|on discord|sur discord)\b"
)


# An invitation to everyone, to something public: "match samedi, venez nous soutenir au gymnase",
# "anniv de Sarah samedi, vous venez ?" (policy/screening.py: flagged, not held, in minors' rooms).
_GROUP_INVITATION_RE = re.compile(
    r"\b(?:venez|vous venez|vous etes invites|vous etes invitees|tout le monde est invite|qui vient|qui veut venir|"
    r"y all come|you guys come|everyone s invited|everyone is invited|who s coming|whos coming|come support)\b"
)
# Only the writer and the reader: a group invitation that names them two is not one.
_ONE_TO_ONE_RE = re.compile(r"\b(?:seule?s?|alone|toi et moi|you and me|juste nous|just us|que nous deux|chez moi|my place)\b")


def is_group_invitation(text: NormalisedText) -> bool:
    """An invitation to a group (see above), with nothing that makes it one to one."""
    words = text.words
    return _GROUP_INVITATION_RE.search(words) is not None and _ONE_TO_ONE_RE.search(words) is None


def has_address(text: NormalisedText) -> bool:
    return text.has_digit and _ADDRESS_RE.search(text.folded) is not None


# Without an address, a meeting needs an invitation, strong or ordinary: every alternative of
# those two patterns has one of these words (detectors/__init__.py).
_INVITATION_CUES = frozenset({
    # _STRONG_INVITATION_RE, alternative by alternative
    "viens", "venez", "vient", "come", "chercher", "prendre", "voir", "vrai", "irl", "person",
    "real", "pick", "seul", "seule", "seuls", "seules", "meet", "apres", "ensuite", "puis", "then",
    "afterwards", "back", "after", "jviens", "jpasse", "j", "je", "capter", "recuperer", "passe", "passez", "monte", "montez", "hop", "get", "jump", "recupere",
    "recup", "ramene", "depose", "invite", "parents", "mere", "pere", "darons", "daronne", "daron", "mom", "dad",
    # _INVITATION_RE
    "voit", "retrouve", "rejoint", "rencontre", "capte", "capter", "fait", "rejoins", "rejoignez",
    "retrouvons", "rdv", "rendez", "attends", "voie", "venir", "rencontrer", "see", "join",
    "waiting", "hang", "passe",
})


def has_meeting_arrangement(text: NormalisedText) -> bool:
    if has_address(text):
        return True
    return has_cue(text.runs, _INVITATION_CUES) and _invitation_with_place_or_time(text)


# Which school or where, asked in the same breath as an invitation: "tu vas à quel bahut ? on
# peut se capter après les cours" sets the place by asking for it.
_WHERE_ASKED_RE = re.compile(
    r"\b(?:a|dans) quel (?:bahut|college|lycee|ecole|quartier)\b|\bquelle ville\b|\b(?:t habites|tu habites) ou\b"
    r"|\bou (?:tu habites|t habites|est ton (?:bahut|college|lycee|ecole))\b|\bwhich school\b"
    r"|\bwhere (?:do you|do u|u|you) (?:live|go to school)\b"
)


def _invitation_with_place_or_time(text: NormalisedText) -> bool:
    words = text.words
    if ONLINE_RE.search(words):
        return False
    if _STRONG_INVITATION_RE.search(words):
        return True
    if _INVITATION_RE.search(words) is None:
        return False
    if _WHERE_ASKED_RE.search(words):
        return True
    if SCHOOL_RE.search(words):
        return False
    return bool(_PLACE_RE.search(words) or _PRECISE_TIME_RE.search(text.folded))


# --- windows (moderation/policy/window.py) ----------------------------------------------------

# An invitation split over messages ("on se voit" / "samedi" / "a la gare"): the invitation
# cues above, and the words that complete one (a place, a time, a street, "come" + "over").
WINDOW_INVITATION_CUES: frozenset[str] = _INVITATION_CUES
WINDOW_PLACE_CUES: frozenset[str] = frozenset({
    # _PLACE_RE, one distinctive word of each phrase (the others are "moi", "my", "ton"…)
    "chez", "place", "house", "adresse", "address", "gare", "station", "metro", "arret", "bus",
    "stop", "devant", "derriere", "parc", "park", "mcdo", "mcdonald", "kebab", "cafe", "bar",
    "hotel", "cinema", "cine", "parking", "car", "mall", "centre", "commercial", "plage",
    "beach", "voiture", "pont", "bridge", "skatepark", "stade",
    # _PRECISE_TIME_RE without its digits
    "soir", "nuit", "tonight", "evening", "afternoon", "aprem", "apres", "midi", "week",
    "weekend", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "minuit",
    "noon", "midnight", "am", "pm",
    # what completes "come" in _STRONG_INVITATION_RE
    "over", "round",
}) | frozenset(_STREET.split("|"))
# The street words of an address ("12" / "rue des lilas").
WINDOW_STREET_CUES: frozenset[str] = frozenset(_STREET.split("|"))
