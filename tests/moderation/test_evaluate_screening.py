"""`manage.py evaluate_screening`: the labelled sets screened by the whole gate, per category
and per HateCheck functionality, with the time per message (docs/screening.md)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command


def test_it_reports_each_set_and_the_time_per_message():
    out = io.StringIO()
    call_command("evaluate_screening", stdout=out)
    text = out.getvalue()
    for heading in ("### Multilingual HateCheck, French", "### MLMA, French tweets",
                    "### Phare's labelled conversations, set A", "### Time per message"):
        assert heading in text
    # Every HateCheck functionality has its row, slurs among them, with a figure.
    row = next(line for line in text.splitlines() if line.startswith("| `slur_h` |"))
    assert 0.5 < float(row.rsplit("|", 2)[1]) <= 1.0


def test_missing_sets_are_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="mhc-fr-dev.csv"):
        call_command("evaluate_screening", "--data", str(tmp_path), stdout=io.StringIO())
