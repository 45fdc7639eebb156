"""Every rate limit of Phare: one table (`DEFAULT_RATES`), one way to spend it (`take`).

Each limit in the table has a name (also the `reason` of its refusals), a default rate that
operators override in the admin (`RateLimitRule`), what one count belongs to (`key`: an
address, an account, a room, a socket…), where it is spent (`scope`), how it is counted
(`counter`) and what happens when Redis is unreachable (`outage`). Callers name the limit and
the subject; they never pick a mechanism:

- `take(name, subject=…)` spends one token or raises `rate_limited` (`retry_after`, `reason`);
- `check_chains` / `check_chains_async` spend the tokens of many posts in one Redis round
  trip (the posting batch), with the same table and the same answers as `take`;
- `take_for_action` is `take` for the `<action>_ip` / `<action>_account` pairs of the HTTP
  views and their WebSocket twins (`rate_limit` decorates a view with it); `limit_login`
  applies the log-in limits around an attempt.

The three counters:

- BUCKET: a token bucket in Redis, updated by one Lua script (GCRA: one key per bucket holding
  its "theoretical arrival time"), so every ASGI process shares one count and no two processes
  can both take the last token. Redis' own clock is used, so skewed server clocks do not matter.
- WINDOW: django-ratelimit's fixed window (`get_usage`) on the Django cache (Redis in
  production: SET NX + INCR, both atomic); `retry_after` is the end of the window.
- SOCKET: one socket's own count, kept in its process (a socket lives in one process).

When Redis is unreachable each limit follows its `outage` rule (docs/rate-limits.md):
REFUSE (sign-ups, DM requests: the paths that create identities or first contacts answer
`unavailable`) or LOCAL (everything else is counted in each process with the same numbers, so
a limit may be exceeded at most N times over with N processes, and the chat keeps working).

The same module holds the other anti-abuse numbers (`AbusePolicy`: new accounts, join waves,
flooding, the shield), which are not rates. The policy is cached in process and reloaded when
the version key in the shared cache changes (as the contact matrix is).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import math
import threading
import time
import weakref
from dataclasses import dataclass, replace
from typing import Any, Callable, TypeVar

import redis
import redis.asyncio
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

from accounts import permissions, signals
from core.errors import PhareError
from core.http import rate_limit_ip
from accounts.models import AbusePolicy, RateLimitRule
from accounts.pseudonyms import pseudonym_key
from core.versioned import VersionedPolicy

logger = logging.getLogger(__name__)

# What happens to a limit when Redis is unreachable: the action is refused (`unavailable`), or
# counted in this process with the same numbers.
REFUSE = "refuse"
LOCAL = "local"
# How a limit counts (the module's docstring): the shared token bucket, django-ratelimit's fixed
# window, or one socket's own count.
BUCKET = "bucket"
WINDOW = "window"
PER_SOCKET = "socket"
# What one count belongs to (`Rate.key`): an IPv6 address counts by its /64 (`ip_subject`).
KEYS = ("ip", "account", "room", "socket", "ip+pseudonym")


@dataclass(frozen=True)
class Rate:
    """`limit` actions per `period` seconds (`new_account_limit` for accounts younger than the
    abuse policy's age), counted per `key` by `counter`. A BUCKET is a token bucket: `limit` at
    once, then one more every `period / limit` seconds; a WINDOW allows `limit` in each window
    of `period` seconds."""

    limit: int
    period: int
    new_account_limit: int | None = None
    # What to do when Redis is unreachable: REFUSE the action, or count it in this process.
    outage: str = LOCAL
    label: Any = ""
    key: str = "account"
    # Where the limit is spent (the action, whatever the door: HTTP or a socket frame).
    scope: str = ""
    counter: str = BUCKET

    def for_account(self, new_account: bool) -> int:
        if new_account and self.new_account_limit:
            return self.new_account_limit
        return self.limit


# THE table of limits, with their safe defaults; operators override the numbers of any of them
# in the admin (RateLimitRule). docs/rate-limits.md shows it (tests/accounts/test_limits_table.py
# fails when they disagree). Per-IP numbers allow for a school or a mobile carrier's NAT.
DEFAULT_RATES: dict[str, Rate] = {
    # HTTP views (and their socket twins), on django-ratelimit's windows.
    "signup_ip": Rate(20, 3600, outage=REFUSE, key="ip", scope="sign-up", counter=WINDOW,
                      label=_("Sign-ups per IP address")),
    "login_ip": Rate(30, 600, key="ip", scope="log-in", counter=WINDOW,
                     label=_("Log-in attempts per IP address")),
    # Per pseudonym *and* address, so that a stranger's failures never lock the owner out.
    "login_account": Rate(10, 900, key="ip+pseudonym", scope="log-in (failures)", counter=WINDOW,
                          label=_("Failed log-ins per pseudonym from one IP address")),
    "report_ip": Rate(60, 3600, key="ip", scope="report", counter=WINDOW, label=_("Reports per IP address")),
    "report_account": Rate(20, 3600, 10, scope="report", counter=WINDOW, label=_("Reports per account")),
    "appeal_ip": Rate(20, 86400, key="ip", scope="appeal", counter=WINDOW, label=_("Appeals per IP address")),
    "appeal_account": Rate(5, 86400, scope="appeal", counter=WINDOW, label=_("Appeals per account")),
    "room_proposal_ip": Rate(10, 86400, key="ip", scope="room proposal", counter=WINDOW,
                             label=_("Room proposals per IP address")),
    "room_proposal_account": Rate(3, 86400, 1, scope="room proposal", counter=WINDOW,
                                  label=_("Room proposals per account")),
    # Age checks with a wallet (openid4vp): a presentation request is a nonce and a cache entry,
    # a wallet's answer a signature and certificate chain check. Refused while Redis is away:
    # nothing else bounds the verifier's work, and the person can try again a moment later.
    "age_wallet_ip": Rate(120, 3600, outage=REFUSE, key="ip", scope="wallet age check", counter=WINDOW,
                          label=_("Wallet age-check requests and wallet answers per IP address")),
    "age_wallet_account": Rate(10, 3600, outage=REFUSE, scope="wallet age check", counter=WINDOW,
                               label=_("Wallet age-check requests per account")),
    # Counted once an upload passed its checks (chat.media.accept_upload): a refused file spends nothing.
    "uploads_per_hour": Rate(30, 3600, scope="upload", counter=WINDOW, label=_("Image uploads per account")),
    # Only for reporters whose reports in the last 30 days were mostly unfounded
    # (moderation.services): slowed down, never silenced.
    "unfounded_reports": Rate(1, 600, scope="report", label=_("Reports per account with mostly unfounded reports")),
    # Chat actions, on the shared token bucket.
    "room_message_account": Rate(10, 10, 5, scope="room message", label=_("Room messages per account")),
    "room_message_room": Rate(300, 10, key="room", scope="room message",
                              label=_("Messages per room, all authors together")),
    "dm_message_account": Rate(20, 10, 10, scope="direct message", label=_("Direct messages per account")),
    "dm_request_hour": Rate(5, 3600, outage=REFUSE, scope="first contact",
                            label=_("New DM requests per sender per hour")),
    "dm_request_day": Rate(20, 86400, outage=REFUSE, scope="first contact",
                           label=_("New DM requests per sender per day")),
    # Asking someone of another band for a trusted connection is a first contact too (refused
    # while Redis is away, for the same reason); spent once the proposal passed its checks.
    "trusted_proposal_account": Rate(5, 86400, 2, outage=REFUSE, scope="trusted connection",
                                     label=_("Trusted-connection proposals per account")),
    "room_join_account": Rate(10, 60, 5, scope="room join", label=_("Room joins per account")),
    "connect_ip": Rate(120, 60, key="ip", scope="connection", label=_("WebSocket connection attempts per IP address")),
    # Any frame on one socket (history, lists…): a socket lives in one process, so its count does too.
    "ws_frames_socket": Rate(60, 10, key="socket", scope="socket frame", counter=PER_SOCKET,
                             label=_("WebSocket frames per socket")),
}

def rate_choices() -> list[tuple[str, str]]:
    """For the admin: each limit with its default, so operators see what they override."""
    return [
        (name, f"{name} — {rate.label} ({rate.limit} / {rate.period} s)")
        for name, rate in DEFAULT_RATES.items()
    ]


# --- Policy snapshot --------------------------------------------------------------------------

POLICY_VERSION_KEY = "policy:throttle:version"


@dataclass(frozen=True)
class Policy:
    rates: dict[str, Rate]
    new_account_hours: int
    first_contact_ban_scope: str
    join_wave_accounts: int
    join_wave_window_seconds: int
    flood_refusals: int
    flood_window_seconds: int
    shield_slow_mode_seconds: int

    def rate(self, name: str) -> Rate:
        return self.rates[name]


def _load_policy() -> Policy:
    rates = dict(DEFAULT_RATES)
    for rule in RateLimitRule.objects.all():
        if rule.name in rates:
            rates[rule.name] = replace(
                rates[rule.name], limit=rule.limit, period=rule.period_seconds,
                new_account_limit=rule.new_account_limit,
            )
    row = AbusePolicy.objects.filter(pk=1).first() or AbusePolicy(pk=1)
    return Policy(
        rates=rates,
        new_account_hours=row.new_account_hours,
        first_contact_ban_scope=row.first_contact_ban_scope,
        join_wave_accounts=row.join_wave_accounts,
        join_wave_window_seconds=row.join_wave_window_seconds,
        flood_refusals=row.flood_refusals,
        flood_window_seconds=row.flood_window_seconds,
        shield_slow_mode_seconds=row.shield_slow_mode_seconds,
    )


_policy: VersionedPolicy[Policy] = VersionedPolicy(POLICY_VERSION_KEY, lambda version: _load_policy())


def current_policy() -> Policy:
    """The operators' numbers; at most a few seconds stale in a process after a change."""
    return _policy.get()


def policy_fresh_for(seconds: float) -> bool:
    return _policy.fresh_for(seconds)


def bump_policy_version() -> None:
    """Make every process reload the policy (call after a change to the rows)."""
    _policy.bump()


def record_policy_change(
    *, actor: Any, action: str, target_type: str, target_id: str, data: dict[str, Any]
) -> None:
    """Audit a change to anti-abuse policy or a room's protection, and reload the policy.

    accounts does not import moderation: the audit log is moderation's receiver of
    `accounts.signals.audit_requested`, sent with these keyword arguments.
    """
    bump_policy_version()
    signals.request_audit(actor=actor, action=action, target_type=target_type, target_id=target_id, data=data)


def is_new_account(user: Any, *, policy: Policy | None = None) -> bool:
    """Younger than the policy's age, or held as one: linked to a banned account until a
    moderator decides (accounts.evasion). Staff accounts are never "new"."""
    if user.is_staff or permissions.has_role(user, "moderator", "operator"):
        return False
    if user.evasion_hold:
        return True
    policy = policy or current_policy()
    if policy.new_account_hours <= 0:
        return False
    age = timezone.now() - user.date_joined
    return age.total_seconds() < policy.new_account_hours * 3600


def new_account_wait(user: Any, *, policy: Policy | None = None) -> int:
    """Seconds until `user` stops being a new account (0 if it is not one). A held account's
    end is a moderator's decision: the hint is then a whole new-account period."""
    policy = policy or current_policy()
    if not is_new_account(user, policy=policy):
        return 0
    age = (timezone.now() - user.date_joined).total_seconds()
    wait = math.ceil(policy.new_account_hours * 3600 - age)
    if user.evasion_hold:
        wait = max(wait, policy.new_account_hours * 3600)
    return max(1, wait)


# --- Spending a limit: the one way in -----------------------------------------------------------

def take(name: str, *, subject: str | int, new_account: bool = False, policy: Policy | None = None,
         dry_run: bool = False) -> None:
    """Spend one of `subject`'s tokens of the limit `name` (its tighter new-account limit when
    `new_account`), or refuse with `rate_limited` (`retry_after`, `reason` = `name`).

    The limit's counter decides where it is counted, its outage rule what happens when Redis
    is unreachable: REFUSE raises `unavailable` (`reason: "rate_limiter_unavailable"`), LOCAL
    counts in this process. `policy`: the numbers to use (a socket keeps the one it opened
    with, so that a flood costs no policy check). `dry_run`: refuse when over, spend nothing
    (WINDOW limits: log-in failures are counted after the attempt)."""
    policy = policy or current_policy()
    rate = policy.rate(name)
    if rate.counter == WINDOW:
        wait = _window(name, str(subject), rate, limit=rate.for_account(new_account), increment=not dry_run)
    else:
        if dry_run:
            raise ValueError(f"{name}: only a WINDOW limit can be checked without spending")
        key, rate, limit = Bucket(name, str(subject), new_account).resolve(policy)
        if rate.counter == PER_SOCKET:
            decision = _local.hit(key, limit=limit, period=rate.period)
        else:
            decision = _take(key, limit=limit, period=rate.period, outage=rate.outage)
        wait = decision.retry_after
    if wait:
        raise PhareError("rate_limited", retry_after=wait, extra={"reason": name})


def take_for_action(action: str, *, user: Any, ip: str | None) -> None:
    """The limits of an action that has both: `<action>_ip`, then `<action>_account` when
    `user` is signed in. The API's views (`rate_limit`) and the same action sent as a
    WebSocket frame count together (a report over the socket counts with those sent to the
    API), so neither door is a way around the other's limit.

    `ip` None (a socket server that gave no address, as in tests): the account's count alone.
    An operator's exempt address (`is_exempt_ip`) skips the per-IP limit only."""
    if ip and not is_exempt_ip(ip):
        take(f"{action}_ip", subject=ip_subject(ip))
    if user is not None and user.is_authenticated:
        take(f"{action}_account", subject=user.pk, new_account=is_new_account(user))


def ip_subject(ip: str | None) -> str:
    """What an address counts as: itself, an IPv6 address by its /64 (one household's or one
    phone's share, as django-ratelimit counts). None or a malformed address shares one count."""
    if not ip:
        return "0.0.0.0"  # nosec B104: a bucket name, nothing listens on it
    try:
        return str(ipaddress.ip_network(f"{ip}/{64 if ':' in ip else 32}", strict=False).network_address)
    except ValueError:
        return "0.0.0.0"  # nosec B104


def is_exempt_ip(ip: str | None) -> bool:
    """Operators' trusted addresses (PHARE_RATE_LIMIT_EXEMPT_IPS: a monitoring probe, a load
    test host) skip the per-IP limits; per-account limits still apply to them."""
    return bool(ip) and ip in settings.PHARE_RATE_LIMIT_EXEMPT_IPS


def _unavailable() -> PhareError:
    return PhareError("unavailable", retry_after=settings.PHARE_RATE_LIMIT_RETRY_SECONDS,
                      extra={"reason": "rate_limiter_unavailable"})


# --- The token bucket -------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds, 0 when allowed
    remaining: int
    backend: str  # "redis" or "local"


class LimiterUnavailable(Exception):
    """Redis did not answer; the caller applies the limit's outage rule."""


# GCRA: the key holds the time (ms) at which the bucket would be full again. An action is
# allowed if, after adding its cost, that time is no further than `capacity` intervals ahead.
# One script, so the read and the write are one atomic step for every process.
_GCRA_LUA = """
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local new_tat = tat + interval * cost
local allow_at = new_tat - interval * capacity
if allow_at > now then
  return {0, allow_at - now, 0}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + 1000)
return {1, 0, math.floor((now - allow_at) / interval)}
"""


def _interval_ms(limit: int, period: float) -> int:
    return max(1, round(period * 1000 / max(1, limit)))


class RedisLimiter:
    """The shared bucket. Thread-safe (redis-py's pool); one round trip per check."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(
            url,
            # A dead Redis must cost a message milliseconds, not the default seconds.
            socket_timeout=settings.PHARE_RATE_LIMIT_REDIS_TIMEOUT,
            socket_connect_timeout=settings.PHARE_RATE_LIMIT_REDIS_TIMEOUT,
            max_connections=settings.REDIS_MAX_CONNECTIONS,
        )
        self.script = self.client.register_script(_GCRA_LUA)
        self.chains_script = self.client.register_script(_GCRA_CHAINS_LUA)

    def hit(self, key: str, *, limit: int, period: float, cost: int = 1) -> Decision:
        try:
            allowed, wait_ms, remaining = self.script(
                keys=[key], args=[_interval_ms(limit, period), limit, cost]
            )
        except (redis.RedisError, OSError) as exc:
            raise LimiterUnavailable(str(exc)) from exc
        return Decision(
            allowed=bool(allowed), retry_after=math.ceil(int(wait_ms) / 1000),
            remaining=int(remaining), backend="redis",
        )


class LocalLimiter:
    """The same bucket in this process only: the embedded default, the outage fallback, and
    the PER_SOCKET limits (one key per socket)."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}
        self._next_sweep = 0.0

    def hit(self, key: str, *, limit: int, period: float, cost: int = 1,
            dry_run: bool = False) -> Decision:
        """`dry_run`: would `cost` tokens be granted? Nothing is taken."""
        interval = _interval_ms(limit, period) / 1000
        now = time.monotonic()
        with self._lock:
            if len(self._tat) > self.MAX_KEYS and now >= self._next_sweep:
                # Buckets full again are forgotten; at most once a second, so that many live
                # keys do not make every action walk them all.
                self._tat = {k: v for k, v in self._tat.items() if v > now}
                self._next_sweep = now + 1.0
            tat = max(self._tat.get(key, now), now)
            new_tat = tat + interval * cost
            allow_at = new_tat - interval * limit
            if allow_at > now + 1e-9:
                return Decision(False, max(1, math.ceil(allow_at - now)), 0, "local")
            if not dry_run:
                self._tat[key] = new_tat
            return Decision(True, 0, int((now - allow_at) / interval), "local")

    def clear(self) -> None:
        with self._lock:
            self._tat.clear()


_local = LocalLimiter()
_redis_lock = threading.Lock()
_redis_limiters: dict[str, RedisLimiter] = {}
# After a failure, skip Redis for a moment so that an outage does not cost every action a
# connection timeout. Process-wide on purpose: it describes Redis, not a connection.
_redis_down_until = {"t": 0.0}


def _redis_limiter() -> RedisLimiter | None:
    url = settings.PHARE_RATE_LIMIT_REDIS_URL
    if not url:
        return None
    with _redis_lock:
        limiter = _redis_limiters.get(url)
        if limiter is None:
            limiter = _redis_limiters[url] = RedisLimiter(url)
        return limiter


def reset_local_state() -> None:
    """Forget per-process buckets and the outage memory (tests; a process restart does it too)."""
    _local.clear()
    _local_recent.clear()
    _redis_down_until["t"] = 0.0
    _policy.forget()


def _take(key: str, *, limit: int, period: float, outage: str, cost: int = 1) -> Decision:
    limiter = _redis_limiter()
    if limiter is not None:
        if time.monotonic() >= _redis_down_until["t"]:
            try:
                return limiter.hit(key, limit=limit, period=period, cost=cost)
            except LimiterUnavailable:
                _note_outage(key)
        if outage == REFUSE:
            raise _unavailable()
    return _local.hit(key, limit=limit, period=period, cost=cost)


def _note_outage(what: str) -> None:
    _redis_down_until["t"] = time.monotonic() + settings.PHARE_RATE_LIMIT_RETRY_SECONDS
    logger.warning("rate limiter: Redis unreachable, applying the outage rule (%s)", what)


@dataclass(frozen=True)
class Bucket:
    """One token bucket: the limit `name` for `subject`, tighter for a new account."""

    name: str
    subject: str
    new_account: bool = False

    def resolve(self, policy: Policy) -> tuple[str, Rate, int]:
        """The Redis key, the rate and the capacity that apply under `policy`."""
        rate = policy.rate(self.name)
        tighter = self.new_account and rate.new_account_limit
        key = f"phare:rl:{self.name}:{'n:' if tighter else ''}{self.subject}"
        return key, rate, rate.for_account(self.new_account)


def hit(name: str, *, subject: str, new_account: bool = False, cost: int = 1) -> Decision:
    """Take `cost` tokens from the BUCKET limit `name` of `subject` and tell what happened
    (`take` is the refusing form). Raises `unavailable` when Redis is unreachable and the
    limit's outage rule is REFUSE."""
    key, rate, limit = Bucket(name, subject, new_account).resolve(current_policy())
    return _take(key, limit=limit, period=rate.period, outage=rate.outage, cost=cost)


# The same GCRA over many buckets in one round trip. The buckets come in chains (for one
# message: the author's, then the room's); a chain stops at its first refusal, so a refused
# action takes nothing from the buckets after it, as with one `take` after another. Buckets
# are taken in order, so a key met twice (two messages to one room) counts twice.
# KEYS: the buckets. ARGV[1]: per bucket "interval capacity first" (first: 1 if it starts a
# chain), space-separated, in the order of KEYS.
# Answer per bucket: allowed (1), refused (0) or skipped (-1), then the wait in ms.
_GCRA_CHAINS_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
local refused = false
local i = 0
for interval, capacity, first in string.gmatch(ARGV[1], '(%d+) (%d+) (%d)') do
  i = i + 1
  interval = tonumber(interval)
  capacity = tonumber(capacity)
  if first == '1' then refused = false end
  if refused then
    out[#out + 1] = -1
    out[#out + 1] = 0
  else
    local tat = tonumber(redis.call('GET', KEYS[i]))
    if not tat or tat < now then tat = now end
    local new_tat = tat + interval
    local allow_at = new_tat - interval * capacity
    if allow_at > now then
      refused = true
      out[#out + 1] = 0
      out[#out + 1] = allow_at - now
    else
      redis.call('SET', KEYS[i], new_tat, 'PX', new_tat - now + 1000)
      out[#out + 1] = 1
      out[#out + 1] = 0
    end
  end
end
return out
"""


def _refusal(name: str, decision: Decision) -> PhareError | None:
    if decision.allowed:
        return None
    return PhareError("rate_limited", retry_after=decision.retry_after, extra={"reason": name})


def _check_chains_one_by_one(chains: list[list[Bucket]]) -> list[PhareError | None]:
    """Redis unreachable (or not configured): `take` bucket by bucket, each limit by its
    outage rule."""
    answers: list[PhareError | None] = []
    for chain in chains:
        answer = None
        for bucket in chain:
            try:
                take(bucket.name, subject=bucket.subject, new_account=bucket.new_account)
            except PhareError as error:
                answer = error
                break
        answers.append(answer)
    return answers


def check_chains(chains: list[list[Bucket]]) -> list[PhareError | None]:
    """`take` for many actions at once: per chain, None or the refusal of its first bucket
    over its limit. One Redis round trip whatever the number of buckets (group posting)."""
    limiter = _redis_limiter()
    if limiter is None or time.monotonic() < _redis_down_until["t"] or not any(chains):
        return _check_chains_one_by_one(chains)
    keys, args = _chain_script_input(chains)
    try:
        flat = limiter.chains_script(keys=keys, args=args)
    except (redis.RedisError, OSError):
        _note_outage(f"a batch of {len(keys)} buckets")
        return _check_chains_one_by_one(chains)
    return _chain_answers(chains, flat)


async def check_chains_async(chains: list[list[Bucket]]) -> list[PhareError | None]:
    """`check_chains` for the event loop: the same script through redis-py's asyncio client
    (one per event loop), so that the loop goes on while Redis answers. Without Redis, or
    during an outage, the buckets are counted in this process as `check_chains` does; that
    path does no I/O."""
    url = settings.PHARE_RATE_LIMIT_REDIS_URL
    if not url or time.monotonic() < _redis_down_until["t"] or not any(chains):
        return _check_chains_one_by_one(chains)
    keys, args = _chain_script_input(chains)
    try:
        flat = await _loop_chains_script(url)(keys=keys, args=args)
    except (redis.RedisError, OSError):
        _note_outage(f"a batch of {len(keys)} buckets")
        return _check_chains_one_by_one(chains)
    return _chain_answers(chains, flat)


_loop_scripts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()


def _loop_chains_script(url: str) -> Any:
    """The chains script on this event loop's asyncio Redis client (clients are bound to the
    loop that created them; tests run one loop per test)."""
    scripts = _loop_scripts.setdefault(asyncio.get_running_loop(), {})
    script = scripts.get(url)
    if script is None:
        client = redis.asyncio.Redis.from_url(
            url,
            socket_timeout=settings.PHARE_RATE_LIMIT_REDIS_TIMEOUT,
            socket_connect_timeout=settings.PHARE_RATE_LIMIT_REDIS_TIMEOUT,
            max_connections=settings.REDIS_MAX_CONNECTIONS,
        )
        script = scripts[url] = client.register_script(_GCRA_CHAINS_LUA)
    return script


def _chain_script_input(chains: list[list[Bucket]]) -> tuple[list[str], list[str]]:
    """The keys, and one argument: "interval capacity first" per bucket, space-separated.
    One string rather than three integers per bucket: redis-py encodes every argument in
    Python, which cost more than the script (docs/benchmarks.md)."""
    policy = current_policy()
    keys: list[str] = []
    triples: list[str] = []
    for chain in chains:
        for position, bucket in enumerate(chain):
            key, rate, limit = bucket.resolve(policy)
            keys.append(key)
            triples.append(f"{_interval_ms(limit, rate.period)} {limit} {1 if position == 0 else 0}")
    return keys, [" ".join(triples)]


def _chain_answers(chains: list[list[Bucket]], flat: list[Any]) -> list[PhareError | None]:
    answers: list[PhareError | None] = []
    index = 0
    for chain in chains:
        answer = None
        for bucket in chain:
            allowed, wait_ms = int(flat[index * 2]), int(flat[index * 2 + 1])
            index += 1
            if allowed == 0 and answer is None:
                answer = _refusal(bucket.name, Decision(False, max(1, math.ceil(wait_ms / 1000)), 0, "redis"))
        answers.append(answer)
    return answers


# --- Join waves: a detector on the same Redis, not a limit -------------------------------------

# Distinct members seen under a key within the last `window` ms: a sliding log in a sorted
# set (join waves: how many new accounts joined this room lately). Nothing is refused here:
# chat.protection locks a room down when the count reaches the abuse policy's threshold.
_RECENT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""
_local_recent: dict[str, dict[str, float]] = {}


def count_recent(kind: str, *, subject: str | int, member: str | int, window: int) -> int:
    """Record `member` under `kind`/`subject`; return how many distinct members were recorded
    within the last `window` seconds, across processes (per process while Redis is down)."""
    key = f"phare:recent:{kind}:{subject}"
    limiter = _redis_limiter()
    if limiter is not None and time.monotonic() >= _redis_down_until["t"]:
        try:
            return int(limiter.client.eval(_RECENT_LUA, 1, key, window * 1000, str(member)))
        except (redis.RedisError, OSError):
            _note_outage(key)
    now = time.monotonic()
    with _local._lock:
        seen = {m: t for m, t in _local_recent.get(key, {}).items() if now - t < window}
        seen[str(member)] = now
        _local_recent[key] = seen
        return len(seen)


def forget_recent(kind: str, *, subject: str | int) -> None:
    key = f"phare:recent:{kind}:{subject}"
    with _local._lock:
        _local_recent.pop(key, None)
    limiter = _redis_limiter()
    if limiter is not None:
        try:
            limiter.client.delete(key)
        except (redis.RedisError, OSError):
            _note_outage(key)


# --- Sustained flooding on one socket: what refusals lead to, not a limit ----------------------

class FloodMeter:
    """Refusals on one socket within the policy's window. A socket lives in one process, so
    this count needs no sharing; the limits it counts are shared. Not a limit of the table:
    it refuses nothing, it closes a socket that keeps being refused (4008)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.closed = False

    def refused(self, *, policy: Policy | None = None) -> bool:
        """Record a refusal; True when the socket should be closed for flooding."""
        policy = policy or current_policy()
        now = time.monotonic()
        self.times = [t for t in self.times if now - t < policy.flood_window_seconds]
        self.times.append(now)
        return len(self.times) >= policy.flood_refusals


# --- HTTP views: django-ratelimit's fixed windows ---------------------------------------------

def _window(name: str, subject: str, rate: Rate, *, limit: int, increment: bool) -> int:
    """Seconds to wait (0: within the limit) on django-ratelimit's counter of `subject` for
    the WINDOW limit `name`, counting this action when `increment`."""
    # get_usage takes a request for its own key functions; ours is computed by the caller.
    request = HttpRequest()
    try:
        usage = get_usage(request, group=f"phare:{name}", key=lambda group, request: subject,
                          rate=(limit, rate.period), increment=increment)
    except (redis.RedisError, OSError):
        if rate.outage == REFUSE:
            raise _unavailable() from None
        logger.warning("rate limiter: cache unreachable, counting %s in this process", name)
        decision = _local.hit(f"http:{name}:{subject}", limit=limit, period=rate.period,
                              dry_run=not increment)
        return decision.retry_after
    if usage is None:  # RATELIMIT_ENABLE is off
        return 0
    over = usage["should_limit"] if increment else usage["count"] >= usage["limit"]
    return max(1, int(usage["time_left"])) if over else 0


def rate_limit(action: str, *, account: str | None = "user") -> Callable:
    """Limit an HTTP view by IP (`<action>_ip`) and by account (`<action>_account`).

    `account="user"` keys on the signed-in account, None on IP only (sign-up). Log-ins have
    their own rule (`limit_login`). Goes under `api_view`, which turns the refusal into a
    429 with Retry-After. A request without a usable address (a Unix socket) counts in one
    shared per-IP bucket.
    """
    by_account = {"user": True, None: False}[account]

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            take_for_action(action, user=request.user if by_account else None, ip=rate_limit_ip(request))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- Log-in: one limiter for the API's and the admin's ---------------------------------------

T = TypeVar("T")


def limit_login(request: HttpRequest, *, pseudonym: str, attempt: Callable[[], T],
                failed: Callable[[T], bool]) -> T:
    """Run the log-in `attempt` for `pseudonym` under the log-in limits, or refuse it with
    `rate_limited` (`reason`: the limit's name) before trying:

    - `login_ip`: every attempt from one address;
    - `login_account`: failed attempts for one pseudonym *from one address* (the pseudonym
      compared by skeleton, so look-alike spellings count together). A stranger's failures
      never lock the owner out from another address; there is deliberately no per-account
      ceiling that one person could trip (docs/rate-limits.md).

    A failure is a PhareError raised by `attempt` or an answer for which `failed` is true
    (the admin's login page answers 200 with the form's error). Used by
    `accounts.views.login_view` and the admin's login (`accounts.admin_site.PhareAdminSite`).
    """
    ip = rate_limit_ip(request)
    if not is_exempt_ip(ip):
        take("login_ip", subject=ip_subject(ip))
    name = pseudonym.strip()
    if not name:
        return attempt()
    pair = f"{ip_subject(ip)} {pseudonym_key(name)}"
    take("login_account", subject=pair, dry_run=True)

    def count_failure() -> None:
        # The failure's answer is the attempt's own (401), not a refusal: it is only counted.
        try:
            take("login_account", subject=pair)
        except PhareError as error:
            if error.code != "rate_limited":
                raise

    try:
        result = attempt()
    except PhareError:
        count_failure()
        raise
    if failed(result):
        count_failure()
    return result
