"""Contact details and requests to continue elsewhere.

Phone numbers, emails and URLs are read on the ``folded`` form (digits and punctuation kept);
handles and "add me on …" on the ``words`` form too, where leetspeak is undone ("sn4p").
Each detector starts with a cheap test so that an ordinary sentence costs almost nothing.
"""

from __future__ import annotations

import re

from moderation.policy.detectors import first_words, has_cue
from moderation.policy.detectors.numbers import NUMBER_WORDS, digit_runs
from moderation.policy.normalise import NormalisedText

# --- phone numbers ----------------------------------------------------------------------------

# Dates with a four-digit year would otherwise join neighbouring numbers into a phone-sized run.
_DATE_RE = re.compile(r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}\b|\b\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}\b")
# The letter o used as a zero next to digits ("O6 12 …").
_LETTER_O_RE = re.compile(r"(?<=\d)o|o(?=\d)")
# Digits joined by at most three separator characters (spaces incl. a line break, dots, dashes,
# slashes, brackets), optionally led by "+".
_DIGIT_CLUSTER_RE = re.compile(r"(\+\s*)?\d(?:[\s.\-/()]{0,3}\d)*")
_NON_DIGIT_RE = re.compile(r"\D")
_GROUP_RE = re.compile(r"\d+")


def _is_phone_digits(digits: str, *, prefixed: bool, groups: list[str]) -> bool:
    if prefixed or digits.startswith("00"):
        international = digits[2:] if digits.startswith("00") and not prefixed else digits
        return 8 <= len(international) <= 15
    if digits.startswith("0"):
        return len(digits) in (10, 11)  # French 10, British 11
    # A mobile with its country code but no "+": "33 6 12 34 56 78", "447700 900 123".
    if digits.startswith(("33", "32", "41")) and len(digits) == 11 and digits[2] in "67":
        return True
    if digits.startswith("44") and len(digits) == 12 and digits[2] == "7":
        return True
    if len(digits) == 10 and [len(g) for g in groups] == [3, 3, 4]:
        return True  # North American 555 123 4567
    # A French mobile without its leading zero, written in pairs: "6 12 34 56 78".
    return len(digits) == 9 and [len(g) for g in groups] == [1, 2, 2, 2, 2]


def has_phone_number(text: NormalisedText) -> bool:
    if text.has_digit:
        folded = text.folded
        if len(_NON_DIGIT_RE.sub("", folded)) >= 8:
            folded = _LETTER_O_RE.sub("0", _DATE_RE.sub(" ; ", folded))
            for match in _DIGIT_CLUSTER_RE.finditer(folded):
                cluster = match.group()
                digits = _NON_DIGIT_RE.sub("", cluster)
                if len(digits) >= 8 and _is_phone_digits(
                    digits, prefixed=match.group(1) is not None, groups=_GROUP_RE.findall(cluster)
                ):
                    return True
    return _has_spelled_phone_number(text)


def _has_spelled_phone_number(text: NormalisedText) -> bool:
    tokens = text.words.split()
    words_in_text = sum(1 for token in tokens if token in NUMBER_WORDS)
    if words_in_text < 3:
        return False
    for run in digit_runs(tokens):
        if run.startswith("0") and len(run) in (10, 11):
            return True
        if (
            run.startswith(("33", "44", "32", "41", "1"))
            and 10 <= len(run) <= 13
            and (" plus " in text.words or "+" in text.folded)
        ):
            return True
    return False


# --- emails and links -------------------------------------------------------------------------

_PROVIDERS = (
    r"gmail|hotmail|yahoo|outlook|live|msn|icloud|orange|free|sfr|laposte|wanadoo|"
    r"proton(?:mail)?|gmx|aol|yopmail"
)
_TLDS = r"com|fr|net|org|be|ch|ca|co|uk|io|me|eu|de|info"
# Only the end of the local part is read: anchoring on "x@" keeps the search linear however
# long a run of letters is (a greedy local part made a 20,000-letter message take seconds).
_EMAIL_RE = re.compile(
    r"[a-z0-9]@\s*[a-z0-9\-]{1,63}(?:\s*\.\s*[a-z0-9\-]{1,63}){0,4}\s*\.\s*[a-z]{2,24}\b"
    # spaced before the "@" ("jean @ gmail.com"): only with a known ending, or "follow c
    # @theatre.college.jaures" (a handle after a word) would read as an address
    rf"|[a-z0-9]\s+@\s*[a-z0-9\-]{{1,63}}(?:\s*\.\s*[a-z0-9\-]{{1,63}}){{0,4}}\s*\.\s*(?:{_TLDS})\b"
)
# "jean at gmail dot com", "jean arobase orange point fr": only with a known provider or a
# domain followed by a spelled dot and a known ending, so "meet at noon. come" is not an email.
_SPELLED_EMAIL_RE = re.compile(
    r"[a-z0-9]\s*(?:\(at\)|\[at\]|\{at\}|\s(?:at|arobase|arrobase|arobaze)\s)\s*"
    rf"(?:(?:{_PROVIDERS})\b|[a-z0-9\-]{{1,63}}\s*(?:\.|\(dot\)|\[dot\]|"
    rf"\s(?:dot|point)\s)\s*(?:{_TLDS})\b)"
)
_URL_RE = re.compile(
    r"\b(?:https?://|www\.)\S+"
    r"|\b[a-z0-9][a-z0-9\-]{1,62}\s?\.\s?"
    r"(?:com|fr|net|org|io|gg|me|ly|be|ch|co|xyz|app|tv|info|link|site|online|club|live|uk|de|"
    r"es|it|ru|to|cc|onion)\b(?:/\S*)?"
    # Spelled-out dots only before the endings people actually spell ("monsite point com"):
    # "un point de vue" is not a link.
    r"|\b[a-z0-9][a-z0-9\-]{1,62}\s?(?:\(dot\)|\[dot\]|\sdot\s|\spoint\s)\s?(?:com|fr|net|org)\b"
)


def has_email(text: NormalisedText) -> bool:
    folded = text.folded
    if "@" in folded and _EMAIL_RE.search(folded):
        return True
    if (
        " at " in folded
        or "arobas" in folded
        or "arrobas" in folded
        or "(at)" in folded
        or "[at]" in folded
    ):
        return _SPELLED_EMAIL_RE.search(folded) is not None
    return False


def has_url(text: NormalisedText) -> bool:
    folded = text.folded
    if (
        "." not in folded
        and " dot " not in folded
        and " point " not in folded
        and "(dot)" not in folded
    ):
        return False
    return _URL_RE.search(folded) is not None


# --- social handles and moving elsewhere ------------------------------------------------------

# Names that are apps and nothing else; short or common-word names ("sc", "signal", "x") only
# count in the tight "add me on …" phrasing.
_APPS = (
    r"snap|snapp|snapchat|insta|instagram|tiktok|tik tok|discord|telegram|whatsapp|whatsap|watsap|"
    r"watsapp|kik|facebook|messenger|skype|wechat|viber|omegle|bereal|wickr|threema|twitter|"
    r"twitch|reddit"
)
# Nicknames: "le fantôme (jaune)" and its ghost for Snapchat, "wsp" for WhatsApp, "dc" for Discord.
_WEAK_APPS = r"sc|ig|wa|tg|fb|signal|sig|x|line|msn|tel|teams|zoom|snp|wsp|wtsp|whats|dc|disc|tlg|fantome"
# Snapchat's ghost, in the folded form (the words form has no emoji): "👻 : kev1n.pv".
# After a colon anything that follows; without one, only what looks like nothing but a handle.
_GHOST_HANDLE_RE = re.compile(
    r"👻\s*(?:[:=]\s*[\"'«“]?@?[a-z0-9_.]*[a-z][a-z0-9_.]{2,}"
    r"|[\"'«“]?@[a-z0-9_.]{3,}|[\"'«“]?(?=[a-z0-9_.]*[a-z])[a-z0-9]+[0-9_.][a-z0-9_.]*[a-z0-9])"
)
_APP_WORD_RE = re.compile(rf"\b(?:{_APPS}|{_WEAK_APPS})\b")

_ADD_ME_RE = re.compile(
    r"\b(?:ajoute|ajouter|ajoutes|rajoute|add|follow|folow|suis|suivez|abonne toi|sub)"
    rf"(?: moi| me| nous| us)? (?:sur|on|en|via|a) (?:mon |my |ma |le |l )?(?:{_APPS}|{_WEAK_APPS})\b"
)
# Words that describe an account rather than name it ("mon insta c'est nul").
_NOT_A_HANDLE = (
    r"(?:nul|nulle|naze|cool|bien|mort|morte|prive|public|pourri|bloque|supprime|vide|ferme|"
    r"broken|private|dead|down|lame|empty|banned|locked|new|old|pas|plus|quoi|what|trop|so)\b"
)
# "mon snap c'est lea_2010", "mon snap c lea.b" (SMS "c" for "c'est"), "my insta is @lea",
# "snap: lea2010": an app followed by something
# that looks like a handle (has a digit, "_" or "." or "@", or ends the message).
_MY_HANDLE_RE = re.compile(
    rf"\b(?:mon|ma|my|mn|mes)\s+(?:{_APPS}|{_WEAK_APPS})\s*(?:c\s?'?\s?est|c(?!\s?'?\s?est\b)\b|est|is|=|:|->)?\s*"
    r"(?:@[a-z0-9_.]{2,}|[a-z0-9_.]*[0-9_.][a-z0-9_.]*[a-z0-9]|(?!"
    + _NOT_A_HANDLE
    + r")[a-z][a-z0-9_.]{2,}\s*$)"
)
_APP_COLON_HANDLE_RE = re.compile(rf"\b(?:{_APPS}|{_WEAK_APPS})\s*[:=]\s*[\"'«“]?\s*@?[a-z0-9_.]{{2,}}")
# An app, then at once something only a handle looks like: letters with digits, "_", "." or "#"
# ("snap lucas.dsr17", "discord kevin_frtn#4412", 'ma snap c "jojo.2k09"'), or an "@handle".
_APP_THEN_HANDLE_RE = re.compile(
    rf"\b(?:{_APPS})\s*(?:c\s?'?\s?est|c|est|is|=|:|->)?\s*[\"'«“]?\s*"
    r"(?:@[a-z0-9_.]{2,}|(?!\d+(?:min|mins|h|hr|hrs|s|sec|x|e|eme|ans|an|k|m|j|mois|fois)\b)(?=[a-z0-9_.#]*[a-z])(?=[a-z0-9_.#]*[0-9_.#][a-z0-9_.#]*[a-z0-9])[a-z0-9_.#]{4,})"
    r"(?![a-z0-9_.#]*\s*(?:min|mins|minutes|h|heures|hours|fois|times|ans|jours|days)\b)"
)

_HAVE_APP_RE = re.compile(
    r"\b(?:t as|tu as|ta|tas|t a|t aurais|as tu|t avez|vous avez|you have|u have|do you have|"
    r"do u have|you got|u got|have you got|got|t es sur|tu es sur|tes sur|t es pas sur|"
    r"are you on|r u on|you on|u on|tu vas sur|t utilises|tu utilises)"
    rf"(?: un| une| a| an)? (?:{_APPS})\b"
)
_PRIVATE_ELSEWHERE_RE = re.compile(
    rf"\b(?:en|in|par|on)?\s*(?:priv|prive|pv|mp|dm|private|perso)\s+(?:moi |me )?(?:sur |on |en |via )?(?:{_APPS})\b"
)
_CONTINUE_ELSEWHERE_RE = re.compile(
    r"\b(?:on (?:continue|parle|passe|se parle|discute|va|peut parler|peut continuer|se capte)|"
    r"parlons|continuons|viens|vient|venez|va|allons|passe|passons|rejoins moi|retrouve moi|"
    r"come|let s|lets|we can|we could|move|switch|talk|text|message|dm|write|ecris|ecrit|"
    r"parle|contacte|contact|call|appelle|hit me up|reach me)"
    r"(?: moi| me| nous| us)?(?: [a-z0-9]+){0,3}? (?:sur|on|to|en|via|par|over) "
    rf"(?:{_APPS}|{_WEAK_APPS})\b"
)
_VIDEO = (
    r"visio|facetime|video call|videocall|video chat|appel video|appel en video|webcam|cam|"
    r"skype|zoom|live cam"
)
_VIDEO_REQUEST_RE = re.compile(
    r"\b(?:on (?:passe|fait|se fait|peut faire|se met|pourrait faire|peut se faire)|passe|passons|"
    r"tu veux|veux tu|tu voudrais|tu peux|t peux|tu pourrais|wanna|want to|do you want to|"
    r"qui veut|qui veux|qui est chaud pour|qui est chaude pour|qui est partant pour|qui est partante pour|"
    r"who wants to|who wanna|anyone wanna|anyone want to|"
    r"let s|lets|can we|could we|on se|we can|we could|go on|get on|hop on)"
    rf"(?: [a-z0-9]+){{0,3}}? (?:{_VIDEO})\b"
    r"|\b(?:allume|ouvre|mets|met|active|montre toi sur|turn on|open|switch on|put on|show me on)"
    r"(?: ta| your| ur| la| the)? (?:cam|webcam|camera)\b"
    r"|\bfacetime (?:moi|me)\b|\b(?:c2c|cam to cam|cam2cam|cam 2 cam)\b"
)


_STRONG_APP_WORD_RE = re.compile(rf"\b(?:{_APPS})\b")


def mentions_app(text: NormalisedText) -> bool:
    """Names an app that is nothing but an app ("snap", "telegram"): refused inside a name."""
    return _STRONG_APP_WORD_RE.search(text.words) is not None


# Every pattern of `has_handle` names an app (cues: detectors/__init__.py).
_APP_CUES = first_words(_APPS) | first_words(_WEAK_APPS)


def has_handle(text: NormalisedText) -> bool:
    """A handle on another app, or an explicit "add me on <app>"."""
    return has_ghost_handle(text) or (has_cue(text.runs, _APP_CUES) and _handle(text))


def has_ghost_handle(text: NormalisedText) -> bool:
    return "👻" in text.folded and _GHOST_HANDLE_RE.search(text.folded) is not None


def _handle(text: NormalisedText) -> bool:
    if _APP_WORD_RE.search(text.words) is None:
        return False
    return bool(
        _ADD_ME_RE.search(text.words)
        or _MY_HANDLE_RE.search(text.folded)
        or _MY_HANDLE_RE.search(text.words)
        or _APP_COLON_HANDLE_RE.search(text.folded)
        or _APP_THEN_HANDLE_RE.search(text.folded)
    )


_CONTACT_DETAILS = (r"num|numero|number|phone|tel|telephone|portable|06|07|adresse|adr|addr|address|addy|mail|"
                    r"email|ville et ton adresse|ville et ton adr")
# Asking for someone's number, address or account: "donne moi ton num", "c koi ton snap".
_CONTACT_REQUEST_RE = re.compile(
    r"\b(?:donne|donnes|envoie|envoies|file|passe|tu peux m envoyer|tu me donnes|give|send|"
    r"what s|whats|wats|c est quoi|cest quoi|c quoi|c koi|ckoi|quel est|t as|ta|tas|tu as|dis|dit|di|"
    r"do you have|can i have|can i get|drop)(?: moi| me)?(?: ton| ta| tes| your| ur| un| une| a)? "
    rf"(?:{_CONTACT_DETAILS}|{_APPS})\b"
)
# What `has_offplatform_request` needs (detectors/__init__.py): a contact detail or an app
# asked for, an app to move to, or a camera.
_OFFPLATFORM_CUES = (
    first_words(_CONTACT_DETAILS) | _APP_CUES | first_words(_VIDEO)
    | frozenset({"cam", "webcam", "camera", "facetime", "c2c", "cam2cam"})
    | frozenset({"mon", "my", "ma", "scanne", "scannez", "scan", "flashe", "flash", "qr", "qrcode", "code"})
)


def has_offplatform_request(text: NormalisedText) -> bool:
    """A request to continue on another app or in a video call, or for contact details."""
    return has_cue(text.runs, _OFFPLATFORM_CUES) and _offplatform_request(text)


def _offplatform_request(text: NormalisedText) -> bool:
    words = text.words
    if _CONTACT_REQUEST_RE.search(words):
        return True
    if _APP_WORD_RE.search(words) is not None and (
        _HAVE_APP_RE.search(words) or _CONTINUE_ELSEWHERE_RE.search(words) or _PRIVATE_ELSEWHERE_RE.search(words)
    ):
        return True
    return _VIDEO_REQUEST_RE.search(words) is not None or _ELSEWHERE_IN_PROFILE_RE.search(words) is not None


# An account to find through the profile: "mon @ est dans ma bio", "scanne le QR code sur ma
# photo de profil", "my snap is in my bio" (the ``words`` form reads "@" as "a").
_ELSEWHERE_IN_PROFILE_RE = re.compile(
    r"\b(?:mon|my|ma) (?:@|a|arobase|handle|pseudo|snap|insta|discord|tiktok|tel|num|contact|compte|account|user|"
    r"username|link|lien|telegram|whatsapp)(?: est| is| c est| c|s)? (?:dans|en|in|sur|on) (?:ma |my |la |the )?"
    r"(?:bio|description|desc|profil|profile|pp)\b"
    r"|\b(?:scanne|scannez|scan|flashe|flash) (?:le |mon |my |the |ce |this )?(?:qr|qrcode|code qr)\b"
    r"|\b(?:qr|qrcode|code qr)(?: code)? (?:sur|dans|on|in) (?:ma|mon|my) (?:photo|pp|profil|profile|bio|story)\b"
)


# --- windows (moderation/policy/window.py) ----------------------------------------------------

# Words one of which a handle, a move elsewhere or a request for contact details always
# contains: when none of the sender's recent messages nor the current one has one, their
# concatenation cannot hold such a finding either.
WINDOW_CONTACT_CUES: frozenset[str] = _OFFPLATFORM_CUES
# Mail providers named in spelled addresses ("lea at" / "gmail"); "free", "live" and "orange"
# are left out: as ordinary words they would open most windows, and an address at them still
# has its "@", its dot or its spelled "point fr".
WINDOW_PROVIDER_CUES: frozenset[str] = frozenset(
    _PROVIDERS.replace("(?:mail)?", "|protonmail").split("|")
) - {"free", "live", "orange"}
# Pieces of an address or a link: "@", a dot between word characters ("lea.b", ".com"), or a
# spelled dot before a known ending ("point com").
WINDOW_WEB_RE = re.compile(
    rf"@|\w\.[a-z]|(?:^|\s)\.\s?[a-z]|\b(?:dot|point|\(dot\)|\[dot\])\s*(?:com|fr|net|org)\b|www|http"
)
