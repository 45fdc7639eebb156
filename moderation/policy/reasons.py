"""Stable reason codes, their user-facing explanations (French, English) and report categories.

Codes are part of the protocol: clients and notices show them, moderators filter on them.
Never rename one; add a new code instead. Every code here is documented in docs/screening.md.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["fr", "en"]

# code -> (French, English)
_EXPLANATIONS: dict[str, tuple[str, str]] = {
    "contact_phone": (
        "Les numéros de téléphone ne peuvent pas être partagés ici.",
        "Phone numbers cannot be shared here.",
    ),
    "contact_email": (
        "Les adresses e-mail ne peuvent pas être partagées ici.",
        "Email addresses cannot be shared here.",
    ),
    "contact_url": (
        "Les liens ne sont pas autorisés ici.",
        "Links are not allowed here.",
    ),
    "contact_handle": (
        "Les pseudos d'autres applications et les « ajoute-moi sur … » ne sont pas autorisés ici.",
        'Usernames on other apps and "add me on …" are not allowed here.',
    ),
    "offplatform_request": (
        "Proposer de continuer sur une autre application ou en appel vidéo n'est pas autorisé ici.",
        "Asking to continue on another app or on a video call is not allowed here.",
    ),
    "meeting_arrangement": (
        "Organiser une rencontre en personne ou donner une adresse n'est pas autorisé ici.",
        "Arranging to meet in person or giving an address is not allowed here.",
    ),
    # Beside the code of a finding made over the sender's last messages read together
    # (window.py): the number, handle or meeting was split over several messages.
    "split_across_messages": (
        "Tes derniers messages mis bout à bout partagent des coordonnées ou organisent une "
        "rencontre : les couper en plusieurs messages ne change pas la règle.",
        "Your last messages read together share contact details or arrange a meeting: "
        "splitting them over several messages does not change the rule.",
    ),
    "photo_request": (
        "Ton message demande des photos ; il a été signalé pour vérification.",
        "Your message asks for photos; it has been flagged for review.",
    ),
    "gift_offer": (
        "Ton message propose de l'argent ou un cadeau ; il a été signalé pour vérification.",
        "Your message offers money or a gift; it has been flagged for review.",
    ),
    "secrecy_request": (
        "Ton message demande de garder un secret ; il a été signalé pour vérification.",
        "Your message asks someone to keep a secret; it has been flagged for review.",
    ),
    "sexual_content": (
        "Les contenus sexuels ne sont pas autorisés ici.",
        "Sexual content is not allowed here.",
    ),
    "sexual_content_minor": (
        "Ce message a été bloqué et transmis à l'équipe de modération : les contenus sexuels "
        "impliquant des mineurs sont interdits.",
        "This message was blocked and sent to the moderation team: sexual content involving "
        "minors is forbidden.",
    ),
    "minor_age_statement": (
        "Ce salon est réservé aux adultes. Ton message est en attente de vérification.",
        "This space is for adults only. Your message is waiting for review.",
    ),
    "adult_age_statement": (
        "Cet espace est réservé aux mineurs. Ton message est en attente de vérification.",
        "This space is for minors only. Your message is waiting for review.",
    ),
    "under_minimum_age_statement": (
        "Phare n'est pas ouvert aux moins de 13 ans ; ton message a été signalé.",
        "Phare is not open to children under 13; your message has been flagged.",
    ),
    "hate_speech": (
        "Les propos haineux envers un groupe de personnes ne sont pas autorisés.",
        "Hateful speech against a group of people is not allowed.",
    ),
    "harassment": (
        "Les insultes et le harcèlement ne sont pas autorisés.",
        "Insults and harassment are not allowed.",
    ),
    "threat": (
        "Les menaces ne sont pas autorisées : ton message attend la vérification de l'équipe de "
        "modération.",
        "Threats are not allowed: your message is waiting for review by the moderation team.",
    ),
    "sextortion": (
        "Exiger quelque chose sous la menace de diffuser des photos, des vidéos ou des messages est "
        "interdit : ton message attend la vérification de l'équipe de modération.",
        "Demanding something under the threat of spreading photos, videos or messages is "
        "forbidden: your message is waiting for review by the moderation team.",
    ),
    "minor_targeting": (
        "Chercher des enfants ou des ados d'un âge donné est interdit : l'équipe de modération est "
        "prévenue.",
        "Looking for children or teenagers of a given age is forbidden: the moderation team has been "
        "told.",
    ),
    "likely_hostile": (
        "Ton message ressemble à une insulte ou à une menace ; il a été signalé pour vérification.",
        "Your message looks like an insult or a threat; it has been flagged for review.",
    ),
    "self_harm_support": (
        "Si tu traverses un moment difficile, tu n'es pas seul·e : en France, appelle le 3114 "
        "(gratuit, 24 h/24). Un·e modérateur·rice peut aussi t'orienter.",
        "If you are going through a hard time, you are not alone: contact a local helpline "
        "(in France, 3114, free, 24/7). A moderator can also point you to help.",
    ),
    "drugs": (
        "Ton message parle de drogues ; il a été signalé pour vérification.",
        "Your message mentions drugs; it has been flagged for review.",
    ),
    "profanity": (
        "Ton message contient des grossièretés.",
        "Your message contains profanity.",
    ),
    "term_match": (
        "Ton message contient un terme filtré par les règles de cet espace.",
        "Your message contains a term filtered by this space's rules.",
    ),
    "name_not_allowed": (
        "Ce nom n'est pas autorisé : pas de nom sexualisé, évoquant un âge ou un mineur, "
        "ni de coordonnées.",
        "This name is not allowed: no sexualised names, no names suggesting an age or a minor, "
        "no contact details.",
    ),
    "grooming_risk": (
        "Cette conversation présente des signes de risque ; elle est en attente de vérification "
        "par l'équipe de modération.",
        "This conversation shows risk signs; it is waiting for review by the moderation team.",
    ),
    # A reply held because moderators are reviewing its sender's risk hold in this
    # conversation (chat.services.post.ReplyTarget); lifted by their decision.
    "review_pending": (
        "Cette conversation est en cours de vérification par l'équipe de modération : ton "
        "message attend sa décision.",
        "This conversation is being reviewed by the moderation team: your message waits for "
        "its decision.",
    ),
    # Contributing signals of a conversation score (shown to moderators, rarely to users).
    "compliment": ("Compliments insistants.", "Insistent compliments."),
    "trust_building": (
        "Recherche de confiance ou d'exclusivité.",
        "Building trust or exclusivity.",
    ),
    "age_question": ("Questions sur l'âge ou la classe.", "Questions about age or school year."),
    "isolation_question": (
        "Questions pour savoir si la personne est seule ou où elle habite.",
        "Questions about being alone or where the person lives.",
    ),
    "sexual_question": ("Questions à caractère sexuel.", "Questions of a sexual nature."),
    "relationship_question": ("Questions sur un petit ami ou une petite amie.", "Questions about a boyfriend or girlfriend."),
    "age_gap": ("Écart d'âge important.", "Large age gap."),
    "new_account": ("Compte très récent.", "Very new account."),
    "first_contact": (
        "Premier contact entre ces personnes.",
        "First contact between these people.",
    ),
}

REASON_CODES: frozenset[str] = frozenset(_EXPLANATIONS)

_FALLBACK = (
    "Ce message n'a pas été autorisé par les règles de cet espace.",
    "This message was not allowed by this space's rules.",
)

# Report categories of the protocol (docs/protocol.md) a flag or case should be filed under.
REPORT_CATEGORY: dict[str, str] = {
    "contact_phone": "grooming",
    "contact_email": "grooming",
    "contact_url": "spam",
    "contact_handle": "grooming",
    "offplatform_request": "grooming",
    "meeting_arrangement": "grooming",
    "split_across_messages": "grooming",
    "photo_request": "grooming",
    "gift_offer": "grooming",
    "secrecy_request": "grooming",
    "sexual_content": "sexual_content",
    "sexual_content_minor": "child_safety",
    "minor_age_statement": "child_safety",
    "adult_age_statement": "child_safety",
    "under_minimum_age_statement": "child_safety",
    "hate_speech": "hate",
    "harassment": "harassment",
    "self_harm_support": "self_harm",
    "likely_hostile": "harassment",
    "threat": "threat",
    "sextortion": "non_consensual_imagery",
    "minor_targeting": "child_safety",
    "drugs": "other",
    "profanity": "other",
    "term_match": "other",
    "name_not_allowed": "other",
    "grooming_risk": "grooming",
    "review_pending": "grooming",
    "compliment": "grooming",
    "trust_building": "grooming",
    "age_question": "grooming",
    "isolation_question": "grooming",
    "sexual_question": "grooming",
    "relationship_question": "grooming",
    "age_gap": "grooming",
    "new_account": "grooming",
    "first_contact": "grooming",
}


# Reasons whose case should be opened at the highest priority (child safety first).
CRITICAL_REASONS: frozenset[str] = frozenset(
    {"sexual_content_minor", "minor_age_statement", "adult_age_statement", "grooming_risk", "sextortion",
     "minor_targeting"}
)


def explain(reason_code: str, lang: Language) -> str:
    """User-facing explanation of ``reason_code`` in French ("fr") or English ("en").

    An unknown code gets a generic sentence rather than an error: a notice must always be
    readable even if a newer server sent a code this one does not know.
    """
    if lang not in ("fr", "en"):
        raise ValueError(f"unsupported language {lang!r}")
    french, english = _EXPLANATIONS.get(reason_code, _FALLBACK)
    return french if lang == "fr" else english
