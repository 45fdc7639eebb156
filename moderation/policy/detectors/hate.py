"""Hostility towards a group of people without a slur: what is said *about* the group.

The term lists catch slurs, and one seed pattern catches a hostile verb before a group ("je
déteste les …", "il faut virer les …"). This detector reads the other common shapes of hate
speech against a protected group (origin, religion, skin colour, sexual orientation, gender
identity, sex, disability, migration), in French and English:

- the group said to be something degrading: "les X sont des rats / dégoûtants / inférieurs",
  "pourquoi les X sont-ils si stupides ?", "je pense que les X sont une plaie";
- the group denied something positive: "les X ne sont pas des êtres humains";
- what should happen to the group: "les X devraient tous crever", "les X n'ont rien à faire
  ici", "mort aux X", "X dehors";
- the same in English: "X are animals", "X should all die", "death to X".

Not hate: the same words about things or non-protected groups ("les moustiques sont des
parasites", "les banquiers sont des voleurs"), positive or neutral statements ("les femmes sont
géniales"), and negations ("les musulmans ne sont pas dangereux"). Quoting hate to denounce it
is caught like the hate itself (docs/screening.md, known limits).

Read on the ``words`` form: accents folded, apostrophes and punctuation as spaces.
"""

from __future__ import annotations

import re

from moderation.policy.detectors import has_cue
from moderation.policy.normalise import NormalisedText

_GROUPS_FR = (
    r"juifs?|juives?|arabes?|noirs?|noires?|blacks?|renois|musulmans?|musulmanes?|islamistes|homos?|"
    r"homosexuel(?:le)?s?|gays?|gais|lesbiennes?|trans|transgenres?|transsexuel(?:le)?s?|bisexuel(?:le)?s?|"
    r"femmes?|meufs|handicapes?|handicapees?|autistes?|trisomiques?|refugies?|refugiees?|immigres?|immigrees?|"
    r"migrants?|etrangers?|asiatiques?|chinois|chinoises?|roms?|gitans?|gitanes?|tsiganes?|africains?|"
    r"africaines?|maghrebins?|maghrebines?|chretiens?|chretiennes?|catholiques?|hindous?|sikhs?|lgbt|lgbtq|lgbti|lgbtqi|lgbtqia|"
    r"queers?|non binaires?|personnes (?:noires|handicapees|trans|homosexuelles|agees|racisees)|"
    r"gens du voyage|gens de couleur"
)
_GROUPS_EN = (
    r"jews|muslims|arabs|blacks|black people|gays|gay people|lesbians|trans people|transgender people|"
    r"women|immigrants|migrants|refugees|disabled people|asians|mexicans|christians|hindus|"
    r"homosexuals|bisexuals|foreigners|africans|gypsies|roma|queers|lgbt|lgbtq|lgbti|lgbtqi|lgbtqia"
)
_THE = r"(?:les|ces|tous les|toutes les|tous ces|toutes ces|la plupart des|vous autres|the|all|all the|these|those)"
# "les femmes comme vous", "les X de ton espèce": the group, made personal.
_LIKE = r"(?: comme (?:vous|toi|elles|eux|ca|lui|elle)| de (?:ton|votre|cette|leur) (?:espece|genre|sorte))?"
_DEGRADING_FR = (
    r"(?:des |de la |une |un |que des |qu des |juste des |vraiment des |tous des |toutes des |de |rien que des )?"
    r"(?:(?:vulgaires|completes|complets|veritables|sales|simples|etres|gros|grosses|pauvres) )?"
    r"(?:animaux|pourritures|racaille|repoussants?|repoussantes?|ignobles|abrutis?|abruties?|sans valeur|"
    r"inferieurs|nuisibles|betes|rats|cafards|parasites|vermine|porcs|cochons|singes|chiens|dechets|ordures|merdes|"
    r"sous hommes|sous humains|racailles|virus|sangsues|insectes|cancer|tumeur|plaie|fleau|maladie|menace|"
    r"honte|erreur|sauvages|barbares|primitifs|arrieres|degoutants?|degoutantes?|degueulasses?|repugnants?|"
    r"repugnantes?|immondes|sales|stupides|idiots?|idiotes?|debiles|cons|connes|inferieurs?|inferieures?|"
    r"dangereux|dangereuses|violents?|violentes?|criminels?|criminelles?|voleurs?|voleuses?|menteurs?|"
    r"menteuses?|malades|pervers|perverses|fous|folles|hysteriques|paresseux|paresseuses|faineants?|"
    r"faineantes?|inutiles|nuls|nulles|betes|pires|terroristes|pedophiles|monstres|nuisibles|"
    r"moins que rien|bons a rien|bonnes a rien)"
)
_INTENSIFIER_FR = r"(?:(?:tous|toutes|vraiment|juste|si|aussi|tellement|toujours|trop|que|qu|tous juste|par nature)\s+)*"
_POSITIVE_FR = (
    r"(?:des etres humains|humains|humaines|des humains|des gens bien|des personnes|intelligents?|intelligentes?|"
    r"normaux|normales|dignes de confiance|les bienvenus|les bienvenues|egaux|egales|nos egaux|des citoyens)"
)
_FATE_FR = (
    r"(?:mourir|crever|disparaitre|etre (?:tues|tuees|exterminees?|extermines|expulses|expulsees|enfermes|"
    r"enfermees|gazes|brules|pendus|deportes|chasses|eliminees?|elimines|interdits|interdites|castres|abattus)|"
    r"bruler|rentrer chez eux|retourner (?:chez eux|dans leur pays|en afrique|dans leur pays d origine)|"
    r"rester a la cuisine|se taire|pas avoir le droit|ne pas avoir le droit|pas exister|ne pas exister)"
)
_KILL_FR = (
    r"(?:tuer|pendre|egorger|poignarder|abattre|exterminer|eradiquer|gazer|bruler|etrangler|executer|massacrer|"
    r"fusiller|eliminer|buter|violer|enfermer|torturer|noyer|lyncher|mettre fin a la vie de|en finir avec|"
    r"tirer (?:une balle )?sur|briser le cou de|trancher la gorge de|casser la gueule a|se debarrasser de)"
)
_WHO_WANTS_FR = (
    r"(?:on devrait|il faudrait|il faut|faut|faudrait|quelqu un devrait|je veux|je voudrais|je vais|jvais|on va|"
    r"je pense a|j ai envie de|allons|nous devons|on doit|eradiquons|tuons|exterminons|pendons|brulons)"
)
_CONTEMPT_FR = (
    r"(?:aucun respect|aucune compassion|aucune pitie|que de l aversion|que du mepris|que de la haine|"
    r"de la haine|trop de haine|tellement de haine|du degout|que du degout|de l aversion|du mepris)"
)
_GROUP_HATE_FR_RE = re.compile(
    # les X sont (tous) des rats / dégoûtants ; pourquoi les X sont ils si stupides ; c'est des ...
    rf"\b{_THE} (?:{_GROUPS_FR}){_LIKE} (?:sont(?: ils| elles)?|c est|ce sont|c etait|etaient|resteront|seront|"
    rf"ne sont rien de plus que|ne sont que|sont toutes|sont tous)\s+"
    rf"{_INTENSIFIER_FR}{_DEGRADING_FR}\b"
    # je trouve (toutes) les X dégoûtantes
    rf"|\bje (?:trouve|trouvais|considere) {_THE} (?:{_GROUPS_FR}){_LIKE} {_INTENSIFIER_FR}{_DEGRADING_FR}\b"
    # on devrait pendre ces X ; je vais tirer sur la prochaine X
    rf"|\b{_WHO_WANTS_FR} (?:juste |simplement |tous |toutes |bien )?{_KILL_FR} "
    rf"(?:{_THE}|chaque|la prochaine|le prochain|cette|ce|une|un|des) (?:{_GROUPS_FR})\b"
    # aucun respect / que de l'aversion pour (les) X
    rf"|\b{_CONTEMPT_FR} pour (?:{_THE} |chaque |une |un |des )?(?:{_GROUPS_FR})\b"
    # c'est typique des X / dans la nature d'une X d'être ...
    rf"|\b(?:typique|dans la nature|le propre) (?:d une|d un|des|de la part des|de la part d une|de la part d un) "
    rf"(?:{_GROUPS_FR}) (?:d etre|de se montrer|de)\b"
    # les X (comme vous) ne méritent pas de vivre / n'ont aucun droit d'être en vie / aucune valeur
    rf"|\b(?:{_GROUPS_FR}){_LIKE} (?:ne meritent pas de vivre|n ont (?:aucun|pas le) droit d (?:etre en vie|exister|vivre)|"
    r"n ont (?:aucune|pas de|pas la moindre) (?:valeur|importance)|sont sans valeur)\b"
    rf"|\bvies? (?:des|de|d) (?:{_GROUPS_FR}) (?:n ont|sont|est|n a) (?:aucune valeur|pas d importance|sans valeur|"
    r"aucune importance)\b"
    # les X ne sont pas des êtres humains
    rf"|\b{_THE} (?:{_GROUPS_FR}){_LIKE} (?:ne )?sont (?:pas|jamais|meme pas) (?:vraiment )?{_POSITIVE_FR}\b"
    # les X devraient (tous) crever ; méritent de mourir ; doivent disparaître
    rf"|\b{_THE} (?:{_GROUPS_FR}){_LIKE} (?:devraient|doivent|meritent de|merite de|faut qu ils|vont) "
    rf"(?:tous |toutes )?{_FATE_FR}\b"
    # les X n'ont rien à faire ici / pas leur place
    rf"|\b{_THE} (?:{_GROUPS_FR}) n ont (?:rien a faire|pas leur place|aucun droit|pas le droit d exister)\b"
    # mort aux X ; X dehors ; à bas les X
    rf"|\bmort aux (?:{_GROUPS_FR})\b|\b(?:les )?(?:{_GROUPS_FR}) dehors\b|\ba bas les (?:{_GROUPS_FR})\b"
)
_DEGRADING_EN = (
    r"(?:animals|rats|cockroaches|parasites|vermin|pigs|apes|monkeys|dogs|trash|garbage|scum|subhuman|"
    r"disgusting|filthy|stupid|inferior|dangerous|violent|criminals|thieves|liars|worthless|a plague|"
    r"a disease|a cancer|a disgrace|a threat|terrorists|pedophiles|sick|mentally ill|less than human)"
)
_GROUP_HATE_EN_RE = re.compile(
    rf"\b(?:{_THE} )?(?:{_GROUPS_EN}) (?:are|r) (?:all |just |so |such |really |nothing but |always )*{_DEGRADING_EN}\b"
    rf"|\b(?:{_THE} )?(?:{_GROUPS_EN}) (?:are not|aren t|arent) (?:even )?(?:human|humans|people|real people)\b"
    rf"|\b(?:{_THE} )?(?:{_GROUPS_EN}) (?:should|must|deserve to|need to) (?:all )?(?:die|be killed|be exterminated|"
    r"be gassed|be deported|be shot|be hanged|burn|disappear|go back|not exist|not be allowed)\b"
    rf"|\bdeath to (?:all )?(?:{_GROUPS_EN})\b|\b(?:{_GROUPS_EN}) out\b"
)


def _forms(alternation: str) -> frozenset[str]:
    """The first word of each alternative of a group alternation, with and without its
    optional endings ("juifs?" -> juif, juifs; "homosexuel(?:le)?s?" -> the four forms)."""
    forms: set[str] = set()
    for alternative in alternation.split("|"):
        first = alternative.split()[0]
        stems = [first.replace("(?:le)?", ""), first.replace("(?:le)?", "le")] if "(?:le)?" in first else [first]
        for stem in stems:
            if stem.endswith("?"):
                forms.update({stem[:-2], stem[:-1]})
            else:
                forms.add(stem)
    return frozenset(forms)


# Every match names a group: its words are the cues (detectors/__init__.py).
_CUES = _forms(_GROUPS_FR) | _forms(_GROUPS_EN)


def has_group_hostility(text: NormalisedText) -> bool:
    return has_cue(text.runs, _CUES) and _group_hostility(text)


def _group_hostility(text: NormalisedText) -> bool:
    # A negation breaks each shape by itself ("les femmes ne sont pas dangereuses" has "pas"
    # where the pattern wants what they are said to be), except the one built on it.
    words = text.words
    for pattern in (_GROUP_HATE_FR_RE, _GROUP_HATE_EN_RE):
        for match in pattern.finditer(words):
            if not _counter_speech(text, words[:match.start()]):
                return True
    return False


# Counter-speech: hate reported ("dire que …", "du type « … »", "saying …") in order to
# condemn it ("sectaire", "inacceptable", "je le signalerai"). Both must be there: "je pense
# que les X sont …" reports nothing but the writer's own view.
_REPORTED_RE = re.compile(
    r"\b(?:dire|dit|dites|disent|disant|ecrire|ecrit|ecrivent|ecrivez|traiter|traitez|traites|appeler|appelez|"
    r"pretendre|pretendez|affirmer|affirmez|croire|croyez|du type|des trucs comme|say|says|said|saying|call|"
    r"calling|write|writes|wrote|claim|claims|claiming)\b"
)
_CONDEMNED_RE = re.compile(
    r"\b(?:sectaires?|racistes?|sexistes?|homophobes?|transphobes?|misogynes?|haine|haineux|haineuse|tolerable|"
    r"intolerable|inacceptable|inadmissible|deshumanisante?|signale\w*|fourvoy\w*|exclu\w*|virer|viree?|bannie?s?|"
    r"honte|honteux|choquant|pitoyable|normal|degueulasse de|bigot\w*|racist|sexist|homophobic|transphobic|"
    r"unacceptable|hateful|hate speech|report\w*|banned|disgusting to|not ok|pas ok|mal de voir|respect pour)\b"
)
_QUOTES = ('"', "«", "»", "“", "”")


def _counter_speech(text: NormalisedText, before: str) -> bool:
    reported = _REPORTED_RE.search(before) is not None or any(mark in text.original for mark in _QUOTES)
    return reported and _CONDEMNED_RE.search(text.words) is not None
