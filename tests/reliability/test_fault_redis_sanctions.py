"""Sanctions never wait for Redis: with Redis killed (SIGKILL), a ban, a mute and a block are
decided through the services (a management shell, as the console's write path would) while
people keep chatting on two server processes. Every one takes effect on the open sockets within
5 s, while Redis is still down: the banned person's socket is closed and their posts are no
longer acknowledged, the muted person's posts are refused `muted`; and once Redis is back and
fan-out resumes, nothing the blocked person posts reaches the blocker's open socket.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest

from tests.integration.conftest import HttpUser, manage
from tests.reliability import figures
from tests.reliability.chatters import ChatterLog, adult_signup, chatter, run_through_fault
from tests.reliability.faults import phare_env, prepare_database

pytestmark = pytest.mark.integration

# What "takes effect" may take (docs/reliability.md: the watcher's 2 s and a query).
EFFECT_BUDGET = 5.0
# Redis stays down at least this long after the decisions, so that their effect is seen while
# it is down.
DOWN_AFTER_DECISIONS = EFFECT_BUDGET + 1
RECOVERY_BUDGET = 6.0

DECIDE = """
import datetime as dt, json, time
from django.utils import timezone
from accounts import controls
from accounts.models import AgeBand, User
from moderation.services.decide import decide_case
from moderation.services.report import file_report

def account(name, **fields):
    return User.objects.create_user(name, "correct horse battery", age_band=AgeBand.ADULT,
                                    dm_policy="anyone_in_band",
                                    date_joined=timezone.now() - dt.timedelta(days=60), **fields)

reporter, moderator = account("rep_{tag}"), account("mod_{tag}", is_moderator=True)
decided = {{}}
for action, user_id in (("ban", {banned}), ("mute", {muted})):
    report = file_report(reporter=reporter, target={{"user": str(user_id)}}, category="harassment",
                         details="", good_faith=True)
    decide_case(moderator=moderator, case_id=str(report.case_id), action=action, reason_code="harassment")
    decided[action] = time.time()
controls.block_user(user=User.objects.get(pk={blocker}), target_id="{blocked}")
decided["block"] = time.time()
print(json.dumps(decided))
"""


def acked_after(log: ChatterLog, moment: float) -> list[str]:
    """Message ids of `log`'s posts acknowledged after `moment` (monotonic)."""
    return [mid for mid, at in zip(log.acked.values(), log.ack_times) if at > moment]


def first_after(times: list[float], moment: float) -> float | None:
    later = [t - moment for t in times if t >= moment]
    return min(later) if later else None


@pytest.mark.timeout(300)
def test_sanctions_decided_while_redis_is_down_reach_open_sockets_within_5_seconds(
        private_redis, shared_pg_database, processes):
    env = phare_env(database_url=shared_pg_database, redis_url=private_redis.url)
    room = "lobby"
    prepare_database(env, room)
    servers = [processes["server"](env) for _ in range(2)]
    ws_urls = [s.ws for s in servers]
    tag = uuid.uuid4().hex[:4]
    roles = ("banned", "muted", "blocker", "blocked", "witness")
    users = {role: HttpUser(servers[i % 2].http) for i, role in enumerate(roles)}
    ids = {role: adult_signup(user, f"s{tag}{role}") for role, user in users.items()}
    logs = {role: ChatterLog(f"s{tag}{role}") for role in roles}
    timeline: dict[str, float] = {}
    decided: dict[str, float] = {}  # action → monotonic time its transaction had committed

    def clients(stop: asyncio.Event) -> list:
        # No links (blocked_every=0): what is measured here is sanctions, not the gate.
        return [chatter(users[role], ws_urls[i % 2:] + ws_urls[:i % 2], room, stop, logs[role], interval=0.25,
                        blocked_every=0, drain=1.0)
                for i, role in enumerate(roles)]

    async def decide_while_redis_is_down() -> None:
        timeline["killed"] = time.monotonic()
        private_redis.kill()
        script = DECIDE.format(tag=tag, banned=ids["banned"], muted=ids["muted"], blocker=ids["blocker"],
                               blocked=ids["blocked"])
        out = await asyncio.to_thread(manage, env, "shell", "-c", script)
        # The shell's wall clock, in this process's monotonic time.
        offset = time.time() - time.monotonic()
        decided.update({action: at - offset for action, at in json.loads(out.strip().splitlines()[-1]).items()})
        await asyncio.sleep(DOWN_AFTER_DECISIONS)
        private_redis.start()
        timeline["restarted"] = time.monotonic()

    asyncio.run(run_through_fault(clients, decide_while_redis_is_down, recovery_budget=RECOVERY_BUDGET))

    banned, muted, blocker, blocked, witness = (logs[role] for role in roles)
    ban_closed_after = first_after(banned.disconnects, decided["ban"])
    muted_refused_after = first_after([t for t, code in muted.refused if code == "muted"], decided["mute"])
    banned_acked_late = acked_after(banned, decided["ban"] + EFFECT_BUDGET)
    muted_acked_late = acked_after(muted, decided["mute"] + EFFECT_BUDGET)
    # Once fan-out is back, the blocked person's messages reach the witness but not the blocker.
    blocked_since = acked_after(blocked, max(decided["block"] + EFFECT_BUDGET, timeline["restarted"]))
    reached_blocker = [mid for mid in blocked_since if blocker.received[mid]]
    reached_witness = [mid for mid in blocked_since if witness.received[mid]]
    applied = sum((ban_closed_after is not None and ban_closed_after <= EFFECT_BUDGET and not banned_acked_late,
                   muted_refused_after is not None and muted_refused_after <= EFFECT_BUDGET and not muted_acked_late,
                   bool(reached_witness) and not reached_blocker))
    outage = timeline["restarted"] - timeline["killed"]
    figures.record(
        f"Redis killed (SIGKILL) for {outage:.0f} s, restarted empty; a ban, a mute and a block decided meanwhile",
        recovery_seconds=None, sent=sum(len(log.sent) for log in logs.values()),
        acknowledged=sum(len(log.acked) for log in logs.values()), lost=0, duplicates=0,
        detail=(f"sanctions in effect within {EFFECT_BUDGET:.0f} s: {applied} of 3, while Redis was down; "
                f"banned socket closed {ban_closed_after:.1f} s after the ban, muted posts refused "
                f"{muted_refused_after:.1f} s after the mute; after the restart {len(reached_blocker)} of "
                f"{len(blocked_since)} of the blocked person's messages reached the blocker "
                f"({len(reached_witness)} reached a witness)"),
    )

    assert banned.acked and muted.acked and blocked.acked, "everyone chatted before the decisions"
    assert ban_closed_after is not None and ban_closed_after <= EFFECT_BUDGET, ban_closed_after
    assert decided["ban"] + ban_closed_after < timeline["restarted"], "the ban took effect while Redis was down"
    assert banned_acked_late == [], banned_acked_late
    assert muted_refused_after is not None and muted_refused_after <= EFFECT_BUDGET, muted.refused
    assert decided["mute"] + muted_refused_after < timeline["restarted"]
    assert muted_acked_late == [], muted_acked_late
    assert reached_witness, "fan-out resumed after Redis came back (else the block check proves nothing)"
    assert reached_blocker == [], reached_blocker
    assert applied == 3
