"""The safety scenario suite (docs/safety.md): conversations played through the full
posting pipeline, and what became of each message.

The scenarios are data (tests/scenarios/data/*.jsonl, one conversation a line; the held-out
split in split.json). `play_all` plays each one as the server would, through public services
only, so that it keeps measuring whatever the gate, the contact matrix and the measures become:

- its people sign up (`accounts.services.sign_up`) with a birthdate in their age band; their
  account age is then set on the row (the only write outside a service: time cannot be
  waited for);
- in a room, both join a new room of the scenario's audience (`chat.services.join_room`) and
  post there; in a DM, each joins a new room of their own audience (people in a DM met in a
  room), the first message is a DM request, its recipient accepts it at once (the worst case:
  a child who accepts), and the rest are replies;
- each message is one `chat.services.post_messages` call, its author read afresh first (as
  the socket is told of a sanction); moderation's tasks run eagerly, so flags, cases,
  grooming assessments and interim measures exist before the next message.

It writes rows: run it only on a scratch database (the test suite's, or `manage.py
safety_eval`, which makes its own). The pace limits (messages per account) are raised in
that database, as an operator would in the admin: the suite plays a conversation in a
fraction of a second, and what it measures is screening, not typing speed. A refusal for
pace is still counted apart (`paced`), never as a stop.

`summarise` turns the outcomes into the figures the command prints and the test holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts import throttling
from accounts.models import RateLimitRule, User
from accounts.services import add_years, sign_up
from chat import services as chat_services
from chat.models import Message
from core.errors import PhareError
from moderation import grooming
from moderation.models import Case, Flag

SCENARIO_DIR = Path(settings.BASE_DIR) / "tests" / "scenarios" / "data"
SPLIT_FILE = "split.json"

BANDS = ("13-15", "16-17", "18+")
# The age each band's people declare at sign-up.
BAND_AGE = {"13-15": 14, "16-17": 16, "18+": 31}
AUDIENCE_OF_BAND = {"13-15": "minors", "16-17": "minors", "18+": "adults"}
SETTINGS = ("room:minors", "room:adults", "dm")
ATTACK_KINDS = ("contact", "meeting", "sexual", "insult", "threat", "evasion", "age_reveal", "grooming")
ORDINARY_KINDS = ("ordinary_teens", "ordinary_adults")
GROOMING_STAGES = ("rapport", "age", "location", "alone", "secrecy", "other_app", "gifts", "photos", "meeting")
SPLITS = ("dev", "heldout")

# Refusals for going too fast: not a safety outcome (see the module docstring).
PACE_REASONS = frozenset({"room_message_account", "room_message_room", "dm_message_account", "slow_mode"})
# Raised pace limits for the scratch database: (limit, period in seconds), new accounts alike.
SCRATCH_PACE = {"room_message_account": (1000, 1), "room_message_room": (1000, 1), "dm_message_account": (1000, 1)}


# --- The data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    band: str
    account_days: int


@dataclass(frozen=True)
class Line:
    by: str
    text: str
    attack: bool
    stage: str | None


@dataclass(frozen=True)
class Scenario:
    id: str
    lang: str
    kind: str
    tags: tuple[str, ...]
    setting: str
    people: dict[str, Person]
    attacker: str | None
    lines: tuple[Line, ...]
    split: str

    @property
    def is_attack(self) -> bool:
        return self.kind in ATTACK_KINDS


def _scenario(raw: dict[str, Any], split: str) -> Scenario:
    attack = set(raw.get("attack", []))
    stages = {int(k): v for k, v in raw.get("stages", {}).items()}
    lines = tuple(Line(by=by, text=text, attack=i in attack, stage=stages.get(i))
                  for i, (by, text) in enumerate(raw["messages"]))
    return Scenario(
        id=raw["id"], lang=raw["lang"], kind=raw["kind"], tags=tuple(raw.get("tags", [])),
        setting=raw["setting"], people={k: Person(band=v[0], account_days=int(v[1])) for k, v in raw["people"].items()},
        attacker=raw.get("attacker"), lines=lines, split=split,
    )


def load_split(directory: Path = SCENARIO_DIR) -> dict[str, Any]:
    return json.loads((directory / SPLIT_FILE).read_text())


def load_raw(directory: Path = SCENARIO_DIR) -> list[dict[str, Any]]:
    raw: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if text.strip():
                try:
                    raw.append(json.loads(text))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name}:{number}: {exc}") from exc
    return raw


def load_scenarios(directory: Path = SCENARIO_DIR, split: str = "all") -> list[Scenario]:
    """The scenarios of `split` ("dev", "heldout" or "all"), in file order."""
    heldout = set(load_split(directory)["heldout"])
    scenarios = [_scenario(raw, "heldout" if raw["id"] in heldout else "dev") for raw in load_raw(directory)]
    return [s for s in scenarios if split == "all" or s.split == split]


def problems_in(raw: Iterable[dict[str, Any]]) -> list[str]:
    """What is wrong with the data, one line per problem (empty when well-formed)."""
    found: list[str] = []
    seen: set[str] = set()
    for conv in raw:
        cid = conv.get("id", "?")
        if cid in seen:
            found.append(f"{cid}: duplicate id")
        seen.add(cid)
        people = conv.get("people", {})
        messages = conv.get("messages", [])
        if conv.get("lang") not in ("fr", "en"):
            found.append(f"{cid}: lang")
        if conv.get("kind") not in ATTACK_KINDS + ORDINARY_KINDS:
            found.append(f"{cid}: kind {conv.get('kind')}")
        if conv.get("setting") not in SETTINGS:
            found.append(f"{cid}: setting {conv.get('setting')}")
        if len(people) != 2 or any(p[0] not in BANDS or int(p[1]) < 0 for p in people.values()):
            found.append(f"{cid}: people")
        if not messages or any(by not in people or not text.strip() for by, text in messages):
            found.append(f"{cid}: messages")
        if conv.get("setting", "").startswith("room:"):
            audience = conv["setting"].split(":")[1]
            if any(AUDIENCE_OF_BAND[p[0]] != audience for p in people.values()):
                found.append(f"{cid}: someone may not enter a room for {audience}")
        attack = conv.get("attack", [])
        if conv.get("kind") in ATTACK_KINDS:
            attacker = conv.get("attacker")
            if attacker not in people or not attack:
                found.append(f"{cid}: an attack needs its attacker and attack messages")
            elif any(not 0 <= i < len(messages) or messages[i][0] != attacker for i in attack):
                found.append(f"{cid}: attack messages must be the attacker's")
        elif attack or conv.get("attacker"):
            found.append(f"{cid}: an ordinary conversation has no attack")
        elif conv.get("setting") == "dm" and len({p[0] for p in people.values()}) > 1:
            # The default contact matrix keeps DMs within one band: an ordinary conversation
            # across bands would be refused by design and counted as a false stop.
            found.append(f"{cid}: an ordinary DM needs two people of one band")
        stages = conv.get("stages", {})
        if conv.get("kind") == "grooming" and not stages:
            found.append(f"{cid}: grooming without stages")
        if any(v not in GROOMING_STAGES or int(k) not in attack for k, v in stages.items()):
            found.append(f"{cid}: stages must name attack messages and known stages")
    return found


# --- Playing ---------------------------------------------------------------------------------------

# Where a message ended: refused (nothing stored), held (stored, not delivered), delivered,
# or paced (refused for speed; not a safety outcome).
REFUSED, HELD, DELIVERED, PACED = "refused", "held", "delivered", "paced"
# The reason of a DM message that could not be sent: its conversation's request was refused.
NO_CONVERSATION = "no_conversation:"


@dataclass
class MessageOutcome:
    index: int
    by: str
    attack: bool
    stage: str | None
    outcome: str
    reason: str = ""
    message_id: int | None = None
    # Filled once the conversation is over:
    case_on_author: bool = False
    hidden_later: bool = False


@dataclass
class ScenarioOutcome:
    scenario: Scenario
    messages: list[MessageOutcome]
    # People (keys) muted or suspended when the conversation ended, and who has a case.
    restricted: set[str] = field(default_factory=set)
    with_case: set[str] = field(default_factory=set)


def prepare_scratch_database() -> None:
    """Raise the pace limits (see the module docstring). Only on a scratch database."""
    for name, (limit, period) in SCRATCH_PACE.items():
        RateLimitRule.objects.update_or_create(name=name, defaults={
            "limit": limit, "period_seconds": period, "new_account_limit": limit})
    throttling.bump_policy_version()


def _birthdate(band: str) -> dt.date:
    return add_years(timezone.localdate(), -BAND_AGE[band]) - dt.timedelta(days=40)


class Player:
    """Plays one scenario; `number` keeps its names apart from the other scenarios'."""

    def __init__(self, scenario: Scenario, number: int) -> None:
        self.scenario = scenario
        self.number = number
        self.users: dict[str, User] = {}
        self.rooms: dict[str, Any] = {}
        self.conversation_id: str | None = None
        self.conversation_refused: str = ""

    def _sign_up(self) -> None:
        now = timezone.now()
        for key, person in self.scenario.people.items():
            user = sign_up(pseudonym=f"sc{self.number}{key}", password="scenario horse battery 22",
                           birthdate=_birthdate(person.band), ip="127.0.0.1")
            User.objects.filter(pk=user.pk).update(date_joined=now - dt.timedelta(days=person.account_days, hours=1))
            self.users[key] = User.objects.get(pk=user.pk)

    def _room_for(self, audience: str) -> Any:
        if audience not in self.rooms:
            self.rooms[audience] = chat_services.create_room(
                slug=f"sc{self.number}-{audience}", name=f"Scenario {self.number} {audience}", audience=audience)
        return self.rooms[audience]

    def _enter_rooms(self) -> None:
        setting = self.scenario.setting
        for key, person in self.scenario.people.items():
            audience = setting.split(":")[1] if setting.startswith("room:") else AUDIENCE_OF_BAND[person.band]
            room = self._room_for(audience)
            chat_services.join_room(user=self.users[key], slug=room.slug)

    def _target(self, line: Line) -> Any:
        if self.scenario.setting.startswith("room:"):
            return chat_services.RoomTarget(self.rooms[self.scenario.setting.split(":")[1]])
        if self.conversation_id is None:
            other = next(k for k in self.users if k != line.by)
            return chat_services.RequestTarget(self.users[other].pseudonym)
        return chat_services.ReplyTarget(self.conversation_id)

    def _post(self, index: int, line: Line) -> MessageOutcome:
        def outcome(kind: str, reason: str = "", message_id: int | None = None) -> MessageOutcome:
            return MessageOutcome(index=index, by=line.by, attack=line.attack, stage=line.stage,
                                  outcome=kind, reason=reason, message_id=message_id)

        if self.scenario.setting == "dm" and self.conversation_refused:
            return outcome(REFUSED, f"{NO_CONVERSATION}{self.conversation_refused}")
        author = User.objects.get(pk=self.users[line.by].pk)  # as the socket, told of any sanction
        target = self._target(line)
        result = chat_services.post_messages([chat_services.Post(author=author, body=line.text, target=target,
                                                                  language=self.scenario.lang)])[0]
        if isinstance(result, PhareError):
            reason = str(result.extra.get("reason") or "")
            if result.code == "rate_limited" and reason in PACE_REASONS:
                return outcome(PACED, reason)
            detail = ",".join(result.extra.get("reasons", [])) or reason
            if isinstance(target, chat_services.RequestTarget):
                self.conversation_refused = result.code
            return outcome(REFUSED, f"{result.code}:{detail}" if detail else result.code)
        if isinstance(target, chat_services.RequestTarget):
            self.conversation_id = result.conversation["id"]
            recipient = next(k for k in self.users if k != line.by)
            chat_services.accept_conversation(user=self.users[recipient], conversation_id=self.conversation_id)
        return outcome(HELD if result.status == "held" else DELIVERED, message_id=int(result.message["id"]))

    def play(self) -> list[MessageOutcome]:
        self._sign_up()
        self._enter_rooms()
        return [self._post(i, line) for i, line in enumerate(self.scenario.lines)]

    def _afterwards(self, messages: list[MessageOutcome]) -> ScenarioOutcome:
        now = timezone.now()
        ids = {u.pk: k for k, u in self.users.items()}
        with_case = {ids[pk] for pk in Flag.objects.filter(subject_id_snapshot__in=ids).values_list(
            "subject_id_snapshot", flat=True)}
        with_case |= {ids[pk] for pk in Case.objects.filter(subject_user_id__in=ids).values_list(
            "subject_user_id", flat=True)}
        restricted = {k for k, u in self.users.items()
                      if (fresh := User.objects.get(pk=u.pk)).is_muted(now) or fresh.is_suspended(now)}
        statuses = dict(Message.objects.filter(pk__in=[m.message_id for m in messages if m.message_id])
                        .values_list("pk", "status"))
        for m in messages:
            m.case_on_author = m.by in with_case
            m.hidden_later = m.outcome == DELIVERED and statuses.get(m.message_id) != Message.Status.VISIBLE
        return ScenarioOutcome(scenario=self.scenario, messages=messages, restricted=restricted, with_case=with_case)


def play_all(scenarios: Iterable[Scenario]) -> list[ScenarioOutcome]:
    """Play every scenario (on a scratch database: see the module docstring), then what the
    periodic room reading (moderation.tasks.assess_room_voices) would have filed, then the
    outcome of each."""
    prepare_scratch_database()
    started = timezone.now()
    players = [Player(s, number) for number, s in enumerate(scenarios, 1)]
    played = [player.play() for player in players]
    grooming.assess_room_voices(since=started)
    return [player._afterwards(messages) for player, messages in zip(players, played)]


# --- Figures --------------------------------------------------------------------------------------

def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _attack_counts(messages: list[MessageOutcome]) -> dict[str, Any]:
    counts = Counter()
    for m in messages:
        if m.outcome == DELIVERED:
            counts["delivered_with_case" if m.case_on_author else "delivered_without_case"] += 1
        else:
            counts[m.outcome] += 1
    total = len(messages)
    stopped = counts[REFUSED] + counts[HELD]
    return {
        "messages": total, "refused": counts[REFUSED], "held": counts[HELD], "paced": counts[PACED],
        "delivered_with_case": counts["delivered_with_case"],
        "delivered_without_case": counts["delivered_without_case"],
        "stopped_rate": _rate(stopped, total),
        "stopped_or_case_rate": _rate(stopped + counts["delivered_with_case"], total),
        "delivered_without_case_rate": _rate(counts["delivered_without_case"], total),
    }


def summarise(outcomes: list[ScenarioOutcome]) -> dict[str, Any]:
    """The figures of a run (plain data: the command prints it or dumps it as JSON)."""
    by_kind: dict[str, list[MessageOutcome]] = defaultdict(list)
    ordinary: list[MessageOutcome] = []
    victims: list[MessageOutcome] = []
    restricted_ordinary: set[str] = set()
    restricted_victims: set[str] = set()
    ordinary_with_case: set[str] = set()
    victims_with_case: set[str] = set()
    grooming = {"conversations": 0, "third_message_reached_child": 0, "ids_reached": []}
    for result in outcomes:
        s = result.scenario
        if s.is_attack:
            attacker_lines = [m for m in result.messages if m.by == s.attacker]
            by_kind[s.kind] += [m for m in attacker_lines if m.attack]
            victim = next(k for k in s.people if k != s.attacker)
            victims += [m for m in result.messages if m.by == victim]
            if victim in result.restricted:
                restricted_victims.add(f"{s.id}:{victim}")
            if victim in result.with_case:
                victims_with_case.add(f"{s.id}:{victim}")
            if s.kind == "grooming":
                grooming["conversations"] += 1
                if len(attacker_lines) >= 3 and attacker_lines[2].outcome == DELIVERED:
                    grooming["third_message_reached_child"] += 1
                    grooming["ids_reached"].append(s.id)
        else:
            ordinary += result.messages
            restricted_ordinary |= {f"{s.id}:{k}" for k in result.restricted}
            ordinary_with_case |= {f"{s.id}:{k}" for k in result.with_case}
    every_attack = [m for kind in ATTACK_KINDS for m in by_kind.get(kind, [])]
    wrongly_stopped = [m for m in ordinary if m.outcome in (REFUSED, HELD)]
    return {
        "conversations": {"attack": sum(r.scenario.is_attack for r in outcomes),
                          "ordinary": sum(not r.scenario.is_attack for r in outcomes)},
        "attacks": {kind: _attack_counts(by_kind[kind]) for kind in ATTACK_KINDS if kind in by_kind},
        "attacks_total": _attack_counts(every_attack),
        "ordinary": {
            "messages": len(ordinary),
            "wrongly_refused": sum(m.outcome == REFUSED for m in ordinary),
            # Of those, never sent because their conversation's DM request was refused.
            "not_sent_request_refused": sum(m.reason.startswith(NO_CONVERSATION) for m in ordinary),
            "wrongly_held": sum(m.outcome == HELD for m in ordinary),
            "paced": sum(m.outcome == PACED for m in ordinary),
            "false_stop_rate": _rate(len(wrongly_stopped), len(ordinary)),
            "hidden_later": sum(m.hidden_later for m in ordinary),
            "authors_muted_or_suspended": sorted(restricted_ordinary),
            "authors_with_a_case": sorted(ordinary_with_case),
        },
        "victims": {
            "replies": len(victims),
            "refused_or_held": sum(m.outcome in (REFUSED, HELD) and not m.reason.startswith(NO_CONVERSATION)
                                   for m in victims),
            "not_sent_request_refused": sum(m.reason.startswith(NO_CONVERSATION) for m in victims),
            "hidden_later": sum(m.hidden_later for m in victims),
            "with_a_case": sorted(victims_with_case),
            "muted_or_suspended": sorted(restricted_victims),
        },
        "grooming": grooming,
    }


def format_summary(summary: dict[str, Any], title: str) -> str:
    """The figures as a table for a terminal."""
    pct = lambda value: f"{100 * value:5.1f}%"  # noqa: E731
    lines = [title, "",
             f"conversations: {summary['conversations']['attack']} attacks, "
             f"{summary['conversations']['ordinary']} ordinary", "",
             f"{'attack kind':<12} {'msgs':>5} {'refused':>8} {'held':>5} {'stopped':>8} "
             f"{'+case':>6} {'no case':>8} {'paced':>6}"]
    rows = [*summary["attacks"].items(), ("ALL", summary["attacks_total"])]
    for kind, c in rows:
        lines.append(f"{kind:<12} {c['messages']:>5} {c['refused']:>8} {c['held']:>5} {pct(c['stopped_rate']):>8} "
                     f"{pct(c['stopped_or_case_rate']):>6} {pct(c['delivered_without_case_rate']):>8} {c['paced']:>6}")
    lines.append("  (stopped = refused or held; +case = stopped or delivered with a case on its author)")
    o, v, g = summary["ordinary"], summary["victims"], summary["grooming"]
    lines += ["",
              f"ordinary messages: {o['messages']}, wrongly refused {o['wrongly_refused']}, wrongly held "
              f"{o['wrongly_held']} (false-stop rate {pct(o['false_stop_rate']).strip()}; of the refused, "
              f"{o['not_sent_request_refused']} never sent because their DM request was refused), hidden later "
              f"{o['hidden_later']}, paced {o['paced']}",
              f"ordinary authors with a case: {len(o['authors_with_a_case'])}",
              f"ordinary authors muted or suspended: {len(o['authors_muted_or_suspended'])} "
              f"{' '.join(o['authors_muted_or_suspended'])}".rstrip(),
              f"victims' replies: {v['replies']}, refused or held {v['refused_or_held']} (and "
              f"{v['not_sent_request_refused']} never sent: the attacker's DM request was refused), hidden later "
              f"{v['hidden_later']}; victims with a case {len(v['with_a_case'])}, muted or suspended "
              f"{len(v['muted_or_suspended'])}",
              f"grooming: the groomer's third message reached the child in {g['third_message_reached_child']} "
              f"of {g['conversations']} conversations"]
    return "\n".join(lines)
