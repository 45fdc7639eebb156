"""Prepare Phare (S2) for the fan-out benchmark: accounts, rooms and signed-in sessions.

Reads a JSON spec on standard input, prints JSON on standard output. Accounts are created in
bulk with an unusable password and sessions are written straight to the session store: signing
up 1,100 people through the API would spend minutes hashing passwords, which is not what this
benchmark measures. Everything else (the socket's authentication, membership, screening,
storage, fan-out) goes through Phare's real code paths. Idempotent: re-running reuses rows.

    {"adults": 1000, "minors": 100, "rooms": [{"slug": "r10-0", "audience": "adults"}, ...]}
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.pseudonyms import pseudonym_key  # noqa: E402
from chat import services as chat_services  # noqa: E402
from chat.models import Conversation, Message, Room  # noqa: E402


def ensure_users(prefix: str, count: int, band: str) -> list[User]:
    names = [f"{prefix}{i}" for i in range(count)]
    existing = {u.pseudonym: u for u in User.objects.filter(pseudonym__in=names)}
    missing = []
    band_until = None if band == "18+" else timezone.localdate() + dt.timedelta(days=365)
    for name in names:
        if name not in existing:
            user = User(pseudonym=name, pseudonym_key=pseudonym_key(name), age_band=band, band_until=band_until,
                        dm_policy="anyone_in_band")
            user.set_unusable_password()
            missing.append(user)
    User.objects.bulk_create(missing, batch_size=500)
    users = {u.pseudonym: u for u in User.objects.filter(pseudonym__in=names)}
    return [users[name] for name in names]


def open_the_limits(room_slugs: list[str]) -> None:
    """The operator's side of a load test: the rate limits and the join-wave lockdown stay
    on (their checks run on every message, and their cost is measured) but with numbers the
    benchmark's deliberate flood does not reach. Accounts are "established" (joined 60 days
    ago) so new-account rules do not apply. Everything else keeps Phare's defaults."""
    try:
        from accounts import throttling
        from accounts.models import AbusePolicy, RateLimitRule
    except ImportError:  # a Phare without the throttling policy
        return
    for name in ("room_message_account", "room_message_room", "dm_message_account", "dm_request_hour",
                 "dm_request_day", "room_join_account", "connect_ip", "ws_frames_socket"):
        RateLimitRule.objects.update_or_create(name=name, defaults={"limit": 1_000_000, "period_seconds": 1,
                                                                    "new_account_limit": None})
    policy = AbusePolicy.objects.filter(pk=1).first() or AbusePolicy(pk=1)
    policy.join_wave_accounts = 1_000_000
    policy.save()
    if any(f.name == "established_only" for f in Room._meta.get_fields()):
        Room.objects.filter(slug__in=room_slugs).update(established_only=False)
    throttling.bump_policy_version()


def session_cookie(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def main() -> None:
    spec = json.load(sys.stdin)
    adults = ensure_users("bench_a", spec["adults"], "18+")
    minors = ensure_users("bench_m", spec["minors"], "13-15")
    for room in spec["rooms"]:
        if not Room.objects.filter(slug=room["slug"]).exists():
            chat_services.create_room(slug=room["slug"], name=room["slug"], audience=room["audience"])
    # Every run starts from the same state: empty bench rooms (join answers carry history) and
    # no conversation between bench accounts (a second dm.open would answer `conflict`).
    slugs = [room["slug"] for room in spec["rooms"]]
    Message.objects.filter(room__slug__in=slugs).delete()
    Conversation.objects.filter(initiator__pseudonym__startswith="bench_",
                                recipient__pseudonym__startswith="bench_").delete()
    User.objects.filter(pseudonym__startswith="bench_").update(date_joined=timezone.now() - dt.timedelta(days=60))
    open_the_limits([room["slug"] for room in spec["rooms"]])
    out = {
        "adults": [{"uid": str(u.pk), "cookie": session_cookie(u)} for u in adults],
        "minors": [{"uid": str(u.pk), "cookie": session_cookie(u)} for u in minors],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
