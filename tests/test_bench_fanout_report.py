"""`make bench` rewrites the figures of docs/benchmarks.md and nothing else (bench/fanout.py):
the method, the decisions and the history are written by hand and survive every run, and
only a full run replaces the published figures."""

from __future__ import annotations

from pathlib import Path

from bench import fanout

ROOT = Path(__file__).resolve().parent.parent


def step(rate: int, ok: bool = True) -> dict:
    return {"offered_rate": rate, "delivery_rate": rate * 0.99, "p50_ms": 5.0, "p99_ms": 50.0 if ok else 400.0,
            "lost": 0, "duplicated": 0, "blocked_delivered": 0, "server_cpu_us_per_delivery": 60.0,
            "generator_cpu_share": 0.4, "ok": ok}


def result(rate: int, *, idle: bool = False) -> dict:
    found = {"sustained_rate": rate, "steps": [step(rate), step(rate * 2, ok=False)],
             "fixed": {"offered_rate": 2000, "p50_ms": 2.0, "p99_ms": 9.0, "server_cpu_us_per_delivery": 90.0,
                       "aux_cpu_s": 0.1, "lost": 0, "duplicated": 0, "blocked_delivered": 0, "blocked_sent": 7}}
    if idle:
        found.update(idle_cpu_share=0.006, idle_sockets=1000)
    return found


def a_run() -> str:
    results = {name: {system: result(rate, idle=bool(spec.get("idle")))
                      for system, rate in (("S0", 30000), ("S1", 14000), ("S2", 15000))}
               for name, spec in fanout.SCENARIOS.items()}
    meta = {"when": "2026-12-04 20:00 UTC", "machine": "x86_64, 2 CPUs, Python 3.11.7", "load_before": "0.50",
            "load_after": "1.90", "note": "", "step_seconds": 2.5}
    return fanout.render(results, meta)


def test_a_run_replaces_the_figures_and_keeps_every_other_byte_of_the_page(tmp_path):
    before = "# Benchmarks\n\nHow it is measured, written by hand.\n\n"
    after = "\n\n## History\n- 2026-11-28: a change, its effect.\n"
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"{before}{fanout.START}\nold figures\n{fanout.END}{after}")

    fanout.write_doc(a_run(), doc)
    text = doc.read_text()
    assert text.startswith(before) and text.endswith(after)
    assert "old figures" not in text and "| 100 clients, 10 rooms of 10 | 30,000 | 14,000 | 15,000 | 1.07 |" in text

    fanout.write_doc("newer figures", doc)
    assert doc.read_text() == f"{before}{fanout.START}\nnewer figures\n{fanout.END}{after}"


def test_the_figures_fold_the_steps_and_check_the_pages_targets():
    section = a_run()
    assert section.startswith("## Fan-out: current figures")
    folded = section.split("### Every step", 1)[1]
    assert folded.lstrip().startswith("<details>") and "</details>" in folded
    assert "Targets (above), this run:" in section
    assert "S2 0.60% (met)" in section


def test_only_a_full_run_publishes_its_figures():
    full = {"systems": list(fanout.SYSTEMS), "scenarios": list(fanout.SCENARIOS)}
    assert fanout.publishes(**full, quick=False, no_write=False)
    assert not fanout.publishes(**full, quick=True, no_write=False)
    assert not fanout.publishes(**full, quick=False, no_write=True)
    assert not fanout.publishes(systems=["S1", "S2"], scenarios=full["scenarios"], quick=False, no_write=False)
    assert not fanout.publishes(systems=full["systems"], scenarios=["rooms10"], quick=False, no_write=False)


def test_the_page_has_one_figures_section_between_its_hand_written_parts():
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    assert text.count(fanout.START) == text.count(fanout.END) == 1
    outside = text.split(fanout.START)[0] + text.split(fanout.END)[1]
    for heading in ("## Method", "## Targets", "## What the figures decided", "## History"):
        assert heading in outside, heading
