"""Screening with windows: what reading a sender's recent texts adds per message.

Times, per message of `bench/screening_speed.py`'s typical chat lines, `screen_text` alone and
the pipeline's windowed path (`screen_text` with the sender's previous five lines as its window,
then `remember` of the line), in the same process, alternating, so that a busy machine slows
both alike. Two conversations: the twenty typical lines in a row (digits, an app name and a
meeting among them, so some windows are read), and ordinary lines only (no cue: the window
costs its cue test). Prints a table and rewrites its section of docs/benchmarks.md.

    .venv/bin/python bench/screening_window_speed.py [--calls 20000] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.screening_speed import CONTEXT, MESSAGES  # noqa: E402
from core.docs_pages import replace_section  # noqa: E402
from moderation.policy import build_snapshot, remember, screen_text  # noqa: E402
from moderation.seeds import load_seed_allow, load_seed_terms  # noqa: E402

# Lines with none of the window's cues (no digit, app, address piece, invitation or place).
ORDINARY = [
    "salut ça va ?",
    "mdr t'es trop drôle",
    "qui a regardé la série hier ?",
    "je déteste les lundis",
    "what's up everyone",
    "I'm so tired today lol",
    "bonne nuit à tous 😴",
    "t'as fini le devoir de maths ?",
]


def conversation(lines: list[str], snapshot) -> list[tuple[str, tuple]]:
    """Each line with the five before it (cyclically) as its window, each remembered with
    its own verdict's reasons as the pipeline does."""
    reasons = {line: screen_text(line, snapshot=snapshot, context=CONTEXT).reasons for line in lines}
    items = []
    for i, line in enumerate(lines):
        before = [lines[(i - k) % len(lines)] for k in range(5, 0, -1)]
        items.append((line, tuple(remember(text, reasons=reasons[text]) for text in before)))
    return items


def time_pair(alone, windowed, items: list, calls: int) -> tuple[float, float, float, float]:
    """Median and p99 (µs) of `alone(item)` and `windowed(item)`, alternating call by call."""
    for _ in range(200):
        for item in items:
            alone(item)
            windowed(item)
    samples_alone: list[int] = []
    samples_windowed: list[int] = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for i in range(calls):
            item = items[i % len(items)]
            start = clock()
            alone(item)
            middle = clock()
            windowed(item)
            samples_windowed.append(clock() - middle)
            samples_alone.append(middle - start)
    finally:
        gc.enable()
    samples_alone.sort()
    samples_windowed.sort()
    p99 = int(calls * 0.99)
    return (statistics.median(samples_alone) / 1000, samples_alone[p99] / 1000,
            statistics.median(samples_windowed) / 1000, samples_windowed[p99] / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    snapshot = build_snapshot(terms=load_seed_terms(), allow=load_seed_allow())

    def alone(item) -> None:
        screen_text(item[0], snapshot=snapshot, context=CONTEXT)

    def windowed(item) -> None:
        screen_text(item[0], snapshot=snapshot, context=CONTEXT, recent=item[1])
        remember(item[0], reasons=())

    rows = [(label, time_pair(alone, windowed, conversation(lines, snapshot), args.calls))
            for label, lines in (("typical lines (bench/screening_speed.py)", MESSAGES),
                                 ("ordinary lines only", ORDINARY))]
    lines = [
        f"Measured by `bench/screening_window_speed.py` ({args.calls} calls per figure, seed "
        f"lists, minors' room, each line with the five before it as its window) on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}. Times in µs per message.",
        "",
        "| conversation | alone median | alone p99 | with window + remember median | "
        "with window + remember p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, (a_med, a_p99, w_med, w_p99) in rows:
        lines.append(f"| {label} | {a_med:.1f} | {a_p99:.1f} | {w_med:.1f} | {w_p99:.1f} |")
    markdown = "\n".join(lines)
    print(markdown)
    if not args.no_write:
        path = replace_section(REPO / "docs" / "benchmarks.md", "screening-window",
                               f"### Screening with windows\n\n{markdown}")
        print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
