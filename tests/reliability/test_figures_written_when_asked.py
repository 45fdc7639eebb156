"""`make test` leaves docs/reliability.md as it is: the fault tests' figures are written only
by a run that asks for it (`make reliability` sets PHARE_RELIABILITY_FIGURES=1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.reliability import figures

ROOT = Path(__file__).resolve().parents[2]
PAGE = f"# Reliability\n\nText by hand.\n\n{figures.BEGIN}\n| old |\n{figures.END}\n\nMore text.\n"


@pytest.fixture
def recorded(monkeypatch):
    monkeypatch.setattr(figures, "_recorded", {})
    figures.record("A fault", recovery_seconds=1.5, sent=10, acknowledged=9, lost=0, duplicates=0, detail="a|b")


def test_a_test_run_writes_nothing(recorded, tmp_path, monkeypatch):
    monkeypatch.delenv(figures.WRITE_ENV, raising=False)
    page = tmp_path / "reliability.md"
    page.write_text(PAGE)
    figures.write(page)
    assert page.read_text() == PAGE
    monkeypatch.setenv(figures.WRITE_ENV, "0")
    figures.write(page)
    assert page.read_text() == PAGE


def test_a_run_that_asks_writes_the_figures_and_keeps_the_text(recorded, tmp_path, monkeypatch):
    monkeypatch.setenv(figures.WRITE_ENV, "1")
    page = tmp_path / "reliability.md"
    page.write_text(PAGE)
    figures.write(page)
    text = page.read_text()
    assert text.startswith("# Reliability\n\nText by hand.\n")
    assert text.endswith("\nMore text.\n")
    assert re.search(r"\| A fault \| 1\.5 s \| 10 \| 9 \| 0 \| 0 \| a/b \|", text), text


def test_make_reliability_asks_and_make_test_does_not():
    makefile = (ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^([a-z-]+):[^\n]*\n((?:\t[^\n]*\n)+)", makefile, flags=re.M))
    assert f"{figures.WRITE_ENV}=1" in targets["reliability"]
    assert figures.WRITE_ENV not in targets["test"]
