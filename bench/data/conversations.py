"""Hand-written, labelled conversations for the grooming-risk evaluation.

Written for Phare by its engineers from published descriptions of grooming stages (friendship
and trust, risk assessment, isolation and secrecy, gifts, desensitisation and sexualisation,
moving off-platform, meeting), and benign conversations chosen to *look* risky (friends meeting,
surprise parties, game trades, consenting adults, coaches and homework). No real person's
messages. Label "grooming" = a moderator should look at this conversation; "benign" = no.

Each conversation: id, audience ("adults" when marked, else "minors"), lang, label, features
(ConversationFeatures fields), messages (both sides, in order). Kept as Python data so comments can explain the tricky ones.
"""

from __future__ import annotations

CONVERSATIONS: list[dict] = [
    # ------------------------------------------------------------------ grooming, French
    {"id": "g-fr-01", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 20, "sender_account_age_days": 2, "first_contact": True},
     "messages": [
         "salut ! t'as l'air trop sympa dans le salon", "merci", "t'as quel âge ?", "13 ans et toi",
         "16 mdr. t'es trop mature pour ton âge tu sais", "ah bon ?",
         "t'es seule chez toi là ?", "oui mes parents travaillent",
         "on peut parler sur snap c'est plus simple", "ok",
         "envoie moi une photo de toi", "ne dis rien à tes parents hein c'est notre secret"]},
    {"id": "g-fr-02", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 15, "sender_account_age_days": 30, "first_contact": True},
     "messages": [
         "coucou, t'es en quelle classe ?", "en 4e", "moi aussi j'étais nul en maths à ton âge",
         "je peux t'aider si tu veux", "ok merci", "tu peux me faire confiance tu sais",
         "personne te comprend comme moi", "c'est vrai que mes parents me saoulent",
         "je peux te donner des robux si tu veux", "trop bien",
         "efface nos messages après d'accord ?"]},
    {"id": "g-fr-03", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 25, "sender_account_age_days": 1, "first_contact": True},
     "messages": [
         "salut ma belle", "salut", "t'es trop belle sur ta photo de profil",
         "tu portes quoi là ?", "un pyjama", "t'as déjà embrassé un garçon ?", "non",
         "montre-toi en pyjama", "on passe en visio ?"]},
    {"id": "g-fr-04", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 18, "sender_account_age_days": 60, "first_contact": False},
     "messages": [
         "alors ta journée ?", "nulle, dispute avec ma mère", "tes parents te comprennent pas",
         "moi je suis là pour toi", "merci t'es gentil", "tu habites où déjà ?", "à Lyon",
         "moi aussi !! on pourrait se voir en vrai", "je sais pas",
         "je passe te chercher samedi à 14h devant ton collège", "personne doit savoir"]},
    {"id": "g-fr-05", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": None, "sender_account_age_days": 3, "first_contact": True},
     "messages": [
         "hey t'as insta ?", "oui", "ajoute moi sur insta", "c quoi ton pseudo",
         "mon snap c'est marco_93", "je te paie si tu m'envoies des photos", "quelles photos",
         "des photos de toi en maillot"]},
    {"id": "g-fr-06", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 12, "sender_account_age_days": 10, "first_contact": True},
     "messages": [
         "slt tu fais quoi", "rien je m'ennuie", "t'as quel age", "14", "t'es vierge ?",
         "pourquoi tu demandes ça", "pour savoir, c'est entre nous", "dis rien a personne"]},
    {"id": "g-fr-07", "lang": "fr", "label": "grooming",
     # slow and subtle: no explicit request yet; a moderator should still see it
     "features": {"age_gap_years": 22, "sender_account_age_days": 90, "first_contact": False},
     "messages": [
         "t'es ma préférée ici", "haha", "t'es différente des autres filles",
         "je tiens à toi tu sais", "t'es seule ce soir ?", "oui",
         "on continue sur whatsapp ? c'est plus privé"]},
    {"id": "g-fr-08", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 8, "sender_account_age_days": 5, "first_contact": True},
     "messages": [
         "salut beauté", "t'as quel âge", "15", "tu fais plus que ton âge",
         "je t'offre une carte cadeau si tu veux", "en échange d'une petite photo",
         "envoie une pic stp"]},
    {"id": "g-fr-09", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 30, "sender_account_age_days": 200, "first_contact": False},
     "messages": [
         "bonsoir ma puce", "t'es dans ta chambre ?", "oui", "ta porte est fermée ?",
         "mets ta cam", "juste pour te voir", "c'est notre petit secret"]},
    {"id": "g-fr-10", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 10, "sender_account_age_days": 15, "first_contact": True},
     "messages": [
         "yo tu joues à fortnite ?", "oui", "je peux t'acheter des skins",
         "vrai ??", "oui mais faut qu'on parle sur discord", "ok",
         "et faut que tu me montres comment t'es", "envoie un selfie"]},
    {"id": "g-fr-11", "lang": "fr", "label": "grooming",
     # written without any words the detectors know: expected to be missed (honest limit)
     "features": {"age_gap_years": 20, "sender_account_age_days": 40, "first_contact": False},
     "messages": [
         "tu sais que je pense à toi tout le temps", "c'est gentil",
         "les garçons de ton âge ne te méritent pas",
         "j'aimerais tellement te serrer dans mes bras",
         "un jour on se verra, promis"]},
    {"id": "g-fr-12", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 16, "sender_account_age_days": 4, "first_contact": True},
     "messages": [
         "salut, t'es au collège ou au lycée ?", "collège", "t'es toute seule là ?",
         "viens chez moi ce soir je t'offre un cadeau", "ne le dis à personne"]},
    # ------------------------------------------------------------------ grooming, English
    {"id": "g-en-01", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 20, "sender_account_age_days": 2, "first_contact": True},
     "messages": [
         "hey cutie", "hi", "how old are you?", "13", "you're so mature for your age",
         "are you alone right now?", "yeah", "do you have snapchat?", "send me a pic",
         "don't tell your parents about me ok"]},
    {"id": "g-en-02", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 15, "sender_account_age_days": 20, "first_contact": True},
     "messages": [
         "what grade are you in?", "8th", "you can trust me, I'm not like other people",
         "nobody understands you like I do", "I'll buy you a gift card if you want",
         "really?", "yeah, just keep it between us", "delete our chat after"]},
    {"id": "g-en-03", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 25, "sender_account_age_days": 1, "first_contact": True},
     "messages": [
         "you're gorgeous", "thanks", "what are you wearing?", "my school uniform",
         "have you ever kissed anyone?", "no", "turn on your cam"]},
    {"id": "g-en-04", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 18, "sender_account_age_days": 100, "first_contact": False},
     "messages": [
         "your parents don't get you", "I know right", "i'm here for you",
         "where do you live?", "near Leeds", "me too! we should meet",
         "i'll pick you up after school on friday", "nobody needs to know"]},
    {"id": "g-en-05", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": None, "sender_account_age_days": 6, "first_contact": True},
     "messages": [
         "add me on telegram", "why", "it's more private", "my telegram is @mike_77",
         "i can pay you for pics", "what pics", "pics of you in a bikini"]},
    {"id": "g-en-06", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 12, "sender_account_age_days": 9, "first_contact": True},
     "messages": [
         "asl?", "14 f", "are you a virgin?", "that's weird", "it's just between us",
         "our little secret"]},
    {"id": "g-en-07", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 22, "sender_account_age_days": 150, "first_contact": False},
     "messages": [
         "you're my favourite", "lol", "you're different from other girls",
         "i care about you", "is anyone home with you?", "no",
         "let's talk on whatsapp instead"]},
    {"id": "g-en-08", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 9, "sender_account_age_days": 3, "first_contact": True},
     "messages": [
         "hey beautiful", "how old r u", "15", "you look older",
         "want some robux?", "sure", "send a selfie first"]},
    {"id": "g-en-09", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 30, "sender_account_age_days": 300, "first_contact": False},
     "messages": [
         "are you in your room?", "yes", "is your door locked", "show me what you're wearing",
         "keep this a secret"]},
    {"id": "g-en-10", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 10, "sender_account_age_days": 12, "first_contact": True},
     "messages": [
         "you play roblox?", "yeah", "i'll get you free robux", "omg how",
         "move to discord and i'll show you", "and send me a pic so i know you're real"]},
    {"id": "g-en-11", "lang": "en", "label": "grooming",
     # subtle, no known phrasing: expected to be missed (honest limit)
     "features": {"age_gap_years": 20, "sender_account_age_days": 45, "first_contact": False},
     "messages": [
         "i think about you all day", "aw", "boys your age don't deserve you",
         "i wish i could hold you", "one day we'll be together"]},
    {"id": "g-en-12", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 16, "sender_account_age_days": 4, "first_contact": True},
     "messages": [
         "are you in middle school?", "yes", "are you home alone?",
         "come over to my place tonight, i have a present for you", "don't tell anyone"]},
    # ------------------------------------------------------------------ benign, French
    {"id": "b-fr-01", "lang": "fr", "label": "benign",
     # classmates; the textbook false positive
     "features": {"age_gap_years": 0, "sender_account_age_days": 300, "first_contact": False},
     "messages": [
         "t'as fini le devoir de maths ?", "presque", "je te vois demain en cours",
         "ok à demain", "envoie la photo du devoir stp"]},
    {"id": "b-fr-02", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 400, "first_contact": False},
     "messages": [
         "ne dis rien à papa, c'est une surprise pour son anniversaire",
         "ok ! on lui offre quoi ?", "un cadeau : une montre", "trop bien"]},
    {"id": "b-fr-03", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 200, "first_contact": False},
     "messages": [
         "t'as vu le match ?", "oui 3-2 incroyable", "le but à la 90e !!",
         "on se retrouve au lycée lundi", "grave"]},
    {"id": "b-fr-04", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 2, "sender_account_age_days": 100, "first_contact": True},
     "messages": [
         "salut, tu joues à quoi ?", "minecraft", "trop bien moi aussi",
         "rejoins-moi sur le serveur ce soir", "ok"]},
    {"id": "b-fr-05", "audience": "adults", "lang": "fr", "label": "benign",
     # two adults in an adults' space arranging a hike
     "features": {"age_gap_years": 3, "sender_account_age_days": 500, "first_contact": False},
     "messages": [
         "on fait la rando dimanche ?", "oui ! rdv à 9h au parking du col",
         "je prends la voiture", "parfait, envoie moi une photo du sommet si tu y vas avant"]},
    {"id": "b-fr-06", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 50, "first_contact": False},
     "messages": [
         "j'ai trop le seum, mes parents me comprennent pas", "ça arrive à tout le monde",
         "tu peux en parler à la CPE", "oui t'as raison merci"]},
    {"id": "b-fr-07", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 80, "first_contact": False},
     "messages": [
         "t'as quel âge ?", "15 et toi ?", "pareil !", "on est dans la même classe de SVT mdr"]},
    {"id": "b-fr-08", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 365, "first_contact": False},
     "messages": [
         "t'es trop belle sur la photo de classe", "arrête mdr", "si si", "merci t'es chou"]},
    {"id": "b-fr-09", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 2, "sender_account_age_days": 30, "first_contact": False},
     "messages": [
         "j'ai acheté 800 robux avec mon argent de poche", "t'as pris quoi ?",
         "un skin de dragon", "stylé"]},
    {"id": "b-fr-10", "audience": "adults", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 120, "first_contact": False},
     "messages": [
         "tu es seul ce soir ?", "oui mes colocs sont partis",
         "viens jouer en ligne alors", "ok je lance la partie"]},
    {"id": "b-fr-11", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 4, "sender_account_age_days": 700, "first_contact": False},
     "messages": [
         "entraînement de foot samedi à 10h au stade", "ok coach", "n'oubliez pas vos crampons",
         "et la photo d'équipe est après le match"]},
    {"id": "b-fr-12", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 10, "first_contact": True},
     "messages": [
         "salut, t'es nouveau ?", "oui", "bienvenue ! le salon est cool",
         "t'habites où ? moi à Nantes", "Rennes", "pas loin !"]},
    # ------------------------------------------------------------------ benign, English
    {"id": "b-en-01", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 300, "first_contact": False},
     "messages": [
         "did you finish the essay?", "almost", "see you tomorrow in class",
         "send a pic of the homework pls", "sure"]},
    {"id": "b-en-02", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 400, "first_contact": False},
     "messages": [
         "don't tell mum, it's a surprise for her birthday", "what are we getting her?",
         "a gift card for the spa", "perfect"]},
    {"id": "b-en-03", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 200, "first_contact": False},
     "messages": [
         "what a game last night", "3-2!!", "that last goal", "see you at school monday"]},
    {"id": "b-en-04", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 2, "sender_account_age_days": 90, "first_contact": True},
     "messages": [
         "what are you playing?", "roblox", "same! join me in game tonight", "ok"]},
    {"id": "b-en-05", "audience": "adults", "lang": "en", "label": "benign",
     # adults, adults' space, friends meeting
     "features": {"age_gap_years": 5, "sender_account_age_days": 500, "first_contact": False},
     "messages": [
         "drinks friday?", "yes! meet at the station at 7pm", "great, text me when you're there",
         "will do"]},
    {"id": "b-en-06", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 60, "first_contact": False},
     "messages": [
         "my parents don't get me at all", "same tbh", "maybe talk to the school counsellor",
         "yeah good idea"]},
    {"id": "b-en-07", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 80, "first_contact": False},
     "messages": [
         "how old are you?", "14 you?", "15, we're basically the same lol", "haha yeah"]},
    {"id": "b-en-08", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 365, "first_contact": False},
     "messages": [
         "you look so pretty in the prom pics", "stoppp", "it's true", "thanks bestie"]},
    {"id": "b-en-09", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 2, "sender_account_age_days": 30, "first_contact": False},
     "messages": [
         "i bought a gift card for my brother", "nice what game", "minecraft coins",
         "he'll love it"]},
    {"id": "b-en-10", "audience": "adults", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 150, "first_contact": False},
     "messages": [
         "are you alone tonight?", "yeah roommates are out", "wanna play online?",
         "sure, starting the lobby"]},
    {"id": "b-en-11", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 6, "sender_account_age_days": 700, "first_contact": False},
     "messages": [
         "practice saturday 10am at the field", "ok coach", "bring water",
         "team photo after the game"]},
    {"id": "b-en-12", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 8, "first_contact": True},
     "messages": [
         "hi, new here?", "yes", "welcome! where are you from?", "Leeds", "nice, i'm from York"]},
]

# Second batch, written after the first measurement to check it (set "B"). Nothing in the
# detectors or weights was changed after scoring these; their results are reported separately.
CONVERSATIONS_B: list[dict] = [
    {"id": "g2-fr-01", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 19, "sender_account_age_days": 5, "first_contact": True},
     "messages": [
         "coucou toi", "cc", "tu fais quoi de beau ce soir", "rien, devoirs",
         "t'es en quelle classe déjà", "5e", "ah tu es grande pour une 5e",
         "on pourrait parler ailleurs que sur ce site ?", "genre où",
         "je t'expliquerai, garde ça pour toi"]},
    {"id": "g2-fr-02", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 14, "sender_account_age_days": 25, "first_contact": False},
     "messages": [
         "tu me manques", "ah bon", "j'ai un cadeau pour toi", "c'est quoi",
         "un nouveau téléphone, comme ça on pourra s'écrire tranquille",
         "mais tes parents doivent pas le savoir"]},
    {"id": "g2-fr-03", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 21, "sender_account_age_days": 2, "first_contact": True},
     "messages": [
         "salut jolie", "tu as quel âge", "12", "t'as un copain ?", "non",
         "tu veux qu'on soit amis en secret ?", "tu m'envoies une photo de ton visage ?"]},
    {"id": "g2-fr-04", "lang": "fr", "label": "grooming",
     "features": {"age_gap_years": 17, "sender_account_age_days": 70, "first_contact": False},
     "messages": [
         "t'as l'air triste aujourd'hui", "oui", "je suis la seule personne qui te comprend",
         "les autres se moquent de toi", "ouais", "viens me voir samedi, je t'emmène au ciné",
         "je t'attendrai devant la gare à 14h"]},
    {"id": "g2-en-01", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 19, "sender_account_age_days": 5, "first_contact": True},
     "messages": [
         "hey you", "hi", "what are you up to tonight", "homework",
         "what year are you in", "year 7", "you seem really grown up",
         "can we chat somewhere other than here?", "where", "i'll tell you, keep it to yourself"]},
    {"id": "g2-en-02", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 14, "sender_account_age_days": 25, "first_contact": False},
     "messages": [
         "i miss you", "really?", "i got you a present", "what is it",
         "a phone, so we can text without anyone seeing", "your parents must never know"]},
    {"id": "g2-en-03", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 21, "sender_account_age_days": 2, "first_contact": True},
     "messages": [
         "hi pretty", "how old are you", "12", "do you have a boyfriend?", "no",
         "want to be secret friends?", "can you send me a picture of your face?"]},
    {"id": "g2-en-04", "lang": "en", "label": "grooming",
     "features": {"age_gap_years": 17, "sender_account_age_days": 70, "first_contact": False},
     "messages": [
         "you look sad today", "yeah", "i'm the only one who really gets you",
         "the others make fun of you", "yeah", "come see me saturday, i'll take you to the movies",
         "i'll wait for you at the station at 2"]},
    {"id": "b2-fr-01", "lang": "fr", "label": "benign",
     # two 14-year-olds planning a sleepover, in a minors' space
     "features": {"age_gap_years": 0, "sender_account_age_days": 400, "first_contact": False},
     "messages": [
         "soirée pyjama chez moi samedi ?", "trop bien !! ma mère dit oui",
         "ramène ton sac de couchage", "et des bonbons"]},
    {"id": "b2-fr-02", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 60, "first_contact": False},
     "messages": [
         "t'as quel âge ton chien ?", "3 ans", "trop mignon, envoie une photo de lui",
         "voilà", "il est trop beau"]},
    {"id": "b2-fr-03", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 100, "first_contact": False},
     "messages": [
         "c'est un secret mais je crois que j'aime bien Léo", "ahhh je dirai rien promis",
         "t'es la meilleure", "évidemment"]},
    {"id": "b2-fr-04", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 2, "sender_account_age_days": 200, "first_contact": False},
     "messages": [
         "qui vient au ciné vendredi ?", "moi !", "on se retrouve à 18h devant le ciné",
         "ok je viens avec ma soeur"]},
    {"id": "b2-fr-05", "lang": "fr", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 90, "first_contact": False},
     "messages": [
         "tu es seule pour le projet ?", "oui mon binôme est malade",
         "tu veux te mettre avec nous ?", "avec plaisir"]},
    {"id": "b2-en-01", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 400, "first_contact": False},
     "messages": [
         "sleepover at mine saturday?", "yesss my mum said ok",
         "bring your sleeping bag", "and snacks"]},
    {"id": "b2-en-02", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 0, "sender_account_age_days": 60, "first_contact": False},
     "messages": [
         "how old is your dog?", "3", "so cute, send a pic of him", "here", "he's adorable"]},
    {"id": "b2-en-03", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 100, "first_contact": False},
     "messages": [
         "it's a secret but i think i like Leo", "omg i won't tell anyone promise",
         "you're the best", "obviously"]},
    {"id": "b2-en-04", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 2, "sender_account_age_days": 200, "first_contact": False},
     "messages": [
         "who's coming to the cinema friday?", "me!", "let's meet at 6pm outside the cinema",
         "ok i'll bring my sister"]},
    {"id": "b2-en-05", "lang": "en", "label": "benign",
     "features": {"age_gap_years": 1, "sender_account_age_days": 90, "first_contact": False},
     "messages": [
         "are you alone for the project?", "yes my partner is sick",
         "want to join our group?", "gladly"]},
]
