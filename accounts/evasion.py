"""Ban-evasion linking: a new account compared with the accounts moderators banned.

Each account leaves a few privacy-preserving traces (`EvasionSignal`), recorded at sign-up,
sign-in and image upload, never the raw value behind them:

- device: a keyed hash (HMAC) of a random id Phare keeps in a long-lived, HttpOnly cookie;
- network: a keyed hash of the client address's prefix (IPv4 /24, IPv6 /48) with the random
  salt of a 30-day period; one hash per salt still in use, so that two sign-ins at most the
  retention period apart share one, and sign-ins further apart than a period plus the
  retention never do (the salt is deleted, see `purge_signals`);
- pseudonym: its stem (the confusable skeleton without digits or separators), public anyway;
- image: the PDQ hash of an image the account uploaded (good enough quality only).

When an account that signed up at most the retention period after a moderator banned someone
shows traces of the banned account that score as "likely" (`WEIGHTS`, `LIKELY`), a link is
recorded and the account is held: it counts as a new account (accounts.throttling) while the
case moderation opens on it (`signals.evasion_link_found`) waits; the case's decision, whatever
it is, lifts the hold (`release_hold`). No automatic ban. Signals are kept at most
PHARE_EVASION_RETENTION_DAYS (90) from the last time they were seen, a banned account's for
that long after the ban. docs/moderation.md, "Ban-evasion linking".

Which accounts a moderator banned, and when, is moderation's to say: accounts asks it through
`signals.moderator_bans_requested` (accounts imports no app of ours).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import permissions, services, signals, tasks
from accounts.models import EvasionLink, EvasionSignal, NetworkSalt, User
from accounts.pseudonyms import reserved_form
from core.http import client_ip

Kind = EvasionSignal.Kind

# The score rule: a device or an image shared with a banned account is enough alone; a
# similar pseudonym or a shared network is not (a common name, a school's or a carrier's
# network), but both together are.
WEIGHTS = {Kind.DEVICE: 3, Kind.IMAGE: 3, Kind.PSEUDONYM: 2, Kind.NETWORK: 1}
LIKELY = 3

# Network hashes: one random salt per period of this many days (NetworkSalt).
SALT_PERIOD_DAYS = 30
# The device cookie lives as long as browsers allow (400 days): its id says nothing by itself,
# and what the server keeps of it (the hash) expires after the retention period.
DEVICE_COOKIE_MAX_AGE = 400 * 86400
_DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
# Pseudonym stems: shorter ones are too common to mean anything ("alex"); one edit apart
# counts only for stems long enough that one letter is a variation, not another name.
MIN_STEM = 4
MIN_STEM_FOR_EDIT = 6


def enabled() -> bool:
    return bool(settings.PHARE_EVASION_LINKING)


def retention() -> dt.timedelta:
    return dt.timedelta(days=settings.PHARE_EVASION_RETENTION_DAYS)


def _keyed_hash(purpose: str, value: str) -> str:
    # PHARE_EVASION_SECRET, else SECRET_KEY (salted_hmac's default): without the key, a hash
    # cannot be tested against guessed cookies or addresses.
    return salted_hmac(f"phare.evasion.{purpose}", value, secret=settings.PHARE_EVASION_SECRET or None,
                       algorithm="sha256").hexdigest()


# --- The device cookie --------------------------------------------------------------------------

def device_id_of(request: HttpRequest) -> str | None:
    """The device id the browser sent, or None (none, or not one Phare made)."""
    value = request.COOKIES.get(settings.PHARE_DEVICE_COOKIE_NAME, "")
    return value if _DEVICE_ID_RE.fullmatch(value) else None


def remember_device(*, request: HttpRequest, response: HttpResponse, user: User) -> None:
    """At sign-up and sign-in: record the account's device, network and pseudonym signals, and
    give the browser a device id if it has none (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
    if not enabled():
        return
    device_id = device_id_of(request)
    if device_id is None:
        device_id = secrets.token_urlsafe(24)
        response.set_cookie(settings.PHARE_DEVICE_COOKIE_NAME, device_id, max_age=DEVICE_COOKIE_MAX_AGE,
                            httponly=True, samesite="Lax", secure=request.is_secure())
    record_sign_in(user=user, device_id=device_id, ip=client_ip(request))


# --- Recording ----------------------------------------------------------------------------------

def network_prefix(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to; None for no usable address, a
    loopback one (a local proxy: everyone would share it) or an operator's exempt address."""
    if not ip or ip in settings.PHARE_RATE_LIMIT_EXEMPT_IPS:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        return None
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def _period_of(moment: dt.datetime) -> int:
    return int(moment.timestamp() // (SALT_PERIOD_DAYS * 86400))


def salt_periods_in_use(now: dt.datetime) -> range:
    """The salt periods a network hash is made with now: every period that started at most a
    period plus the retention ago. Two sign-ins at most the retention apart share the earlier
    one's period; sign-ins further apart than a period plus the retention share none."""
    return range(_period_of(now - retention()), _period_of(now) + 1)


def _network_salt(period: int) -> str:
    salt, _created = NetworkSalt.objects.get_or_create(period=period, defaults={"salt": secrets.token_hex(32)})
    return salt.salt


def network_hashes(prefix: str, now: dt.datetime) -> list[tuple[int, str]]:
    return [(period, _keyed_hash("network", f"{_network_salt(period)}:{prefix}"))
            for period in salt_periods_in_use(now)]


def pseudonym_stem(pseudonym: str) -> str:
    """What pseudonyms are compared by: the confusable skeleton without digits, accents or
    separators ("Dark_Wolf07" and "darkwоlf" share "darkwolf"); "" when nothing is left."""
    letters = "".join(c for c in unicodedata.normalize("NFKC", pseudonym) if not c.isdigit())
    if not letters.strip():
        return ""
    return "".join(c for c in reserved_form(letters) if not c.isdigit())


def _store(*, user_id: int, rows: list[tuple[str, int, str]], now: dt.datetime) -> None:
    """Insert the signals, or move their `seen_at` to now if the account already had them."""
    EvasionSignal.objects.bulk_create(
        [EvasionSignal(user_id=user_id, kind=kind, period=period, value=value, seen_at=now)
         for kind, period, value in rows],
        update_conflicts=True, unique_fields=["user", "kind", "period", "value"], update_fields=["seen_at"],
    )


def record_sign_in(*, user: User, device_id: str, ip: str | None) -> None:
    """The account's device, network and pseudonym signals at sign-up or sign-in (hashes and a
    stem only); then, off the request path, the comparison with banned accounts."""
    if not enabled():
        return
    now = timezone.now()
    rows = [(Kind.DEVICE, 0, _keyed_hash("device", device_id))]
    prefix = network_prefix(ip)
    if prefix is not None:
        rows += [(Kind.NETWORK, period, value) for period, value in network_hashes(prefix, now)]
    stem = pseudonym_stem(user.pseudonym)
    if stem:
        rows.append((Kind.PSEUDONYM, 0, stem))
    with transaction.atomic():
        _store(user_id=user.pk, rows=rows, now=now)
        _compare_after_commit(user, now)


def record_image(*, user_id: int, pdq: str, quality: int | None) -> None:
    """An image the account uploaded (its PDQ hash; chat.media's scan). A PDQ of a flat,
    featureless image matches too many others to mean anything: below PHARE_PDQ_MIN_QUALITY it
    is not kept."""
    if not enabled() or not pdq or quality is None or quality < settings.PHARE_PDQ_MIN_QUALITY:
        return
    now = timezone.now()
    with transaction.atomic():
        _store(user_id=user_id, rows=[(Kind.IMAGE, 0, pdq.lower())], now=now)
        user = User.objects.filter(pk=user_id).first()
        if user is not None:
            _compare_after_commit(user, now)


def may_be_linked(user: User, now: dt.datetime) -> bool:
    """Whether the account is one the comparison is for: signed up within the retention
    period, neither banned nor deleted, not staff."""
    return (user.date_joined >= now - retention() and not user.banned and user.deleted_at is None
            and not user.is_staff and not permissions.has_role(user, "moderator", "operator"))


def _compare_after_commit(user: User, now: dt.datetime) -> None:
    if may_be_linked(user, now):
        user_id = user.pk
        transaction.on_commit(lambda: tasks.link_to_banned_accounts.delay(user_id), robust=True)


# --- Comparing ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Match:
    """The signals one banned account shares with the account compared."""

    banned_user_id: int
    kinds: frozenset[str]

    @property
    def score(self) -> int:
        return sum(WEIGHTS[Kind(kind)] for kind in self.kinds)

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY


def moderator_bans(*, since: dt.datetime) -> dict[int, dt.datetime]:
    """Accounts a moderator banned at or after `since` (and still banned), with when;
    moderation answers (`signals.moderator_bans_requested`)."""
    bans: dict[int, dt.datetime] = {}
    for _receiver, answer in signals.moderator_bans_requested.send(sender=User, since=since):
        for user_id, banned_at in (answer or {}).items():
            bans[user_id] = max(banned_at, bans.get(user_id, banned_at))
    return bans


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    # After the first difference: a substitution, or one letter more in the longer one.
    return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]


def similar_stems(a: str, b: str) -> bool:
    if min(len(a), len(b)) < MIN_STEM:
        return False
    return a == b or (min(len(a), len(b)) >= MIN_STEM_FOR_EDIT and _edit_distance_at_most_one(a, b))


def pdq_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _comparable_bans(user: User) -> dict[int, dt.datetime]:
    """Bans the account may be evading: made before it signed up, at most the retention period
    before."""
    since = user.date_joined - retention()
    return {user_id: banned_at for user_id, banned_at in moderator_bans(since=since).items()
            if banned_at <= user.date_joined and user_id != user.pk}


def find_matches(user: User, *, now: dt.datetime | None = None) -> list[Match]:
    """Every banned account the account shares signals with, most likely first."""
    now = now or timezone.now()
    if not enabled() or not may_be_linked(user, now):
        return []
    bans = _comparable_bans(user)
    if not bans:
        return []
    # Kept signals only, whether or not the hourly purge has run yet.
    fresh = Q(seen_at__gte=now - retention()) | Q(user_id__in=[u for u, at in bans.items() if at >= now - retention()])
    own = list(EvasionSignal.objects.filter(fresh, user=user))
    theirs = EvasionSignal.objects.filter(fresh, user_id__in=list(bans))
    shared: dict[int, set[str]] = defaultdict(set)
    exact = Q(pk__in=[])
    for signal in own:
        if signal.kind in (Kind.DEVICE, Kind.NETWORK):
            exact |= Q(kind=signal.kind, period=signal.period, value=signal.value)
    for banned_id, kind in theirs.filter(exact).values_list("user_id", "kind").distinct():
        shared[banned_id].add(kind)
    stems = [s.value for s in own if s.kind == Kind.PSEUDONYM]
    images = [s.value for s in own if s.kind == Kind.IMAGE]
    for banned_id, kind, value in theirs.filter(kind__in=[Kind.PSEUDONYM, Kind.IMAGE]).values_list(
            "user_id", "kind", "value"):
        if kind == Kind.PSEUDONYM and any(similar_stems(stem, value) for stem in stems):
            shared[banned_id].add(kind)
        elif kind == Kind.IMAGE and any(pdq_distance(pdq, value) <= settings.PHARE_PDQ_MATCH_DISTANCE
                                        for pdq in images):
            shared[banned_id].add(kind)
    matches = [Match(banned_id, frozenset(kinds)) for banned_id, kinds in shared.items()]
    return sorted(matches, key=lambda m: (-m.score, m.banned_user_id))


def link_to_banned_accounts(*, user_id: int) -> list[EvasionLink]:
    """Compare the account with banned ones (the task at sign-up, sign-in and upload). Each
    likely match not judged before becomes a link; the account is then held (counts as a new
    account), moderation opens or joins a case on it, and both are audited
    (`evasion.link_found`). Idempotent: a pair is linked once, whatever a moderator decided."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            return []
        judged = set(EvasionLink.objects.filter(user=user).values_list("banned_user_id", flat=True))
        matches = [m for m in find_matches(user) if m.likely and m.banned_user_id not in judged]
        if not matches:
            return []
        links = [EvasionLink.objects.create(user=user, banned_user_id=m.banned_user_id, signals=sorted(m.kinds),
                                            score=m.score) for m in matches]
        user.evasion_hold = True
        user.save(update_fields=["evasion_hold"])
        case_ids = [answer for _receiver, answer in signals.evasion_link_found.send(sender=User, user=user, links=links)
                    if answer is not None]
        case_id = case_ids[0] if case_ids else None
        EvasionLink.objects.filter(pk__in=[link.pk for link in links]).update(case_id=case_id)
        for link in links:
            link.case_id = case_id
            services.audit(actor=None, action="evasion.link_found", target=user,
                           data={"banned_user": link.banned_user_id, "signals": link.signals, "score": link.score,
                                 "case": case_id})
        services.bump_sanction_version(user_id=user.pk)
        signals.account_restricted.send(sender=User, user=user)
    return links


def release_hold(*, case_id: int) -> list[EvasionLink]:
    """The case a link opened was decided (or its interim measure lifted on appeal): the
    links are settled and, with no other link still held, the account is no longer held
    (`evasion.hold_lifted`). What the moderator decided about the account itself is the
    decision's. Precondition: inside the decision's transaction."""
    links = list(EvasionLink.objects.select_for_update().filter(case_id=case_id, status=EvasionLink.Status.HELD))
    if not links:
        return []
    now = timezone.now()
    EvasionLink.objects.filter(pk__in=[link.pk for link in links]).update(
        status=EvasionLink.Status.LIFTED, resolved_at=now)
    for user_id in sorted({link.user_id for link in links}):
        if EvasionLink.objects.filter(user_id=user_id, status=EvasionLink.Status.HELD).exists():
            continue
        user = User.objects.select_for_update().get(pk=user_id)
        user.evasion_hold = False
        user.save(update_fields=["evasion_hold"])
        services.audit(actor=None, action="evasion.hold_lifted", target=user,
                       data={"case": case_id, "banned_users": sorted(link.banned_user_id for link in links
                                                                     if link.user_id == user_id)})
        services.bump_sanction_version(user_id=user.pk)
        signals.account_restricted.send(sender=User, user=user)
    return links


def links_for_moderators(*, user_id: int) -> list[dict[str, Any]]:
    """The account's links for the console's case page: the banned account, which kinds of
    signal matched and the score, never their values."""
    rows = EvasionLink.objects.filter(user_id=user_id).select_related("banned_user").order_by("-created_at")
    return [{"banned_user_id": link.banned_user_id, "banned_pseudonym": link.banned_user.pseudonym,
             "signals": [Kind(kind).label for kind in link.signals], "score": link.score, "likely_from": LIKELY,
             "status": link.status, "status_label": link.get_status_display(), "case_id": link.case_id,
             "created_at": link.created_at} for link in rows]


# --- Retention ----------------------------------------------------------------------------------

def purge_signals(*, now: dt.datetime | None = None) -> int:
    """Delete signals not seen within the retention period, except a banned account's for the
    retention period after its ban; and the network salts no longer in use, with every hash
    made with them (whoever's), after which those hashes can be tied to no network. Returns
    how many signals were deleted."""
    now = now or timezone.now()
    first_period = salt_periods_in_use(now).start
    deleted, _ = EvasionSignal.objects.filter(kind=Kind.NETWORK, period__lt=first_period).delete()
    NetworkSalt.objects.filter(period__lt=first_period).delete()
    cutoff = now - retention()
    banned_recently = list(moderator_bans(since=cutoff))
    expired, _ = EvasionSignal.objects.filter(seen_at__lt=cutoff).exclude(user_id__in=banned_recently).delete()
    return deleted + expired
