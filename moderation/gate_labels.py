"""What the safety gate's findings and decisions are called: each reason code's title, what it
looks for, and the same for a 13-year-old; each decision as the terms state it and as the
simple terms do. Moderation owns these words (its gate gives the codes): the console labels a
case's findings with them (moderation.templatetags.console_labels) and the public terms
(ops.terms), which build on moderation, read the same table, so the console and the terms
never name one finding two ways."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

DECISION_LABELS = {
    "allow": _("allowed"),
    "flag": _("delivered, and sent to a moderator"),
    "hold": _("held until a moderator reviews it"),
    "block": _("not sent; you are told why"),
    "escalate": _("not sent; urgent review, account restricted meanwhile"),
}
SIMPLE_DECISION_LABELS = {
    "allow": _("OK"),
    "flag": _("sent, and a moderator checks it"),
    "hold": _("waits until a moderator checks it"),
    "block": _("not sent"),
    "escalate": _("not sent, and a moderator checks it right away"),
}

# code -> (title, what it looks for, the same for a 13-year-old)
DESCRIPTIONS: dict[str, tuple[Any, Any, Any]] = {
    "contact_phone": (_("Phone numbers"), _("Phone numbers, including spelled-out or disguised digits."),
                      _("We spot phone numbers, even written in words.")),
    "contact_email": (_("Email addresses"), _("Email addresses, including disguised ones (\"at\", \"dot\")."),
                      _("We spot email addresses.")),
    "contact_url": (_("Links"), _("Web links and web addresses."), _("We spot links to websites.")),
    "contact_handle": (_("Usernames on other apps"), _("Usernames on other apps and \"add me on …\"."),
                       _("We spot usernames for other apps, like \"add me on …\".")),
    "offplatform_request": (_("Moving the conversation elsewhere"),
                            _("Requests to continue on another app, a video call, or to share a number or address."),
                            _("We spot when someone asks you to talk on another app or on video.")),
    "meeting_arrangement": (_("Meeting in person"), _("Arrangements to meet in person, and home addresses."),
                            _("We spot when someone wants to meet you in real life or asks where you live.")),
    "split_across_messages": (_("Details split over several messages"),
                              _("A phone number, username, address or meeting spread over a sender's last messages to the same room or person is read as if written whole."),
                              _("Cutting a number or a meeting into several messages does not get it through.")),
    "review_pending": (_("Conversations under review"),
                       _("While moderators review a conversation flagged as risky, the flagged sender's replies in it wait for their decision."),
                       _("If a conversation is being checked, the other person's messages wait until a moderator decides.")),
    "photo_request": (_("Requests for photos"), _("Requests for photos or videos of someone."),
                      _("We spot when someone asks for photos of you.")),
    "gift_offer": (_("Offers of money or gifts"), _("Offers of money, gifts, game credits or top-ups."),
                   _("We spot when someone offers you money or gifts.")),
    "secrecy_request": (_("Requests for secrecy"), _("Asking someone to keep the conversation secret."),
                        _("We spot when someone asks you to keep a secret from your parents or friends.")),
    "sexual_content": (_("Sexual content"), _("Sexual words and phrases from the sexual term list."),
                       _("We spot sexual words.")),
    "sexual_content_minor": (_("Sexual content involving minors"),
                             _("Sexual content involving minors, or sexual content next to the statement of a minor's age."),
                             _("We spot sexual messages about young people. They are stopped and checked right away.")),
    "minor_age_statement": (_("A minor's age in an adults' space"), _("Someone saying they are under 18 in an adults' space."),
                            _("If someone says they are under 18 in an adults' space, a moderator checks.")),
    "adult_age_statement": (_("An adult's age in a minors' space"), _("Someone saying they are 18 or over in a minors' space."),
                            _("If someone says they are an adult in a young people's space, a moderator checks.")),
    "under_minimum_age_statement": (_("Under 13"), _("Someone saying they are under 13, the minimum age."),
                                    _("If someone says they are under 13, a moderator checks.")),
    "hate_speech": (_("Hate speech"), _("Words from the hate term list, aimed at groups of people."),
                    _("We spot hateful words about groups of people.")),
    "harassment": (_("Insults and harassment"), _("Words from the harassment term list."),
                   _("We spot insults and bullying words.")),
    "threat": (_("Threats"),
               _("Threats of violence against the reader or their close ones, knowing or looking for where they live, attacks announced on a school, urging someone to kill themself."),
               _("We spot threats, like \"I know where you live\".")),
    "sextortion": (_("Sextortion and blackmail"),
                   _("Demanding something under the threat of spreading pictures, videos or messages (\"send it or I show everyone\")."),
                   _("We spot when someone threatens to share your photos or messages to make you do something.")),
    "minor_targeting": (_("Looking for children by their age"),
                        _("A young age named as a target together with a call to act on it (\"je cherche une fille de 13 14 ans, mp moi\", \"a server for 12-13 year-olds, prizes to win\")."),
                        _("We spot people looking for children of a given age.")),
    "likely_hostile": (_("Hostility the rules did not name"),
                       _("A statistical model shipped with Phare scores every message for insults, threats and hate; what the word lists and detectors let through but the model scores high is sent to a moderator. It never refuses or holds a message by itself."),
                       _("A computer model also looks for insults and threats. If it is very sure, a moderator checks the message.")),
    "self_harm_support": (_("Self-harm"), _("Mentions of self-harm or suicide: the writer is shown where to find help, never silenced."),
                          _("If you write that you want to hurt yourself, we show you where to find help.")),
    "drugs": (_("Drugs"), _("Words from the drugs term list."), _("We spot words about drugs.")),
    "profanity": (_("Profanity"), _("Swear words."), _("We spot swear words.")),
    "term_match": (_("Other listed terms"), _("Terms the operators listed in other categories (for example violence)."),
                   _("We spot other words the team has listed.")),
    "name_not_allowed": (_("Pseudonyms and room names"),
                         _("Names are checked like messages in minors' spaces, and also refused when sexualised, suggesting an age or a minor, or carrying contact details."),
                         _("Names cannot be sexual, say an age, or give contact details.")),
    "grooming_risk": (_("Risky conversations (grooming)"),
                      _("A score over a whole conversation, not one message, from the signals below."),
                      _("We look at whole conversations for signs that someone is trying to trick or pressure you.")),
    "compliment": (_("Insistent compliments"), _("Part of the conversation score."), _("Lots of compliments.")),
    "trust_building": (_("Building trust or exclusivity"), _("Part of the conversation score."),
                       _("\"You can trust only me\".")),
    "age_question": (_("Questions about age or school year"), _("Part of the conversation score."),
                     _("Questions about your age or class.")),
    "isolation_question": (_("Questions about being alone or where someone lives"), _("Part of the conversation score."),
                           _("Questions about whether you are alone or where you live.")),
    "sexual_question": (_("Sexual questions"), _("Part of the conversation score."), _("Sexual questions.")),
    "relationship_question": (_("Questions about boyfriends and girlfriends"), _("Part of the conversation score."),
                              _("Questions about whether you have a boyfriend or girlfriend.")),
    "age_gap": (_("A large age gap"), _("Part of the conversation score."), _("A big difference in age.")),
    "new_account": (_("A very new account"), _("Part of the conversation score."), _("An account created very recently.")),
    "first_contact": (_("First contact"), _("Part of the conversation score."), _("The first time two people talk.")),
}
