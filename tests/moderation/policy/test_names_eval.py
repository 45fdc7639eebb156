"""The name screen measured on labelled names (names_eval/README.md): the dev part the rules
were written against, and a held-out part written at the same time and only measured. The
floors were set before the held-out part was first measured; the figures are in
docs/screening.md ("Names")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from moderation.policy.names import screen_name_text

from .conftest import PSEUDONYM

EVAL_DIR = Path(__file__).parent / "names_eval"
THIS_YEAR = 2026  # the birth-year rule, as on the day the names were written
RECALL_FLOOR = 0.85
PRECISION_FLOOR = 0.85


@dataclass(frozen=True)
class Measure:
    refused_right: int  # labelled refuse, refused
    missed: list[str]  # labelled refuse, allowed
    wrongly_refused: list[str]  # labelled accept, refused
    allowed_right: int

    @property
    def recall(self) -> float:
        return self.refused_right / (self.refused_right + len(self.missed))

    @property
    def precision(self) -> float:
        return self.refused_right / (self.refused_right + len(self.wrongly_refused))


def labelled(part: str) -> list[tuple[str, str]]:
    rows = []
    for line in (EVAL_DIR / f"{part}.tsv").read_text(encoding="utf-8").splitlines():
        label, name, _note = line.split("\t")
        assert label in ("refuse", "accept"), line
        rows.append((label, name))
    return rows


def measure(part: str, snapshot) -> Measure:
    refused_right, allowed_right = 0, 0
    missed, wrongly_refused = [], []
    for label, name in labelled(part):
        refused = screen_name_text(name, snapshot=snapshot, context=PSEUDONYM, this_year=THIS_YEAR).decision != "allow"
        if label == "refuse":
            refused_right += refused
            if not refused:
                missed.append(name)
        else:
            allowed_right += not refused
            if refused:
                wrongly_refused.append(name)
    return Measure(refused_right, missed, wrongly_refused, allowed_right)


def test_the_labelled_lists_are_large_enough_and_about_half_acceptable() -> None:
    rows = labelled("dev") + labelled("heldout")
    assert len(rows) >= 150
    accepted = sum(1 for label, _ in rows if label == "accept")
    assert 0.4 <= accepted / len(rows) <= 0.6
    names = [name for _, name in rows]
    assert len(set(names)) == len(names)  # no name in both parts


@pytest.mark.parametrize("part", ["dev", "heldout"])
def test_the_name_screen_meets_its_floors(seed_snapshot, part: str) -> None:
    result = measure(part, seed_snapshot)
    assert result.recall >= RECALL_FLOOR, (result.recall, result.missed)
    assert result.precision >= PRECISION_FLOOR, (result.precision, result.wrongly_refused)
