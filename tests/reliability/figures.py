"""Figures measured by the fault tests, written to docs/reliability.md when asked.

Each fault test calls `record(...)` with what it measured. Only a run that asks for it
(`PHARE_RELIABILITY_FIGURES=1`, set by `make reliability`) writes them: at the end of the
session the rows of the faults run replace their previous rows in the table (the others are
kept). `make test` and CI never write, so a test run leaves the tracked page as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
BEGIN = "<!-- figures:begin (written by tests/reliability; do not edit by hand) -->"
END = "<!-- figures:end -->"
COLUMNS = ["fault", "time to recover", "sent", "acknowledged", "lost", "duplicates", "detail", "measured"]

WRITE_ENV = "PHARE_RELIABILITY_FIGURES"

_recorded: dict[str, dict[str, str]] = {}


def writing_enabled() -> bool:
    return os.environ.get(WRITE_ENV, "") not in {"", "0"}


def record(fault: str, *, recovery_seconds: float | None, sent: int, acknowledged: int, lost: int,
           duplicates: int, detail: str = "") -> None:
    """Keep one fault's figures for this session (written by `write()`)."""
    _recorded[fault] = {
        "fault": fault,
        "time to recover": "—" if recovery_seconds is None else f"{recovery_seconds:.1f} s",
        "sent": str(sent),
        "acknowledged": str(acknowledged),
        "lost": str(lost),
        "duplicates": str(duplicates),
        "detail": detail.replace("|", "/"),
        "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _parse_rows(block: str) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[0] not in {"fault", ""} and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = dict(zip(COLUMNS, cells))
    return rows


def render(rows: dict[str, dict[str, str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for fault in sorted(rows):
        lines.append("| " + " | ".join(rows[fault][c] for c in COLUMNS) + " |")
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return f"{BEGIN}\n{chr(10).join(lines)}\n\nLast written on {machine}.\n{END}"


def write(path: Path = DOC) -> None:
    """Put this session's figures into the page, if the run asked for it (`WRITE_ENV`)."""
    if not _recorded or not writing_enabled():
        return
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        block, tail = rest.split(END, 1)
        rows = _parse_rows(block)
    else:
        head, tail, rows = (text or "# Reliability\n\n") + "\n", "\n", {}
    rows.update(_recorded)
    path.write_text(re.sub(r"\n*$", "\n", head) + render(rows) + tail)
