"""A labelled set of sequences (one sender's consecutive messages in one room or conversation):
attacks split over several messages, and ordinary consecutive messages. Written before the
window was built; every third sequence (index % 3 == 2) is the held-out part, measured once
the window was finished and never looked at while building it. docs/screening.md ("Windows")
records the figures.

An attack counts as stopped when one of its messages is refused (every attack is written for
a space where contact is restricted); an ordinary sequence counts as changed when the window
alters any of its verdicts from what the message alone would get.
"""

from __future__ import annotations

import pytest

from moderation.policy import PolicySnapshot, ScreeningContext, remember, screen_text

# Stopped: refused, or held until a moderator has looked (nobody reads it before).
REFUSING = {"room": ("block", "escalate", "hold"), "dm": ("block", "escalate", "hold"),
            "dm_request": ("block", "escalate", "hold")}

# (label, audience, context, messages of one sender, oldest first)
SEQUENCES = [
    ("split", "minors", "room", ["salut", "06", "12 34", "56 78"]),
    ("ordinary", "minors", "room", ["gg", "3", "2", "on refait ?"]),
    ("split", "minors", "room", ["mon snap c", "lea.b", "2009"]),
    ("ordinary", "adults", "room", ["rdv 14h", "chez le dentiste"]),
    ("split", "minors", "room", ["on se voit", "samedi", "a la gare"]),
    ("ordinary", "minors", "room", ["j'ai eu 12", "en maths", "et 14 en physique"]),
    ("split", "minors", "dm", ["mon num", "07 81", "22 45 90"]),
    ("ordinary", "minors", "room", ["le contrôle", "c'est le 12/03", "à 10h"]),
    ("split", "minors", "room", ["appelle moi", "zéro six", "douze trente quatre", "cinquante six soixante dix huit"]),
    ("ordinary", "minors", "room", ["il est quelle heure ?", "16h30", "ok merci"]),
    ("split", "adults", "dm_request", ["+33", "6 12", "34 56 78"]),
    ("ordinary", "minors", "room", ["on se voit", "demain en cours"]),
    ("split", "minors", "dm", ["0612", "345678"]),
    ("ordinary", "minors", "room", ["t'as vu", "le dernier tiktok de squeezie", "trop drôle"]),
    ("split", "minors", "room", ["06.12", ".34.56", ".78"]),
    ("ordinary", "minors", "room", ["j'ai 2 chats", "et 3 poissons"]),
    ("split", "adults", "dm_request", ["text me", "07700", "900123"]),
    ("ordinary", "minors", "room", ["mon insta", "est en privé", "je l'utilise plus"]),
    ("split", "minors", "room", ["my number", "555 123", "4567"]),
    ("ordinary", "minors", "room", ["le bus 21", "passe à 8h12", "devant le lycée"]),
    ("split", "minors", "room", ["O6 12", "34 56 78"]),
    ("ordinary", "minors", "room", ["page 45", "exercice 12", "et le 13"]),
    ("split", "minors", "dm", ["06 12 34 56", "78"]),
    ("ordinary", "minors", "room", ["qui joue", "à minecraft", "ce soir ?"]),
    ("split", "minors", "room", ["ajoute moi", "sur snap"]),
    ("ordinary", "minors", "room", ["mon code postal", "c'est 75012"]),
    ("split", "minors", "room", ["mon insta", "c'est", "jade_du_59"]),
    ("ordinary", "adults", "room", ["see you", "in class"]),
    ("split", "minors", "room", ["add me", "on insta"]),
    ("ordinary", "adults", "room", ["rendez-vous", "chez le dentiste", "demain"]),
    ("split", "minors", "dm", ["my snap is", "tommy_k04"]),
    ("ordinary", "adults", "room", ["on part", "samedi", "de la gare de Lyon", "pour une rando"]),
    ("split", "minors", "room", ["t'as", "snap ?"]),
    ("ordinary", "minors", "room", ["score final", "21", "18"]),
    ("split", "minors", "dm", ["on continue", "sur whatsapp ?"]),
    ("ordinary", "minors", "room", ["lvl 34", "et toi ?", "lvl 56"]),
    ("split", "adults", "dm_request", ["donne moi", "ton num"]),
    ("ordinary", "adults", "room", ["j'ai payé 12", "euros", "le ticket"]),
    ("split", "minors", "room", ["mon mail", "lea.martin", "@gmail.com"]),
    ("ordinary", "minors", "room", ["1", "2", "3", "soleil"]),
    ("split", "minors", "room", ["jean.dupont", "at gmail", "dot com"]),
    ("ordinary", "minors", "room", ["2009", "c'était", "la meilleure année"]),
    ("split", "minors", "dm", ["écris moi", "lou2010@", "hotmail.fr"]),
    ("ordinary", "minors", "room", ["mon frère", "a 12 ans", "il est relou"]),
    ("split", "minors", "room", ["va sur", "monsite", ".com/lea"]),
    ("ordinary", "minors", "room", ["bonne nuit", "à demain"]),
    ("split", "minors", "room", ["discord", ".gg/kx7Pq"]),
    ("ordinary", "minors", "room", ["gg", "bien joué", "on relance ?"]),
    ("split", "minors", "room", ["rejoins moi", "au parc", "à 17h"]),
    ("ordinary", "adults", "room", ["le film commence à", "20h45", "au ciné"]),
    ("split", "minors", "dm", ["viens", "chez moi", "ce soir"]),
    ("ordinary", "minors", "room", ["on a gagné 12 à 8", "puis 10 à 6", "et 14 à 12"]),
    ("split", "minors", "dm", ["je passe te", "chercher", "après les cours"]),
    ("ordinary", "minors", "room", ["mes notes", "12 14 08", "15 11 09 13"]),
    ("split", "adults", "dm_request", ["meet me", "at the mall", "at 5pm"]),
    ("ordinary", "minors", "room", ["09 30", "10 15", "11 00"]),
    ("split", "minors", "room", ["come", "over to my place"]),
    ("ordinary", "adults", "dm", ["j'habite à", "Lyon", "dans le 7e"]),
    ("split", "minors", "room", ["on se retrouve", "devant", "le collège"]),
    ("ordinary", "minors", "room", ["le wifi du cdi", "marche pas", "encore"]),
    ("split", "minors", "dm", ["12", "rue des lilas", "c'est chez moi"]),
    ("ordinary", "adults", "room", ["mon numéro de dossier", "c'est le 4521", "si ça aide"]),
    ("split", "minors", "room", ["rendez vous", "à 16h", "au mcdo"]),
    ("ordinary", "minors", "room", ["j'ai regardé", "la vidéo", "de 12 minutes"]),
    ("split", "minors", "room", ["mon snap", "c'est", "l3a_b"]),
    ("ordinary", "adults", "room", ["le train part à", "7h52", "quai 3"]),
    ("split", "minors", "room", ["06", "douze", "34", "cinquante six", "78"]),
    ("ordinary", "minors", "room", ["le prof", "a dit", "pages 12 à 34"]),
    ("split", "minors", "room", ["snap", ": lea.b2009"]),
    ("ordinary", "minors", "room", ["t'es sur", "quelle map ?", "la 3"]),
    ("split", "adults", "dm_request", ["whatsapp", "+33 6", "12 34 56 78"]),
    ("ordinary", "adults", "room", ["ça coûte", "1 299", "euros", "trop cher"]),
    ("split", "minors", "room", ["ajoute", "moi", "sur", "insta"]),
    ("ordinary", "minors", "room", ["les années", "2008 2009 2010", "c'était bien"]),
    ("split", "minors", "dm", ["on peut se voir", "irl", "?"]),
    ("ordinary", "minors", "room", ["tu viens", "au cdi", "à la récré ?"]),
    ("split", "minors", "room", ["ta", "un 06 ?"]),
    ("ordinary", "adults", "room", ["la réunion", "est à 9h", "salle 12"]),
    ("split", "adults", "dm_request", ["send me", "your number"]),
    ("ordinary", "minors", "room", ["j'ai vu", "ton dessin", "il est trop beau"]),
    ("split", "minors", "dm", ["let's talk", "on telegram"]),
    ("ordinary", "adults", "room", ["mon fils a 6 ans", "et ma fille 12", "ils adorent"]),
    ("split", "minors", "dm", ["allume", "ta cam"]),
    ("ordinary", "minors", "room", ["le match", "France Belgique", "2 à 1"]),
    ("split", "adults", "dm_request", ["my number is 07700", "900 123"]),
    ("ordinary", "minors", "room", ["quelqu'un a", "le numéro", "de la page ?"]),
    ("split", "minors", "room", ["mon tel", "c'est le 06", "98 76 54 32"]),
    ("ordinary", "adults", "room", ["j'arrive", "dans 10 min", "bouchons"]),
    ("split", "minors", "dm", ["on se capte", "ce soir", "derrière le stade"]),
    ("ordinary", "minors", "room", ["qui a fait", "l'exo 3", "et le 4 ?"]),
    ("split", "minors", "room", ["suis moi", "sur tiktok", "c'est lea.danse"]),
    ("ordinary", "adults", "room", ["on se voit", "à la prochaine", "réunion"]),
    ("split", "minors", "dm", ["je t'attends", "à l'arrêt", "de bus"]),
    ("ordinary", "minors", "room", ["mdr", "3 heures", "de devoirs"]),
]

DEVELOPMENT = [s for i, s in enumerate(SEQUENCES) if i % 3 != 2]
HELD_OUT = [s for i, s in enumerate(SEQUENCES) if i % 3 == 2]


def measure(snapshot: PolicySnapshot, sequences) -> tuple[int, int, int, int, int]:
    """(attacks, attacks stopped, attacks stopped without windows, ordinary, ordinary changed)."""
    attacks = stopped = stopped_alone = ordinary = changed = 0
    for label, audience, kind, messages in sequences:
        context = ScreeningContext(audience=audience, context=kind,
                                   conversation_accepted=kind != "dm_request")
        recent: list = []
        any_refused = any_refused_alone = any_changed = False
        for text in messages:
            verdict = screen_text(text, snapshot=snapshot, context=context, recent=tuple(recent[-5:]))
            alone = screen_text(text, snapshot=snapshot, context=context)
            refused = verdict.decision in REFUSING[kind]
            # Caught: refused or held, or (a meeting between two minors in a conversation)
            # delivered and sent to a moderator.
            any_refused |= refused or verdict.decision == "flag"
            any_refused_alone |= alone.decision in REFUSING[kind] or alone.decision == "flag"
            any_changed |= verdict != alone
            recent.append(remember(text, refused=refused, reasons=verdict.reasons))
        if label == "split":
            attacks += 1
            stopped += any_refused
            stopped_alone += any_refused_alone
        else:
            ordinary += 1
            changed += any_changed
    return attacks, stopped, stopped_alone, ordinary, changed


def test_the_set_is_large_enough_and_half_ordinary():
    labels = [label for label, *_ in SEQUENCES]
    assert len(SEQUENCES) >= 80
    assert labels.count("ordinary") >= len(SEQUENCES) // 2


@pytest.mark.parametrize("part", ["development", "held_out"])
def test_split_attacks_are_stopped_and_ordinary_sequences_untouched(seed_snapshot, part):
    sequences = DEVELOPMENT if part == "development" else HELD_OUT
    attacks, stopped, stopped_alone, ordinary, changed = measure(seed_snapshot, sequences)
    # Measured: development 31/31 stopped (1/31 without windows), 0/32 ordinary changed;
    # held-out 16/16 (1/16 without windows), 0/15.
    assert stopped >= 0.9 * attacks
    assert stopped_alone <= 0.1 * attacks  # the pieces really are harmless alone
    assert changed == 0
