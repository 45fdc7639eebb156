"""Fan-out benchmark: Phare (S2) against plain Channels (S1) and raw `websockets` (S0).

Starts each server as a real process on loopback, drives it with bench/loadgen.py (its own
process), and for every scenario measures the three systems one after the other in the same
run. Prints the figures and the ratios S2/S1 and S2/S0 and saves the raw results under
var/bench/. A full run (every system and scenario, not --quick) also rewrites the figures of
docs/benchmarks.md, between its `fanout` markers; the rest of that page (method, decisions,
history) is written by hand and kept.

    .venv/bin/python bench/fanout.py                 # everything (what `make bench` runs)
    .venv/bin/python bench/fanout.py --quick         # short steps, for development
    .venv/bin/python bench/fanout.py --scenarios rooms10 --systems S1,S2 --no-write
    .venv/bin/python bench/fanout.py --systems S1,S2-nopost,S2 --no-write   # S2 without its posting work

Services: PostgreSQL (BENCH_DATABASE_URL, default phare_bench on 127.0.0.1) and Redis
(BENCH_REDIS_URL_S1 / BENCH_REDIS_URL_S2, default db 7 and 8; both are flushed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
DOC = REPO / "docs" / "benchmarks.md"
START, END = "<!-- fanout:start -->", "<!-- fanout:end -->"
SECRET_KEY = "phare-bench-secret-key-0123456789-abcdefghijklmnopqrstuv"
P99_BUDGET_MS = 200.0

# The same search for every system: offered rates double from START_RATE until a step fails,
# then three bisections. The headline is the highest rate sustained with p99 within the budget,
# nothing lost or duplicated, and no refused message delivered.
# 4,000 (2026-11-29; 1,000 then 2,000 before): the same rates are tried above it, and the step
# at a fixed load (2,000 in rooms of 10) already shows a light load. The step saved pays for the
# third bisection, which halves the search's resolution (two left 40,000 against 48,000
# undecided, a fifth of a headline) within the ten minutes (docs/benchmarks.md, "Method").
START_RATE = 4000
BISECTIONS = 3
# Seconds of search per system and scenario before no new step starts (40 until 2026-11-29
# 10:00: whole runs took 9 min 22 s and 9 min 44 s on a slow machine, docs/benchmarks.md "Method").
SEARCH_SECONDS = 36
MAX_RATE = 64000

SCENARIOS = {
    # name: (clients, room size or None for DMs, minors' rooms, label)
    "rooms10_small": {"clients": 100, "room_size": 10, "minor_rooms": 1, "fixed": 2000,
                      "label": "100 clients, 10 rooms of 10"},
    "rooms10": {"clients": 1000, "room_size": 10, "minor_rooms": 10, "fixed": 2000,
                "label": "1,000 clients, 100 rooms of 10", "idle": True},
    "rooms100": {"clients": 1000, "room_size": 100, "minor_rooms": 1, "fixed": 5000,
                 "label": "1,000 clients, 10 rooms of 100"},
    # A DM is two deliveries (both participants' sockets) for a whole post, so lower rates.
    # DMs are outside the targets: a shorter search (20 s, from 500) keeps the whole run under
    # ten minutes on a slow machine (docs/benchmarks.md).
    "dm50": {"clients": 100, "room_size": None, "minor_rooms": 0, "fixed": 400, "start": 500,
             "budget": 20, "label": "50 DM pairs"},
}
SYSTEMS = ["S0", "S1", "S2"]
# The ASGI server as Phare runs it (Dockerfile): uvicorn, websockets-sansio, no permessage-deflate
# (docs/decisions.md); uvloop and httptools are picked automatically when installed. The same
# flags for S1 and S2. (The generator offers no compression either way.)
UVICORN_ARGS = ["--ws", "websockets-sansio", "--ws-max-size", "1048576", "--ws-per-message-deflate", "false",
                "--no-proxy-headers", "--lifespan", "off", "--no-access-log", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}")


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update({
        "SECRET_KEY": SECRET_KEY, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/phare_bench"),
        "PYTHONPATH": str(REPO),
        # As docker-compose.yml runs Phare: persistent database connections.
        "DB_CONN_MAX_AGE": "60",
    })
    return env


def redis_url(system: str) -> str:
    system = system.split("-")[0]
    default = {"S1": "redis://127.0.0.1:6379/7", "S2": "redis://127.0.0.1:6379/8"}[system]
    return os.environ.get(f"BENCH_REDIS_URL_{system}", default)


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def redis_pid() -> list[int]:
    import redis

    try:
        return [int(redis.Redis.from_url(redis_url("S2")).info("server")["process_id"])]
    except Exception:  # Redis on another host: its CPU is simply not counted
        return []


def prepare_database(env: dict[str, str]) -> None:
    import psycopg

    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([PY, "manage.py", "migrate", "--noinput"], cwd=REPO, env=env, check=True,
                   capture_output=True, timeout=300)


def setup_phare(env: dict[str, str], scenarios: list[str]) -> dict:
    rooms = []
    for name in scenarios:
        spec = SCENARIOS[name]
        if spec["room_size"] is None:
            continue
        count = spec["clients"] // spec["room_size"]
        for i in range(count):
            rooms.append({"slug": f"{name}-{i}".replace("_", "-"),
                          "audience": "minors" if i < spec["minor_rooms"] else "adults"})
    request = {"adults": 1000, "minors": 100, "rooms": rooms}
    out = subprocess.run([PY, "bench/s2_setup.py"], cwd=REPO, env=env, input=json.dumps(request),
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout)


def build_plan(name: str, system: str, accounts: dict, quick: bool) -> dict:
    spec = SCENARIOS[name]
    n, size = spec["clients"], spec["room_size"]
    minors_needed = spec["minor_rooms"] * (size or 0)
    people = accounts["minors"][:minors_needed] + accounts["adults"][: n - minors_needed]
    clients = []
    for person in people:
        if system.startswith("S2"):
            clients.append({"uid": person["uid"], "cookie": person["cookie"], "rooms": []})
        else:
            clients.append({"uid": person["uid"], "query": f"?user={person['uid']}", "rooms": []})
    rooms: dict[str, dict] = {}
    pairs = []
    if size is None:
        pairs = [[2 * i, 2 * i + 1] for i in range(n // 2)]
    else:
        for r in range(n // size):
            slug = f"{name}-{r}".replace("_", "-")
            members = list(range(r * size, (r + 1) * size))
            rooms[slug] = {"members": members, "minors": r < spec["minor_rooms"]}
            for m in members:
                clients[m]["rooms"].append(slug)
    return {
        "system": system, "scenario": name, "mode": "dm" if size is None else "rooms",
        "host": "127.0.0.1", "path": "/ws/", "clients": clients, "rooms": rooms, "dm_pairs": pairs,
        # S2-nopost screens nothing: its "blocked" messages are expected like any other.
        "policy": system == "S2", "blocked_share": 0.02,
        "fixed_rate": spec["fixed"], "start_rate": spec.get("start", START_RATE), "max_rate": MAX_RATE, "bisections": BISECTIONS,
        "step_seconds": 2.0 if quick else 2.5, "drain_seconds": 2.0 if quick else 2.5,
        "p99_budget_ms": P99_BUDGET_MS, "idle_seconds": (3 if quick else 5) if spec.get("idle") else 0,
        "budget_seconds": 30 if quick else spec.get("budget", SEARCH_SECONDS),
    }


def start_server(system: str, env: dict[str, str], logdir: Path) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = logdir / f"{system}-{port}.log"
    env = dict(env)
    if system == "S0":
        cmd = [PY, "bench/s0_websockets.py", "--port", str(port)]
    elif system in ("S1", "S1-textbook", "S1-stock"):
        env["REDIS_URL"] = redis_url("S1")
        if system != "S1":
            env["S1_DIRECT"] = "0"  # every event through the consumer's receive loop
        if system == "S1-stock":
            env["S1_LAYER"] = "redis"  # channels_redis's RedisChannelLayer, for reference
        env["DJANGO_SETTINGS_MODULE"] = "bench.s1_settings"
        flush_redis(env["REDIS_URL"])
        cmd = [PY, "-m", "uvicorn", "bench.s1_asgi:application", "--host", "127.0.0.1", "--port", str(port),
               *UVICORN_ARGS]
    else:
        env["REDIS_URL"] = redis_url("S2")
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        flush_redis(env["REDIS_URL"])
        app = "bench.s2_nopost:application" if system == "S2-nopost" else "config.asgi:application"
        cmd = [PY, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), *UVICORN_ARGS]
    if os.environ.get("BENCH_PROFILE") == system:
        # Development aid: profile one system's server; the profile is written when it stops.
        runner = os.environ.get("BENCH_PROFILER", "-m cProfile").split()
        cmd = [PY, *runner, "-o", str(logdir / f"{system}.prof"), *cmd[1:]]
    handle = open(log, "wb")
    process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
    wait_port(port, process, log)
    return process, port, log


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_one(name: str, system: str, env: dict[str, str], accounts: dict, quick: bool, logdir: Path) -> dict:
    process, port, log = start_server(system, env, logdir)
    try:
        plan = build_plan(name, system, accounts, quick)
        plan["port"] = port
        plan["server_pids"] = [process.pid]
        plan["aux_pids"] = redis_pid() if system != "S0" else []
        out = subprocess.run([PY, "bench/loadgen.py"], cwd=REPO, input=json.dumps(plan), capture_output=True,
                             text=True, timeout=400)
        if out.returncode != 0:
            return {"system": system, "scenario": name, "error": out.stderr[-2000:]}
        result = json.loads(out.stdout)
        errors = [line for line in log.read_text(errors="replace").splitlines() if "Error" in line or "Traceback" in line]
        result["server_log_errors"] = len(errors)
        return result
    finally:
        stop(process)


# --- Reporting -----------------------------------------------------------------------------

def fmt(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{round(value):,}"


def ratio(a, b) -> str:
    if not a or not b:
        return "–"
    return f"{a / b:.2f}"


def render(results: dict, meta: dict) -> str:
    """The figures section of docs/benchmarks.md: this run's headline, its fixed-load step, every
    step of the search (folded) and the idle sockets. Method and decisions are the page's own."""
    lines = [
        "## Fan-out: current figures",
        "",
        f"Measured by `bench/fanout.py` (`make bench`) on {meta['when']}: {meta['machine']}. "
        f"Load on the machine before / after the run (1-minute load average): {meta['load_before']} / "
        f"{meta['load_after']}. {meta['note']}",
        "",
        "S0 = raw `websockets` broadcast server; S1 = plain Channels chat (bench/s1_asgi.py: no accounts, "
        "database or screening) on the same uvicorn, channel layer and garbage-collector settings as Phare, "
        "taking the layer's direct delivery as Phare does; S2 = Phare (`config.asgi`) with every safety check on, "
        "PostgreSQL and Redis. One server process each; the load generator (bench/loadgen.py) is one "
        "more process on the same 2 cores. Open loop, steps of "
        f"{meta['step_seconds']} s; 2% of the messages carry a phone number and are sent in minors' rooms "
        "(Phare must refuse them).",
        "",
        "### Headline: highest delivery rate sustained (p99 ≤ 200 ms, nothing lost or duplicated)",
        "",
        "| scenario | S0 | S1 | S2 | S2/S1 | S2/S0 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, per in results.items():
        s = {k: (v.get("sustained_rate") if "error" not in v else None) for k, v in per.items()}
        lines.append(f"| {SCENARIOS[name]['label']} | {fmt(s.get('S0'))} | {fmt(s.get('S1'))} | "
                     f"{fmt(s.get('S2'))} | {ratio(s.get('S2'), s.get('S1'))} | {ratio(s.get('S2'), s.get('S0'))} |")
    lines += ["", "Deliveries per second (one delivery = one message arriving on one socket).", ""]
    lines += targets(results)
    lines += ["",
              "### At a fixed load", "",
              "| scenario | system | deliveries/s offered | p50 ms | p99 ms | server CPU µs / delivery | Redis CPU s | lost | duplicated | refused but delivered |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, per in results.items():
        for system, r in per.items():
            if "error" in r:
                lines.append(f"| {SCENARIOS[name]['label']} | {system} | error | | | | | | | |")
                continue
            f = r["fixed"]
            refused = f"{f['blocked_delivered']} of {f['blocked_sent']}" if system == "S2" else "n/a (no policy)"
            lines.append(f"| {SCENARIOS[name]['label']} | {system} | {fmt(f['offered_rate'])} | {fmt(f['p50_ms'], 1)} | {fmt(f['p99_ms'], 1)} | "
                         f"{fmt(f['server_cpu_us_per_delivery'], 1)} | {fmt(f['aux_cpu_s'], 2)} | {f['lost']} | "
                         f"{f['duplicated']} | {refused} |")
    steps = sum(len(r.get("steps", [])) for per in results.values() for r in per.values())
    lines += ["", "### Every step", "",
              # Folded: a hundred rows that the headline's reading sometimes needs, not the page.
              f"<details><summary>The {steps} steps of this run's searches</summary>", "",
              "| scenario | system | offered/s | delivered/s | p50 ms | p99 ms | lost | dup | refused delivered | CPU µs/delivery | generator CPU | ok |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, per in results.items():
        for system, r in per.items():
            for step in r.get("steps", []):
                lines.append(
                    f"| {name} | {system} | {fmt(step['offered_rate'])} | {fmt(step['delivery_rate'])} | "
                    f"{fmt(step['p50_ms'], 1)} | {fmt(step['p99_ms'], 1)} | {step['lost']} | {step['duplicated']} | "
                    f"{step['blocked_delivered']} | {fmt(step['server_cpu_us_per_delivery'], 1)} | "
                    f"{step['generator_cpu_share']:.0%} | {'yes' if step['ok'] else 'no'}"
                    f"{' (retry)' if step.get('retry') else ''} |")
    lines += ["", "</details>"]
    idle = [(name, system, r) for name, per in results.items() for system, r in per.items() if r.get("idle_cpu_share") is not None]
    if idle:
        lines += ["", "### Idle sockets", "", "| system | idle sockets | server CPU (share of one core) |", "|---|---:|---:|"]
        for name, system, r in idle:
            lines.append(f"| {system} | {r['idle_sockets']:,} | {r['idle_cpu_share']:.2%} |")
    return "\n".join(lines)


def targets(results: dict) -> list[str]:
    """The page's targets (docs/benchmarks.md, "Targets"), checked against this run's figures."""
    def sustained(name: str, system: str):
        r = results.get(name, {}).get(system, {})
        return None if "error" in r else r.get("sustained_rate")

    out = ["Targets (above), this run:", ""]
    ratios = []
    for name in ("rooms10_small", "rooms10", "rooms100"):
        s1, s2 = sustained(name, "S1"), sustained(name, "S2")
        if s1 and s2 is not None:
            ratios.append(f"{SCENARIOS[name]['label']}: {s2 / s1:.2f}")
    if ratios:
        out.append("- S2/S1 ≥ 0.85 in rooms of 10 or more: " + "; ".join(ratios) + ".")
    best = max((sustained(n, "S2") or 0 for n in results), default=0)
    if "S2" in {k for per in results.values() for k in per}:
        out.append(f"- S2 ≥ 25,000 deliveries/s with p99 ≤ 200 ms on one process: best S2 figure {best:,.0f}/s "
                   f"({'met' if best >= 25000 else 'not met'}).")
    for name, per in results.items():
        r = per.get("S2", {})
        if r.get("idle_cpu_share") is not None:
            share = r["idle_cpu_share"]
            out.append(f"- {r['idle_sockets']:,} idle sockets under 5% of a core: S2 {share:.2%} "
                       f"({'met' if share < 0.05 else 'not met'}).")
    return out


def write_doc(section: str, doc: Path = DOC) -> None:
    """Replace what lies between the `fanout` markers with `section`; every other byte of the
    page stays as it was (tests/test_bench_fanout_report.py)."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    block = f"{START}\n{section}\n{END}"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, count=1, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text)


def publishes(*, systems: list[str], scenarios: list[str], quick: bool, no_write: bool) -> bool:
    """Only a full run replaces the published figures: a quick one (shorter steps and searches)
    or a partial one would leave the page with figures nobody can compare."""
    return not no_write and not quick and set(systems) == set(SYSTEMS) and set(scenarios) == set(SCENARIOS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="short steps, for development")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""), help="said in the docs next to the figures")
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    systems = [s for s in args.systems.split(",") if s]
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    env = base_env()
    logdir = REPO / "var" / "bench"
    logdir.mkdir(parents=True, exist_ok=True)
    accounts: dict = {}
    if any(system.startswith("S2") for system in systems):
        prepare_database(env)
        accounts = setup_phare(env, scenarios)
    else:
        accounts = {"adults": [{"uid": str(i)} for i in range(1, 1001)],
                    "minors": [{"uid": str(i)} for i in range(1001, 1101)]}
    results: dict[str, dict] = {}
    for name in scenarios:
        results[name] = {}
        for system in systems:
            t0 = time.monotonic()
            r = run_one(name, system, env, accounts, args.quick, logdir)
            results[name][system] = r
            if "error" in r:
                print(f"{name:14} {system}: ERROR {r['error'][-500:]}", flush=True)
                continue
            f = r["fixed"]
            print(f"{name:14} {system}: sustained {r['sustained_rate']:>9,.0f}/s  fixed p50 {f['p50_ms']} p99 {f['p99_ms']} ms "
                  f"cpu {f['server_cpu_us_per_delivery']} µs/delivery lost {f['lost']} dup {f['duplicated']} "
                  f"refused-delivered {f['blocked_delivered']}/{f['blocked_sent']}"
                  + (f" idle {r['idle_cpu_share']:.2%} of a core" if r.get("idle_cpu_share") is not None else "")
                  + f"  ({time.monotonic() - t0:.0f} s)", flush=True)
        per = results[name]
        s = {k: v.get("sustained_rate") for k, v in per.items()}
        print(f"{name:14} S2/S1 {ratio(s.get('S2'), s.get('S1'))}  S2/S0 {ratio(s.get('S2'), s.get('S0'))}"
              + (f"  S2-nopost/S1 {ratio(s.get('S2-nopost'), s.get('S1'))}  S2/S2-nopost "
                 f"{ratio(s.get('S2'), s.get('S2-nopost'))}" if "S2-nopost" in s else ""), flush=True)
    meta = {
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_before": f"{load_before:.2f}", "load_after": f"{os.getloadavg()[0]:.2f}",
        "note": args.note, "step_seconds": 2.0 if args.quick else 2.5,
    }
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (logdir / f"fanout-{stamp}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    section = render(results, meta)
    print("\n" + section)
    if publishes(systems=systems, scenarios=scenarios, quick=args.quick, no_write=args.no_write):
        write_doc(section)
        print(f"\nwrote the figures of {DOC.relative_to(REPO)}")
    elif not args.no_write:
        print(f"\n{DOC.relative_to(REPO)} left as it is: only a full run (every system and scenario, "
              "without --quick) replaces its figures")
    print(f"\ntotal {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
