"""Threats against the reader, blackmail, and directed insults.

Three questions, each about what one person writes *to* another:

- ``has_threat``: violence announced against the reader or those close to them ("jvais te
  défoncer à la sortie", "on va brûler ta maison", "I'll find you"), knowing or hunting where
  they live ("je sais où tu habites"), an attack announced on a school, and urging someone to
  kill themself ("va te pendre", "kys"). What is said about oneself ("ma mère va me tuer"), in
  a game ("je vais te défoncer à Mario Kart") or as a figure of speech ("tu vas mourir de
  rire") is not a threat.
- ``has_sextortion``: "send it / pay, or I show everyone" — a demand backed by spreading
  pictures, videos or secrets.
- ``has_directed_insult``: an insult aimed at the reader ("t'es qu'une grosse vache", "sale
  thon", "espèce de bouffon", "nobody likes you"), as teenagers write them, beside the
  operators' harassment list (which matches words wherever they are).

Read on the ``words`` form: accents folded, apostrophes and punctuation as spaces, leet undone.
"""

from __future__ import annotations

import re

from moderation.policy.detectors import first_words, has_cue
from moderation.policy.detectors.quotation import outside_quotation
from moderation.policy.normalise import NormalisedText


def _alternatives(group: str) -> str:
    """"(?:a|b c)" -> "a|b c": a group of literal phrases, for `first_words`."""
    return group.removeprefix("(?:").removesuffix(")")


# --- threats -----------------------------------------------------------------------------------

# Someone announcing what they will do: I / we / they, now or soon.
_INTENT = (
    r"(?:je vais|j vais|jvais|jvai|je vai|jv|j v|je vias|je v|on va|on vas|ils vont|elles vont|"
    r"mes potes vont|mes freres vont|je peux|je pourrais|je veux|je viens|jviens|j viens|je reviens|"
    r"je vais venir|jvais venir|on vient|tu vas voir je vais|je te jure je vais|je jure je vais)"
)
_VIOLENCE = (
    r"(?:tuer|buter|butter|defoncer|frapper|tabasser|planter|egorger|etrangler|crever|"
    r"massacrer|demolir|detruire|eclater|exploser|cogner|poignarder|saigner|fumer|"
    r"bruler|violer|tirer dessus|casser la gueule|peter la gueule|peter les dents|casser les dents|"
    r"casser (?:la|le|les|ta|ton|tes|les deux) (?:jambes?|bras|genoux|nez|os|crane|tete|machoire)|"
    r"peter les (?:genoux|jambes|bras)|"
    r"refaire le portrait|faire la peau|faire du mal|faire (?:tellement |tres |trop |si |vraiment )?mal|faire payer|faire regretter|"
    r"faire souffrir|faire la misere|pourrir la vie|attendre a la sortie|chercher a la sortie)"
)
# Moments a threat is set for: "demain t'es mort", "à la sortie t'es mort".
_WHEN = (r"demain|ce soir|tout a l heure|a la sortie|apres les cours|apres l ecole|a la recre|lundi|mardi|"
         r"mercredi|jeudi|vendredi|samedi|dimanche|la prochaine fois|quand je te vois|si je te vois|"
         r"si je te croise|quand je te croise")
# What is announced in the present ("je te tue"): the plain verbs, conjugated.
_VIOLENCE_NOW = (r"tue|bute|defonce|frappe|tabasse|plante|egorge|etrangle|creve|massacre|demolis|detruis|"
                 r"eclate|explose|cogne|poignarde|saigne|brule|nique")
# "jte tue mdr": friends laughing are not threatening.
_LAUGH = r"mdr|mdrr+|ptdr|lol|xd|jpp|jrigole|je rigole|jplaisante|je plaisante|haha\w*"
_CLOSE_ONES = (
    r"(?:ta|ton|tes|ta petite|ton petit) (?:maison|famille|mere|pere|daronne|daron|soeur|frere|"
    r"parents|voiture|chien|chat|copine|copain|gueule|tete|race|vie)"
)
_WEAPON = r"(?:couteau|flingue|arme|pistolet|batte|fusil|kalash|kalachnikov|hache|machette|gun|knife|bombe)"
# Games and figures of speech: "je vais te défoncer à Mario Kart", "tu vas mourir de rire".
_PLAY_RE = re.compile(
    r"\b(?:a|au|sur|en|aux) (?:fortnite|fifa|mario|mario kart|minecraft|roblox|valorant|lol|la partie|"
    r"ce jeu|la prochaine partie|la revanche|smash|cod|rocket league|brawl|clash|echecs|1v1|1 v 1|"
    r"uno|monopoly|ping pong|babyfoot|foot|basket|tennis|badminton|la course|mario party)\b"
    r"|\b(?:la |une |the |next |a )?(?:prochaine |next |autre )?(?:game|games|manche|round|match|ranked|partie)\b"
    r"|\b(?:mourir|crever|mort|morte) de (?:rire|honte|faim|froid|chaud|fatigue|ennui)\b"
    r"|\b(?:de rire|mdrr* je vais te tuer|je vais te tuer si tu spoil|spoil)\b"
    r"|\b(?:in|at) (?:fortnite|fifa|mario kart|minecraft|roblox|valorant|chess|the game|this game|"
    r"the next round|ping pong)\b|\b(?:killing it|kill it|killed it|dying laughing|die laughing)\b"
)
_THREAT_FR_RE = re.compile(
    rf"\b{_INTENT}\s+(?:(?:bien|tous|toutes|aller|venir|te|vous|t)\s+)?(?:te|t|vous)\s+{_VIOLENCE}\b"
    rf"|\b{_INTENT}\s+{_VIOLENCE}\s+{_CLOSE_ONES}\b"
    # "jvais te retrouver à la sortie et te défoncer"
    rf"|\b{_INTENT}\s+(?:\w+\s+){{1,8}}(?:et|puis|pour) (?:te|t|vous) {_VIOLENCE}\b"
    rf"|\b{_INTENT}\s+(?:venir|aller|debarquer|passer|revenir|arriver)\s+(?:\w+\s+){{0,5}}avec "
    rf"(?:un|une|mon|ma|des|le|la) {_WEAPON}\b"
    r"|\btu vas (?:crever|mourir|finir (?:a l hosto|a l hopital|aux urgences|en fauteuil|dans un sac|"
    r"sous terre|six pieds sous terre|en morceaux)|le regretter|le payer|me le payer|payer cher|morfler|prendre cher|saigner|"
    r"souffrir|voir ce qui va t arriver|pas t en sortir)\b"
    r"|\bvous allez (?:tous |toutes )?(?:crever|mourir|payer|le regretter|voir ce qui va vous arriver)\b"
    r"|\bce qui va t arriver\b|\bt es (?:un homme mort|une femme morte|deja mort|deja morte|un mort)\b"
    r"|\bt es mort(?:e)? (?:si|quand|demain|a la sortie|ce soir|lundi|mardi|mercredi|jeudi|vendredi|apres)\b"
    # "demain t'es mort", "à la sortie t'es mort": a time or a place, then the verdict
    rf"|\b(?:{_WHEN}) (?:\w+ ){{0,3}}?t es (?:mort|morte|finie?|cuite?)\b(?! (?:de|en|a|au|aux|sur)\b)"
    # "je te tue", "je vous défonce tous les deux": the present announces it too
    rf"|\b(?:(?:je|j|on) (?:te|t|vous)|jte|jt|jvous) (?:{_VIOLENCE_NOW})\b(?! (?:{_LAUGH}|pas|jamais|plus|a|au|aux|en|sur)\b)"
    r"|\b(?:tu|vous) (?:merites|meritez|merite) (?:de |d )?(?:crever|mourir|te faire tuer|vous faire tuer|"
    r"te faire violer|etre mort|etre morte)\b"
    r"|\b(?:les gens comme toi|des gens comme toi|toi et tes (?:potes|amis)) (?:devraient|doivent|meritent de) "
    r"(?:crever|mourir|etre tues|se faire tuer|bruler)\b"
    r"|\b(?:je|on|nous) (?:sais|sait|savons|connais|connait|connaissons) (?:ou|dans quel\w*|quel) (?:tu (?:habites|vis|dors|"
    r"vas a l ecole)|t habites|est ton (?:lycee|college|ecole|bahut)|college|lycee|ecole|bahut|quartier)\b"
    # two things that find someone, held together: "je connais ton nom de famille et ton bahut"
    r"|\b(?:je connais|je sais|on connait|on sait|j ai|jai|on a) (?:ton|ta|tes) (?:nom de famille|vrai nom|adresse|ip|"
    r"bahut|college|lycee|ecole|quartier|classe) (?:et|,) (?:ton|ta|tes) (?:nom de famille|vrai nom|adresse|ip|bahut|"
    r"college|lycee|ecole|quartier|classe|numero|num)\b"
    # "je sais que tu t'appelles Ines et que t'es au lycée Victor Hugo"
    r"|\b(?:je|on) (?:sais|sait|connais|connait) (?:que tu t appelles|comment tu t appelles|ton nom)\b"
    r"(?=.*\b(?:lycee|college|ecole|bahut|habites|quartier|rue|adresse|classe)\b)"
    r"|\b(?:des gens|mes potes|mes gars|mes freres|du monde|des potes|mes cousins) qui (?:te|vont te|vont vous|vous) "
    r"(?:trouver|trouveront|retrouver|retrouveront|defoncer|defonceront|attendre|attendront|regler)\b"
    r"|\bregarde (?:bien )?derriere toi\b"
    # exposure announced: "je vais poster ton ancienne photo sur le compte du lycée"
    r"|\b(?:je vais|jvais|j vais|on va|je v) (?:poster|publier|balancer|diffuser|leak|leaker|faire tourner|afficher|"
    r"envoyer a tout le monde|montrer a tout le monde) (?:ta|ton|tes|vos) (?:\w+ )?(?:photos?|videos?|vids?|nudes?|"
    r"messages?|conv|screens?|captures?|snaps?)\b(?=.*\b(?:compte|insta|snap|tiktok|tout le monde|lycee|college|"
    r"classe|partout|en ligne|internet|net|reseaux|ecole|bahut|tes parents|ta mere|ton pere|tes potes|ton mec)\b)"
    r"|\b(?:i ll|ill|i will|i m gonna|im gonna|gonna) (?:post|leak|share|send|show) (?:your|ur) (?:\w+ )?(?:pics?|"
    r"photos?|videos?|nudes?|messages?|dms|screenshots?)\b(?=.*\b(?:everyone|everybody|online|school|class|"
    r"parents|friends|to all)\b)"
    # "on va te retrouver" (not "on va te retrouver au parc": a meeting)
    r"|\b(?:on (?:va|vas)|(?:mes|des) (?:potes|gars|freres|cousins|amis) vont|ils vont) te (?:retrouver|trouver)\b(?! (?:a|au|aux|devant|dans|sur|chez|vers|en|apres|demain|ce|la|pour|des)\b)"
    r"|\btu vas regretter\b(?! (?:de pas|de ne pas|de rater|d avoir rate|si|quand)\b)"
    r"|\btu vas (?:comprendre ta douleur|voir a la sortie|te faire (?:demonter|defoncer|tabasser|frapper|"
    r"eclater|casser la gueule|planter|buter|tuer|agresser|lyncher))\b"
    r"(?! par (?:le|la|ta|ton|tes|les|ma|mon) (?:prof|profs|mere|pere|daron|daronne|parents|coach|cpe|principal|"
    r"directeur|directrice|maman|papa|entraineur)\b)"
    r"|\b(?:t as|tas|ta|tu as) (?:interet|inter) a (?:te taire|fermer (?:ta gueule|ta bouche)|faire gaffe|supprimer|"
    r"effacer|rien dire|pas parler|raser les murs|te cacher|pas venir)\b"
    r"|\b(?:je vais|jvais|on va) (?:m occuper|s occuper) de ton cas\b|\b(?:je vais|jvais|on va) regler ton cas\b"
    r"|\bje (?:sais|connais|vais trouver|vais retrouver|vais chercher|vais publier|vais balancer|"
    r"vais diffuser) ton adresse\b|\b(?:ton adresse|ou tu habites) (?:je vais|jvais|on va) la\b"
    # doxxing: "j'ai ton adresse ip et ton nom de famille, fais gaffe"
    r"|\b(?:j ai|jai|g|on a|je connais|on connait) (?:(?:ton|ta|tes) (?:adresse ip|ip|nom de famille|vrai nom|"
    r"adresse|numero|num)\s+(?:et\s+)?){1,3}(?:\w+\s+){0,3}?(?:fais gaffe|fait gaffe|attention|tu vas voir|"
    r"je vais|jvais|on va|si tu)\b"
    # "la prochaine fois ça se passera pas bien", "sinon ça va mal finir pour toi"
    r"|\b(?:la prochaine fois|sinon)\b(?:\s+\w+){0,3}?\s+"
    r"(?:ca|sa) (?:se passera (?:pas bien|mal)|va mal (?:se passer|finir)|ira mal|finira mal)\b"
    r"(?! (?:avec|pour (?:ta|ton|tes|le|la|les|mon|ma|mes)|au|a l|aux|en|quand)\b)"
    r"|\b(?:ca|sa) (?:va|vas) mal (?:se passer|finir) pour toi\b"
    r"|\bsurveille (?:bien )?tes arrieres\b|\bfais gaffe (?:quand tu sors|a ta gueule|a tes fesses)\b"
    r"|\bon (?:va|vas) (?:venir|debarquer) chez (?:toi|vous)\b"
    # urging someone to kill themself
    r"|\b(?:va|vas) (?:te pendre|te suicider|te tuer|mourir|crever)\b"
    r"|\b(?:suicide|tue|pends) toi\b"
)
_THREAT_EN_RE = re.compile(
    r"(?<!not )(?<!never )(?<!won t )(?<!don t )(?<!wouldn t )"
    r"\b(?:i ll|ill|i will|i m gonna|im gonna|i m going to|im going to|i am going to|gonna|we ll|"
    r"we will|we re gonna|were gonna|we are going to|i want to)\s+(?:\w+\s+){0,2}?"
    r"(?:kill|hurt|beat|stab|shoot|rape|murder|end|destroy|come for|come after|burn|cut|jump|"
    r"track down|hunt down|beat up)\s+(?:you|u|ya|your|yall|all of you)\b"
    r"|\bbeat the (?:shit|crap|hell) out of (?:you|u)\b"
    r"|\b(?:you re|youre|ur|you are|u r|u re|you|u) (?:so |fucking |fkn )?(?:gonna die|going to die|"
    r"gonna regret|going to regret|gonna pay for|going to pay for|will pay for|will regret)\b"
    r"|\bi (?:have|got|know) (?:your|ur) (?:ip|ip address|real name|last name|full name)\b(?=.*\b(?:careful|"
    r"watch|regret|gonna|will|or else|better)\b)"
    r"|\bi know where (?:you|u) (?:live|sleep|go to school|are)\b|\bi know your (?:address|school)\b"
    r"|\bi (?:have|got|ve got|found|know) (?:your|ur) (?:home )?(?:address|addy|location|school)\b(?! (?:for|to send|so i can send)\b)"
    r"|\b(?:you|u) (?:have|got) (?:\d+|one|two|three|24|48) (?:hours?|hrs?|days?|minutes?|mins?) (?:before|until|til|till) (?:i|we|my|they|everyone|everybody|your)\b"
    r"|\b(?:people like you|ppl like you|you|u|your kind) (?:should|deserve to|need to|ought to) "
    r"(?:be shot|get shot|die|be killed|get killed|be raped|get raped|be hanged|hang|burn)\b"
    r"|\b(?:i ll|ill|i will|we ll|we will|gonna) (?:come|show up|pull up) (?:to|at) (?:your|ur) "
    r"(?:house|home|place|school|work)\b(?=.*\b(?:friends|boys|bros|gang|crew|knife|gun|bat|hurt|regret)\b)"
    r"|\bwatch your back\b|\bwatch out at school\b"
    r"|\b(?:you re|youre|ur|you are|u r|u re) (?:so |fucking )?(?:dead|dead meat|finished|done for)\b"
    r"(?! (?:tired|inside|wrong|right|lol|lmao|haha\w*|xd|jk|in|at|on)\b)"
    r"|\b(?:you|u) (?:better|d better|had better) (?:watch (?:out|ur back|your back|yourself)|"
    r"sleep with one eye open)\b|\b(?:you|u) (?:better|d better|had better) (?:run|hide)\b(?! (?:to|for|and|home|fast|or)\b)"
    r"|\b(?:we|they|my boys|my friends) (?:know|knows) where (?:you|u) (?:live|sleep|go to school)\b"
    r"|\b(?:i m|im|ima|we re|were) coming for (?:you|u)\b(?! (?:at|in|tomorrow|tonight|to|after|later|on|around)\b)"
    r"|\b(?:you re|youre|ur|you are|u r) (?:gonna|going to) get (?:it|hurt|what s coming|whats coming|jumped)\b"
    r"|\bi know (?:your|ur|yr) (?:real |full |last )?name and (?:which|what|where|your|ur) (?:school|you live|u live|house|address)\b"
    r"|\bmake sure (?:you|u) get (?:jumped|hurt|beat up|beaten|stabbed|what s coming)\b"
    r"|\b(?:i ll|ill|i will|we ll|we will) (?:find|hunt) (?:you|u)\b"
    r"(?! (?:a|an|some|one|the|later|tomorrow|soon|at|on|in|online|there|when|if|after)\b)"
    r"|\b(?:you ll|youll|u ll|ull|you will) regret (?:this|it|that|saying|what|messing)\b"
    r"|\bsay (?:that|it) again and\b"
    r"|\b(?:bring|bringing) (?:a|my) (?:gun|knife|weapon) to (?:school|class)\b"
    r"|\b(?:kys|kill yourself|kill urself|go die|go kill yourself|hang yourself|neck yourself|"
    r"unalive yourself|drink bleach)\b"
)


# Every match of the two patterns above has one of these words (detectors/__init__.py): the
# act announced, the weapon, or the one word each other alternative is built on.
_THREAT_CUES = (first_words(_alternatives(_VIOLENCE)) | first_words(_alternatives(_WEAPON)) | frozenset({
    "vas", "allez", "arriver", "mourir", "crever", "mort", "morte", "sais", "connais", "adresse", "habites", "surveille",
    "gaffe", "venir", "debarquer", "que", "comment", "ton", "gens", "potes", "gars", "freres", "monde",
    "cousins", "regarde", "make", "name", "poster", "publier", "balancer", "diffuser", "leak", "leaker",
    "faire", "afficher", "envoyer", "montrer", "post", "share", "send", "show", "v", "sait", "savons", "connait", "connaissons", "nous", "retrouver", "trouver",
    "regretter", "tu", "interet", "inter", "t", "tas", "ta", "occuper", "regler", "dead", "finished", "done",
    "better", "d", "had", "they", "my", "we", "coming", "get", "find", "regret", "say", "on", "as", "jai", "j", "g", "on", "je", "passera", "mal", "ip", "pendre", "suicider", "tuer", "suicide", "tue", "pends",
    "merites", "meritez", "merite", "devraient", "doivent", "meritent", "finie", "fini", "cuit", "cuite",
    "bute", "defonce", "frappe", "tabasse", "plante", "egorge", "etrangle", "creve", "massacre", "demolis",
    "detruis", "eclate", "explose", "cogne", "poignarde", "saigne", "brule", "nique",
    "have", "got", "found", "should", "deserve", "need", "ought", "show", "pull",
    "kill", "hurt", "beat", "stab", "shoot", "rape", "murder", "end", "destroy", "come", "burn", "cut",
    "jump", "track", "hunt", "die", "regret", "pay", "will", "know", "watch", "bring", "bringing", "kys",
    "hang", "neck", "unalive", "drink",
}))


def has_threat(text: NormalisedText) -> bool:
    return has_cue(text.runs, _THREAT_CUES) and _threat(text)


def _threat(text: NormalisedText) -> bool:
    words = text.words
    if _THREAT_FR_RE.search(words) is None and _THREAT_EN_RE.search(words) is None:
        return False
    if _PLAY_RE.search(words) is not None:
        return False
    outside = outside_quotation(text)
    # A line quoted from a film or a song is a threat only if what surrounds it is one.
    return outside is None or _threat(outside)


# --- sextortion and blackmail --------------------------------------------------------------------

_MEDIA = r"(?:photos?|video|videos|vid|vids|nudes?|pics?|images?|captures?|screens?|screenshots?|snaps?|conv|messages?)"
_SPREAD_FR = (r"(?:envoie|envoi|envoyer|montre|montrer|publie|publier|balance|balancer|diffuse|diffuser|"
              r"poste|poster|partage|partager|mets|mettre|leak|file|donne|donner|fais tourner|faire tourner)")
# What is threatened with: pictures, videos, messages, or the people who would see them.
_EXPOSURE_RE = re.compile(
    rf"\b(?:{_MEDIA}|tout le monde|toute ta classe|tes (?:parents|potes|amis|contacts|followers|abonnes)|"
    r"ta (?:mere|famille|classe|daronne)|ton (?:lycee|college|pere|daron)|partout|sur insta|sur snap|"
    r"sur tiktok|sur les reseaux|everyone|everybody|your (?:parents|mom|dad|friends|school|family|followers)|"
    r"online|on insta|on snap|the internet)\b"
)
# The condition: "sinon", "ou je …", "si tu ne … pas", "or (else) …", "unless".
_CONDITION_RE = re.compile(
    rf"\bsinon\b|\bou (?:je|j|jvais|je vais) (?:les |la |le |tes |ta |t )?{_SPREAD_FR}\b"
    r"|\bsi (?:tu|t) (?:\w+ ){0,3}(?:pas|plus)\b|\bor (?:else )?(?:i|i ll|ill|i will|everyone|everybody|your)\b"
    r"|\bunless\b|\bif (?:you|u) (?:don t|dont|won t|wont|refuse)\b"
)
_SPREAD_RE = re.compile(
    rf"\b(?:{_SPREAD_FR}|part|partent|va partir|vont partir|circule|tourne|verra|verront|sauront|saura|"
    r"post|send|show|share|leak|expose|tell|see|sees|gets|finds out|find out|knows)\b"
)


# A spreading is in every match: its verbs, and the words of the French phrases.
_SPREAD_CUES = first_words(_alternatives(_SPREAD_FR)) | frozenset({
    "tourner", "part", "partent", "va", "vont", "partir", "circule", "tourne", "verra", "verront", "sauront",
    "saura", "post", "send", "show", "share", "leak", "expose", "tell", "see", "sees", "gets", "finds", "find",
    "knows",
})


def has_sextortion(text: NormalisedText) -> bool:
    """A condition, then (after it) a spreading and something exposed."""
    return has_cue(text.runs, _SPREAD_CUES) and _sextortion(text)


def _sextortion(text: NormalisedText) -> bool:
    words = text.words
    condition = _CONDITION_RE.search(words)
    if condition is None:
        return False
    rest = words[condition.start():]
    return _SPREAD_RE.search(rest) is not None and _EXPOSURE_RE.search(rest) is not None


# --- directed insults ----------------------------------------------------------------------------

_INSULT_NOUNS_FR = (
    r"(?:pute|putes|salope|salopes|salaud|con|conne|connard|connasse|batard|batarde|btrd|enfoire|enfoiree|"
    r"encule|enculee|fdp|pd|pede|tapette|gouine|tarlouze|pedale|thon|boloss|bolosse|bolos|cassos|clochard|"
    r"clocharde|debile|abruti|abrutie|mongol|mongole|gogol|triso|trisomique|attarde|attardee|cretin|"
    r"cretine|bouffon|bouffonne|baleine|vache|truie|porc|grosse|gros lard|moche|mocheté|mochete|laideron|"
    r"chienne|merde|sous merde|ordure|raclure|dechet|pouffiasse|petasse|grognasse|naze|loser|looser|"
    r"victime|cancre|plouc|boufon|trainee|tepu|tchoin|chaudasse|gamine de merde|"
    r"gamin de merde|tete de cul|tete de con|tete de mort|face de rat|pauvre type|pauvre fille|"
    r"incapable|parasite|sac a merde|sac a foutre|dinde|bitch|mongolito|cheum|boudin|grosse vache|golmon|"
    r"golmone|glandu|neuneu|teube|tocard|toquard|baltringue|guignol|mongol fini|debile profond|pathetique|"
    r"minable|nul a chier|nulle a chier|immonde|degueulasse|degueu|sans amis)"
)
_INSULT_FR_RE = re.compile(
    rf"\b(?:t es|tes|t est|tu es|t etais|vous etes|espece d|espece de|sale|pauvre|ta gueule|tg|ferme la|"
    rf"ferme ta gueule|toi la|toi le|regarde toi|gros|grosse)\s+(?:(?:qu une|qu un|qu|un|une|vraiment|trop|"
    rf"grave|tellement|juste|qu une grosse|qu un gros|un gros|une grosse|une sale|un sale|gros|grosse|sale|"
    rf"petite|petit|pauvre|bien|tjrs|toujours|mega|vrai|vraie)\s+)*{_INSULT_NOUNS_FR}\b"
    r"(?! (?:nouille|patate|flemmarde|flemmard|feignasse|marmotte|tortue|gourmande|gourmand|dormeuse|maligne|"
    r"rigolote|andouille|tete de linotte|bisou|bisous|coeur)\b)"
    r"|\b(?:t as une|avec ta|sale|ta) (?:tete|gueule|face) de (?:cul|con|mort|rat|thon|merde|chien|cochon|porc|cheval|"
    r"singe|poisson|vache|pet|fion|teuch)\b"
    r"|\b(?:wsh|wesh|eh|oh|hey|toi|encore toi) (?:la|le) (?:grosse|gros|moche|thon|baleine|vache|vieille peau|vieux con|"
    r"sorciere|laideron)\b|\bvieille peau\b"
    r"|\bpersonne (?:ne )?(?:t aime|veut de toi|te supporte|t apprecie|lit tes messages|t a sonne|t a demande|"
    r"te calcule|veut te parler|voudra de toi|t aimera)\b"
    r"|\btout le monde (?:te deteste|se fout de ta gueule|se moque de toi|te hait|rigole de toi|te trouve moche)\b"
    r"|(?<!\btu )\b(?:va|vas) (?:pleurer|chialer|chouiner|te cacher|te laver)\b"
    r"|\b(?:pd|fdp|tepu|tchoin)(?:\s+(?:pd|fdp|tepu|tchoin)){1,}\b"
    r"|\b(?:retourne|rentre) (?:a l ecole|chez ta mere|dans ta grotte|jouer aux poupees)\b"
    # "ferme ta gueule" (not "ta gueule mdr" between friends), the reader's mother insulted,
    # someone in the room pointed at ("le bouffon est revenu")
    rf"|\bferme ta gueule\b(?! (?:{_LAUGH})\b)"
    # no friends, sent away: "t'as pas d'amis", "dégage du salon", "retourne pleurer"
    r"|\b(?:t as|tas|ta|tu as) (?:pas|aucun|zero) (?:d amis|d ami|de potes|ami|amis|pote)\b(?! (?:sur|dans|en|a|au|ici|irl|qui)\b)"
    r"|\bpersonne (?:ne )?veut (?:etre ton ami|etre ta pote|etre ton pote|de toi)\b"
    r"|\b(?:degage|degagez|casse toi|cassez vous|barre toi|barrez vous|tire toi) (?:d ici|du salon|de ce salon|"
    r"de ce serveur|du serveur|de la conv|t as rien a faire)\b"
    r"|\b(?:retourne|rentre|va) pleurer\b"
    rf"|\bta (?:mere|daronne|mama|maman|soeur) (?:aussi |elle |aussi elle |elle aussi )*(?:est|c est|c) (?:une |un |trop |grave |vraiment )*"
    rf"{_INSULT_NOUNS_FR}\b"
    rf"|\b(?:le|la|ce|cette) {_INSULT_NOUNS_FR} (?:est revenue?|est encore la|est la|a encore parle|parle encore|"
    r"recommence|est de retour)\b(?! (?:au|a|de|du|des|dans|en|sur)\b)"
)
_INSULT_NOUNS_EN = (
    r"(?:bitch|whore|slut|skank|cunt|retard|retarded|fag|faggot|loser|freak|moron|idiot|dumbass|"
    r"dumb ass|pig|cow|hoe|creep|weirdo|psycho|clown)"
)
# After "you're": also what is an insult only as a predicate ("you're trash", "you're a joke").
_PREDICATE_NOUNS_EN = r"(?:trash|garbage|waste of space|piece of shit|piece of trash|nobody|joke|failure|disgrace|mistake)"
_INSULT_EN_RE = re.compile(
    rf"\b(?:you re|youre|ur|you are|u r|u re|you|u)\s+(?:(?:such|a|an|so|just|a fucking|fucking|fkn|"
    rf"literally|a total|total|an absolute|absolute|little|fat|ugly|stupid|dumb|worthless|pathetic|"
    rf"disgusting|useless|gross)\s+)*{_INSULT_NOUNS_EN}\b"
    rf"|\b(?:you re|youre|ur|you are|u r|u re)\s+(?:(?:such|a|an|so|just|literally|a total|total|an absolute|"
    rf"absolute|fucking)\s+)*{_PREDICATE_NOUNS_EN}\b"
    rf"|\b(?:fat|ugly|stupid|dumb|worthless|pathetic|disgusting|useless|filthy) (?:{_INSULT_NOUNS_EN})\b"
    r"|\b(?:nobody|no one|no1) (?:likes|loves|wants|asked|cares about|will ever love|will miss) (?:you|u)\b"
    r"|\b(?:you re|youre|ur|you are|u r|u re) (?:so |such |really |literally |fucking |genuinely )*"
    r"(?:ugly|fat|pathetic|worthless|disgusting|useless|hideous)\b"
    r"|\b(?:you|u) (?:have|got|ve got) no (?:friends|life)\b|\bgo away (?:loser|freak|weirdo|nobody wants you)\b"
    r"|\b(?:everyone|everybody) (?:thinks|knows) (?:you re|youre|ur|you are) (?:weird|ugly|a loser|a freak|fat|"
    r"pathetic|a creep|disgusting)\b"
    r"|\b(?:literally |)(?:everyone|everybody)(?: here| in here| in this chat)? (?:hates|laughs at|is laughing at) (?:you|u)\b"
    r"|\b(?:just )?leave(?: already)?,? (?:loser|freak|weirdo|creep)\b"
)


# The insult itself, or the word each other alternative is built on.
_INSULT_CUES = (first_words(_alternatives(_INSULT_NOUNS_FR)) | first_words(_alternatives(_INSULT_NOUNS_EN))
                | first_words(_PREDICATE_NOUNS_EN.removeprefix("(?:").removesuffix(")")) | frozenset({
                    "tete", "gueule", "face", "personne", "monde", "va", "vas", "pd", "fdp", "tepu", "tchoin",
                    "retourne", "rentre", "nobody", "ferme", "ta", "t", "tas", "tu", "degage", "degagez",
                    "casse", "cassez", "barre", "barrez", "tire", "pleurer", "ugly", "fat", "pathetic", "worthless",
                    "disgusting", "useless", "hideous", "you", "u", "go", "thinks", "knows", "everyone", "everybody",
                    "ami", "amis", "pote", "potes", "etre", "avec", "sale", "wsh", "wesh", "eh", "oh", "hey",
                    "toi", "encore", "vieille", "literally", "just", "leave", "no", "no1", "everyone", "everybody",
                }))


def has_directed_insult(text: NormalisedText) -> bool:
    return has_cue(text.runs, _INSULT_CUES) and _directed_insult(text)


def _directed_insult(text: NormalisedText) -> bool:
    words = text.words
    return _INSULT_FR_RE.search(words) is not None or _INSULT_EN_RE.search(words) is not None


# Friends insulting each other with love ("jtm aussi conasse 💕", "ur such an idiot lol i love u"):
# said with a declaration of affection in words, an insult is banter (policy/screening.py). A
# heart alone is not enough: "t'es qu'une pute ❤️" mocks as often as not.
_AFFECTION_RE = re.compile(
    r"\b(?:jtm|jtmm+|jtaime|jt aime|je t aime|je t adore|jtadore|jt adore|love u|love you|love ya|luv u|luv you|"
    r"ily|ilysm|ilu|bisous|gros bisous|mon coeur|ma cherie|mon cheri|bff|ma bff|ma best|mon best)\b"
)


def has_affection(text: NormalisedText) -> bool:
    """A declaration of affection in words."""
    return _AFFECTION_RE.search(text.words) is not None
