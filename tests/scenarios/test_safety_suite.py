"""The safety scenario suite (docs/safety.md): the data is well-formed, and the
conversations played through the full pipeline hold today's figures as floors.

The floors are what the suite measured when it was written (docs/safety.md "Figures"), not
the safety targets (docs/safety.md "Targets"), which are not met yet. When screening
improves, raise them to the new figures in the same commit; a change that lowers one must say
why. Play the suite with `make safety` (or `manage.py safety_eval --scratch`) to see every
figure.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from moderation import evaluation, gate

RAW = evaluation.load_raw()
SPLIT = evaluation.load_split()


@dataclass(frozen=True)
class Floors:
    attacks: dict[str, tuple[float, float]]  # kind: (stopped rate ≥, stopped-or-case rate ≥)
    delivered_without_case: float  # ceiling
    ordinary_false_stops: float  # ceiling
    grooming_third_message_reached: int  # ceiling
    ordinary_authors_muted: int = 0


# Measured on 2026-12-05 on the whole suite (dev and held-out together), after the held-out
# third had been read for its misses (docs/safety.md says which figures are unseen); each floor
# is the figure rounded down to the percent (ceilings: rounded up).
SUITE = Floors(
    attacks={
        "contact": (0.95, 1.00),
        "meeting": (1.00, 1.00),
        "sexual": (0.96, 0.96),
        "insult": (1.00, 1.00),
        "threat": (1.00, 1.00),
        "evasion": (0.92, 0.92),
        "age_reveal": (1.00, 1.00),
        "grooming": (0.98, 1.00),
        "ALL": (0.97, 0.99),
    },
    delivered_without_case=0.01, ordinary_false_stops=0.002, grooming_third_message_reached=1,  # of 24
)

# The sets kept apart (tests/scenarios/apart/, docs/safety.md "Sets written apart"): each written
# by someone who had not read the screening, measured once untouched; then its dev half read and
# the screening improved, its held-out half never read. Floors of 2026-12-05.
APART_DIR = Path(evaluation.SCENARIO_DIR).parent / "apart"


def _floors(attacks: str, no_case: float, false_stops: float) -> Floors:
    """`attacks`: "kind stopped +case, …" in percent, rounded down."""
    parsed = {}
    for item in attacks.split(","):
        kind, stopped, with_case = item.split()
        parsed[kind] = (int(stopped) / 100, int(with_case) / 100)
    return Floors(attacks=parsed, delivered_without_case=no_case, ordinary_false_stops=false_stops,
                  grooming_third_message_reached=0)


APART = {
    "first": {
        "dev": _floors("contact 92 92, meeting 100 100, sexual 100 100, insult 90 90, threat 100 100, "
                       "evasion 91 100, age_reveal 91 100, grooming 100 100, ALL 96 98", 0.02, 0.011),
        "heldout": _floors("contact 100 100, meeting 80 80, sexual 90 90, insult 81 81, threat 80 100, "
                           "evasion 100 100, age_reveal 58 83, grooming 100 100, ALL 88 93", 0.07, 0.032),
    },
    "second": {
        "dev": _floors("contact 64 64, meeting 69 76, sexual 83 91, insult 84 84, threat 66 100, "
                       "evasion 83 83, age_reveal 91 100, grooming 100 100, ALL 81 88", 0.12, 0.0),
        "heldout": _floors("contact 84 84, meeting 83 100, sexual 75 83, insult 46 46, threat 41 83, "
                           "evasion 75 83, age_reveal 40 40, grooming 100 100, ALL 72 81", 0.19, 0.045),
    },
}


def below_floors(summary: dict[str, Any], floors: Floors = SUITE) -> list[str]:
    """Each figure of `summary` that is worse than `floors`, one line each."""
    failures = []
    counts = {**summary["attacks"], "ALL": summary["attacks_total"]}
    for kind, (stopped, stopped_or_case) in floors.attacks.items():
        got = counts.get(kind)
        if got is None:
            failures.append(f"{kind}: not measured")
            continue
        if got["stopped_rate"] < stopped:
            failures.append(f"{kind}: stopped {got['stopped_rate']:.3f} < {stopped}")
        if got["stopped_or_case_rate"] < stopped_or_case:
            failures.append(f"{kind}: stopped or sent to a moderator "
                            f"{got['stopped_or_case_rate']:.3f} < {stopped_or_case}")
    if summary["attacks_total"]["delivered_without_case_rate"] > floors.delivered_without_case:
        failures.append(f"delivered without a case {summary['attacks_total']['delivered_without_case_rate']:.3f} "
                        f"> {floors.delivered_without_case}")
    ordinary = summary["ordinary"]
    if ordinary["false_stop_rate"] > floors.ordinary_false_stops:
        failures.append(f"ordinary false stops {ordinary['false_stop_rate']:.3f} > {floors.ordinary_false_stops}")
    if len(ordinary["authors_muted_or_suspended"]) > floors.ordinary_authors_muted:
        failures.append(f"ordinary authors muted: {ordinary['authors_muted_or_suspended']}")
    if summary["grooming"]["third_message_reached_child"] > floors.grooming_third_message_reached:
        failures.append(f"grooming: third message reached the child {summary['grooming']['ids_reached']}")
    victims = summary["victims"]
    if victims["muted_or_suspended"] or victims["with_a_case"] or victims["hidden_later"]:
        failures.append(f"victims sanctioned for what was done to them: {victims}")
    return failures


# --- The data ---------------------------------------------------------------------------------------

def test_the_data_is_well_formed():
    assert evaluation.problems_in(RAW) == []


def test_the_suite_is_large_enough_and_covers_every_kind():
    kinds = Counter(conv["kind"] for conv in RAW)
    attacks = sum(kinds[k] for k in evaluation.ATTACK_KINDS)
    ordinary = sum(kinds[k] for k in evaluation.ORDINARY_KINDS)
    assert len(RAW) >= 300
    assert ordinary >= attacks
    assert all(kinds[k] >= 10 for k in evaluation.ATTACK_KINDS + evaluation.ORDINARY_KINDS), kinds
    stages = {stage for conv in RAW for stage in conv.get("stages", {}).values()}
    assert stages == set(evaluation.GROOMING_STAGES)
    tags = {tag for conv in RAW for tag in conv.get("tags", [])}
    assert {"split", "sextortion"} <= tags
    assert {s for conv in RAW for s in [conv["setting"]]} == set(evaluation.SETTINGS)
    languages = Counter(conv["lang"] for conv in RAW)
    assert languages["fr"] > languages["en"] >= 50


def test_a_third_is_held_out_in_every_kind():
    ids = {conv["id"] for conv in RAW}
    heldout = set(SPLIT["heldout"])
    assert heldout <= ids
    assert 0.30 <= len(heldout) / len(ids) <= 0.36
    for kind in evaluation.ATTACK_KINDS + evaluation.ORDINARY_KINDS:
        of_kind = [conv["id"] for conv in RAW if conv["kind"] == kind]
        assert 0.25 <= len(heldout.intersection(of_kind)) / len(of_kind) <= 0.42, kind
    assert len(evaluation.load_scenarios(split="dev")) + len(evaluation.load_scenarios(split="heldout")) == len(ids)


def test_each_attack_message_is_its_attackers():
    scenarios = evaluation.load_scenarios()
    for scenario in scenarios:
        for line in scenario.lines:
            assert not line.attack or line.by == scenario.attacker, scenario.id


# --- Played through the pipeline ----------------------------------------------------------------------

@pytest.fixture
def quiet_tasks():
    # Every eager task logs a line; a thousand of them would drown a failure's report.
    logging.disable(logging.INFO)
    yield
    logging.disable(logging.NOTSET)


@pytest.mark.django_db(transaction=True)  # the tasks run after commit, as on a server
def test_the_suite_holds_todays_floors(quiet_tasks):
    outcomes = evaluation.play_all(evaluation.load_scenarios())
    summary = evaluation.summarise(outcomes)
    print(evaluation.format_summary(summary, "safety scenario suite, dev and held-out"))
    assert summary["conversations"] == {"attack": 154, "ordinary": 160}
    assert summary["attacks_total"]["paced"] == 0  # the suite measures screening, not pace
    assert below_floors(summary) == []


@pytest.mark.django_db(transaction=True)
def test_the_floors_fail_when_screening_lets_everything_through(quiet_tasks, monkeypatch):
    """The floors are real: with a gate that allows every message, they are not held (the
    contact matrix, the first-contact rules and grooming assessments still act)."""
    monkeypatch.setattr(gate, "screen_message", lambda **kwargs: gate.Verdict(decision="allow"))
    attacks = [s for s in evaluation.load_scenarios() if s.is_attack]
    summary = evaluation.summarise(evaluation.play_all(attacks))
    failures = below_floors(summary)
    # Insults and threats are posted in rooms, where only the gate can stop them.
    assert any(line.startswith("insult: stopped ") for line in failures), failures
    assert any(line.startswith("threat: stopped ") for line in failures), failures


# --- The sets kept apart ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(APART))
def test_a_set_kept_apart_is_well_formed_and_split_in_halves(name):
    directory = APART_DIR / name
    raw = evaluation.load_raw(directory)
    assert evaluation.problems_in(raw) == []
    ids = {conv["id"] for conv in raw}
    others = {conv["id"] for other in APART if other != name for conv in evaluation.load_raw(APART_DIR / other)}
    assert not ids & ({conv["id"] for conv in RAW} | others)
    heldout = set(evaluation.load_split(directory)["heldout"])
    assert heldout <= ids and 0.45 <= len(heldout) / len(ids) <= 0.55
    kinds = Counter(conv["kind"] for conv in raw)
    assert all(kinds[k] >= 8 for k in evaluation.ATTACK_KINDS + evaluation.ORDINARY_KINDS), kinds


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(APART))
def test_a_set_kept_apart_holds_its_floors(quiet_tasks, name):
    outcomes = evaluation.play_all(evaluation.load_scenarios(APART_DIR / name))
    failures = []
    for part, floors in APART[name].items():
        summary = evaluation.summarise([o for o in outcomes if o.scenario.split == part])
        print(evaluation.format_summary(summary, f"the {name} set kept apart, {part}"))
        failures += [f"{part}: {line}" for line in below_floors(summary, floors)]
    assert failures == []


@pytest.mark.parametrize("content, expected", [
    ('{"id": "x1", "lang": "de", "kind": "contact", "setting": "dm", "people": {}, "messages": []}\n', "x1: lang"),
    ("{not json\n", "attacks.jsonl:1"),
])
def test_safety_eval_refuses_a_set_that_is_not_well_formed(tmp_path, content, expected):
    (tmp_path / "attacks.jsonl").write_text(content)
    (tmp_path / "split.json").write_text('{"heldout": []}')
    with pytest.raises(CommandError, match=expected):
        call_command("safety_eval", "--scratch", "--data", str(tmp_path))

