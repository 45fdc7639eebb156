"""Requests for photos, offers of gifts or money, and requests for secrecy.

Read on the ``words`` form (leetspeak undone, punctuation gone, "envoie-moi" is "envoie moi").
"""

from __future__ import annotations

import re

from moderation.policy.detectors import has_cue
from moderation.policy.normalise import NormalisedText

_PICTURE = (
    r"photos?|pics?|pix|picture|pictures|selfies?|tofs?|nudes?|noodz|nudez|snaps?|vids?|videos?"
)
# "envoie la photo du devoir", "send a pic of the homework": a photo of a thing, not of you.
_OF_A_THING = (
    r"(?! (?:du|de la|des|d un|d une|de l|of the|of my|of this|of that|from|de mon|de ma|de mes|"
    r"d ecran|of a|of an|du cours|de classe|"
    # the reader's things, not the reader: "la photo de ton dessin", "a pic of your dog"
    r"(?:de ton|de ta|de tes|of your|of ur) (?:dessins?|devoirs?|exos?|chat|chien|chiot|gateau|cours|"
    r"emploi du temps|bulletin|copie|cahier|classeur|setup|pc|manette|console|drawings?|homework|dog|cat|"
    r"puppy|cake|notes|painting|art|lego|build|base|maison minecraft)\b))"
)
_PHOTO_REQUEST_RE = re.compile(
    r"\b(?:envoie|envoi|envoies|envoye|envois|envoyer|tu m envoies|tu m envoie|tu peux m envoyer|"
    r"tu me fais|fais moi|balance|send|sned|snd|share|show|give|donne)"
    rf"(?: moi| me| nous| us)?(?: [a-z0-9]+){{0,2}}? (?:{_PICTURE})\b{_OF_A_THING}"
    r"|\bmontre (?:toi|moi (?:ton|ta|tes|ce que|comment t es)|nous)\b"
    r"|\bshow (?:me|us) (?:your|ur|yourself|what)\b"
    rf"|\b(?:une|des|ta|tes|a|some|your|ur|any) (?:{_PICTURE}) (?:de toi|"
    rf"of you|of yourself|en maillot|en sous|sans|in your|en culotte)\b"
    r"|\bwhat do you look like\b|\bt es comment physiquement\b|\bt ressembles a quoi\b"
)

_OFFER_VERB = (
    r"je (?:te|t|vous) (?:paie|paye|payerai|paierai|file|filerai|offre|offrirai|achete|acheterai|"
    r"donne|donnerai|envoie|enverrai)|je peux (?:te|t) (?:payer|offrir|acheter|donner|filer)|"
    r"i (?:ll|will|can|could|d|would) (?:buy|pay|give|send|get) (?:you|u)|tu veux (?:des|de l)|"
    r"want some|do you want (?:some|a)"
)
_OFFER_OBJECT = (
    r"argent|sous|thune|fric|robux|v ?bucks|carte cadeau|cartes cadeaux|gift ?cards?|skins?|nitro|"
    r"cadeaux?|money|cash|gifts?|presents?|recharge|forfait|credits?|"
    r"\d+ ?(?:€|euros?|e|balles|dollars?|\$)"
)
_GIFT_OFFER_RE = re.compile(
    rf"\b(?:{_OFFER_VERB})(?: [a-z0-9]+){{0,3}}? (?:{_OFFER_OBJECT})\b"
    r"|\bje (?:te|t) (?:paie|paye|payerai|paierai)\b|\bi (?:ll|will|can|could|d) pay (?:you|u)\b"
    r"|\bfree (?:robux|v ?bucks|nitro|skins?)\b|\bargent facile\b|\beasy money\b"
)

_SECRECY_RE = re.compile(
    r"\b(?:ne (?:le |leur |lui |l )?dis (?:rien|pas|a personne|"
    r"jamais)|dis (?:le |l )?(?:a personne|rien a)|"
    r"dis rien|le dis pas|n en parle (?:a personne|pas)|en parle a personne|"
    r"parle (?:en )?a personne|"
    r"garde (?:ca|le|cela) pour toi|(?:c est|ce sera|ca reste) (?:notre|"
    r"un) (?:petit |p tit |ptit )?secret|"
    r"(?:c est|ca reste|ca doit rester) entre nous|"
    r"notre (?:petit |p tit |ptit )?secret|our (?:little )?secret|"
    r"(?:don t|dont|do not|never) tell (?:anyone|anybody|your|"
    r"ur|no one|nobody|mom|dad|mum)|"
    r"keep (?:it|this|that) (?:a )?(?:secret|between us|to yourself)|between you and me|"
    r"personne (?:ne )?doit (?:le )?savoir|(?:nobody|no one) (?:needs|has) to know|"
    r"(?:tes|your|ur) parents (?:ne )?(?:doivent|need|should|must) (?:pas |"
    r"not |never )?(?:le )?(?:savoir|know)|"
    r"(?:efface|supprime|delete|erase|clear)(?: [a-z]+){0,2}? (?:nos|"
    r"les|tes|ces|ce|la|notre|our|the|these|your|this|ta) "
    r"(?:messages?|msgs?|conv|convs|conversations?|discussions?|chats?|historique|history|dm|dms)|"
    r"(?:cache|hide) (?:le|ca|it|this|les) (?:a|from) (?:tes|your|ta|ton))\b"
)
# A surprise for someone is the one ordinary reason to ask for secrecy.
_SURPRISE_RE = re.compile(
    r"\b(?:surprise|anniv|anniversaire|birthday|fete des meres|fete des peres)\b"
)


# Cues (detectors/__init__.py): a word that every match of the detector's pattern contains.
_PICTURE_WORDS = frozenset({
    "photo", "photos", "pic", "pics", "pix", "picture", "pictures", "selfie", "selfies", "tof",
    "tofs", "nude", "nudes", "noodz", "nudez", "snap", "snaps", "vid", "vids", "video", "videos",
})
_PHOTO_CUES = _PICTURE_WORDS | {"montre", "show", "look", "physiquement", "ressembles"}
_GIFT_CUES = frozenset({
    "argent", "sous", "thune", "fric", "robux", "bucks", "vbucks", "carte", "cartes", "gift",
    "giftcard", "giftcards", "skin", "skins", "nitro", "cadeau", "cadeaux", "money", "cash",
    "gifts", "present", "presents", "recharge", "forfait", "credit", "credits",
    "paie", "paye", "payerai", "paierai", "pay",
})
_SECRECY_CUES = frozenset({
    "dis", "parle", "garde", "secret", "entre", "tell", "keep", "between", "savoir", "know",
    "parents", "efface", "supprime", "delete", "erase", "clear", "cache", "hide",
})


def has_photo_request(text: NormalisedText) -> bool:
    return has_cue(text.runs, _PHOTO_CUES) and _photo_request(text)


def _photo_request(text: NormalisedText) -> bool:
    return _PHOTO_REQUEST_RE.search(text.words) is not None


def has_gift_offer(text: NormalisedText) -> bool:
    # An amount ("20 euros", "50€") is the one object that is not a word.
    return (text.has_digit or has_cue(text.runs, _GIFT_CUES)) and _gift_offer(text)


def _gift_offer(text: NormalisedText) -> bool:
    if _GIFT_OFFER_RE.search(text.words) is not None:
        return True
    # A price beside a request for pictures is an offer for them: "tes photos, 2000 vbucks".
    return _PRICE_RE.search(text.words) is not None and _photo_request(text)


_PRICE_RE = re.compile(r"\b\d+ ?(?:k )?(?:robux|v ?bucks|euros?|balles|dollars?|bucks|e)\b")


def has_secrecy_request(text: NormalisedText) -> bool:
    return has_cue(text.runs, _SECRECY_CUES) and _secrecy_request(text)


def _secrecy_request(text: NormalisedText) -> bool:
    words = text.words
    return _SECRECY_RE.search(words) is not None and _SURPRISE_RE.search(words) is None
