"""Where a direct message's time goes: Phare's server profiled while it carries DM replies,
beside room messages of the same size on the same server, in the same run.

    .venv/bin/python bench/dm_profile.py                      # 50 pairs, 200/400/800 deliveries/s
    .venv/bin/python bench/dm_profile.py --rates 200,400 --seconds 4
    .venv/bin/python bench/dm_profile.py --no-profile         # the figures only

What it does, in one run:

- starts its own services: a private `redis-server` on a free port (nothing shared is
  flushed) and its own PostgreSQL database (BENCH_DATABASE_URL, default
  postgres://postgres@127.0.0.1:5432/phare_bench_dm), created and migrated here and dropped
  at the end (`--keep-db` keeps it);
- prepares 2 x N adult accounts, their sessions and N rooms of 2 (bench/s2_setup.py, as the
  fan-out benchmark does: the operator's rate limits raised, every check still run);
- starts Phare (`config.asgi` under uvicorn, the same flags as bench/fanout.py) as one
  process, connects the 2 x N clients (bench/loadgen.py's client), opens and accepts one
  conversation per pair and joins each pair to its room of 2;
- at each rate (deliveries per second; a message is two deliveries either way) runs a step
  of DM replies (`dm.send`) and a step of room messages (`room.send`), same bodies, same
  fan-out of two, and reports deliveries/s, p50 and p99 latency, the server's CPU per
  delivery (user and system), the PostgreSQL backends' CPU, how busy the whole machine was,
  and the trips per message (the database's transaction, insert and scan counters; the
  private Redis's calls by command); then the same two steps again while py-spy records the server process with
  `--gil --threads --nonblocking` (only the thread holding the GIL is sampled, so a sample is
  Python work, never a wait on a socket or a queue, and the server is not paused to be read),
  and reports for each the top functions by cumulative and by self time, and the share of the
  samples in each part of the path (database, screening, rate limits, the posting-thread
  hand-off, fan-out…), with the GIL-held milliseconds per message, beside each thread
  group's CPU per message read from /proc (the event loop, the posting threads);
- once, at the last rate, a DM step is recorded with `--idle` instead: where the posting
  threads' wall time goes (PostgreSQL, Redis, waiting for work).

py-spy: PY_SPY, else `py-spy` on the PATH, else /tmp/pyspy/bin/py-spy (`pip install --target
/tmp/pyspy py-spy`). Without it the figures are measured and the profile is skipped.

The raw profiles (collapsed stacks) and a JSON of everything are written under var/bench/.
Clients, servers, Redis, PostgreSQL and py-spy share the machine's cores: the figures compare
within one run (docs/benchmarks.md, "Where a direct message's time goes (profile)").
Measurement only: it changes nothing in Phare and is not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import fanout, loadgen  # noqa: E402

PY = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/phare_bench_dm"
SAMPLE_HZ = 100
ROOM_PREFIX = "dmprof-"


# --- Services ------------------------------------------------------------------------------

def py_spy_path() -> str | None:
    # `pip install --target /tmp/pyspy py-spy` puts it here (the system's temporary directory).
    installed = str(Path(tempfile.gettempdir()) / "pyspy" / "bin" / "py-spy")
    for candidate in (os.environ.get("PY_SPY"), shutil.which("py-spy"), installed):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def start_redis(logdir: Path) -> tuple[subprocess.Popen, int]:
    """A private Redis: its own port, no persistence, nothing of anyone else's flushed."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found")
    port = fanout.free_port()
    log = logdir / f"dm_profile-redis-{port}.log"
    handle = open(log, "wb")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=handle, stderr=subprocess.STDOUT)
    fanout.wait_port(port, process, log)
    return process, port


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (their CPU is counted apart;
    empty when PostgreSQL runs elsewhere)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            (name,)).fetchall()
    return [row[0] for row in rows if Path(f"/proc/{row[0]}").exists()]


def cpu_by_pid(pids: list[int]) -> dict[int, tuple[float, float]]:
    """utime and stime (seconds, all threads) of each process still alive."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        out[pid] = (int(fields[11]) / loadgen.CLK_TCK, int(fields[12]) / loadgen.CLK_TCK)
    return out


def redis_calls(port: int) -> dict[str, int]:
    """Calls per command since the private Redis started (INFO commandstats)."""
    import redis

    stats = redis.Redis(port=port).info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def database_counters(url: str) -> dict[str, int]:
    """The benchmark database's transaction, row and scan counters (pg_stat_database,
    pg_stat_user_tables). PostgreSQL's backends report them about once a second, so a step's
    figures are approximate at the edges."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        commits, rollbacks, inserted = conn.execute(
            "SELECT xact_commit, xact_rollback, tup_inserted FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()
        scans = conn.execute("SELECT coalesce(sum(seq_scan), 0) + coalesce(sum(idx_scan), 0) FROM pg_stat_user_tables").fetchone()[0]
    return {"commits": int(commits), "rollbacks": int(rollbacks), "rows_inserted": int(inserted), "table_scans": int(scans)}


def cpu_by_thread(pid: int) -> dict[int, float]:
    """utime + stime (seconds) of each thread of a process, by its OS thread id."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / loadgen.CLK_TCK
    return out


def thread_names(text: str) -> dict[int, str]:
    """OS thread id -> Python thread name, from py-spy's `--threads` output."""
    found = {}
    for match in re.finditer(r"^thread \((?:0x)?([0-9a-fA-F]+)\): ([^;]+);", text, re.M):
        found[int(match[1], 16 if match[0].startswith("thread (0x") else 10)] = match[2]
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every core (/proc/stat): how busy the whole machine was,
    other people's work included."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def start_phare(env: dict[str, str], logdir: Path) -> tuple[subprocess.Popen, int, Path]:
    port = fanout.free_port()
    log = logdir / f"dm_profile-phare-{port}.log"
    cmd = [PY, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
           *fanout.UVICORN_ARGS]
    handle = open(log, "wb")
    process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
    fanout.wait_port(port, process, log)
    return process, port, log


# --- Profiles ------------------------------------------------------------------------------

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def short_file(path: str) -> str:
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    repo = str(REPO) + "/"
    if path.startswith(repo):
        return path[len(repo):]
    match = re.search(r"python3\.\d+/(.*)$", path)
    return match.group(1) if match else path


def parse_collapsed(text: str) -> list[tuple[str, list[tuple[str, str]], int]]:
    """py-spy's raw output (`--threads`): (thread name, frames root first as (function, file),
    samples)."""
    stacks = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line:
            continue
        body, _, count = line.rpartition(" ")
        parts = body.split(";")
        thread = parts[0].split(": ", 1)[1] if ": " in parts[0] else parts[0]
        frames = []
        for part in parts[1:]:
            match = FRAME.match(part)
            if match:
                frames.append((match["func"], short_file(match["file"])))
            else:
                frames.append((part, ""))
        stacks.append((thread, frames, int(count)))
    return stacks


def thread_group(name: str) -> str:
    if name.startswith("phare-post"):
        return "posting threads"
    if name.startswith("phare-connect"):
        return "connect threads"
    if name == "MainThread":
        return "event loop (main thread)"
    return "other threads"


def _has(frames, *, files=(), funcs=()) -> bool:
    return any(f.startswith(files) for _, f in frames if files) or any(fn in funcs for fn, _ in frames if funcs)


# Parts of the path: a sample counts in a part when any frame of its stack is in it
# (inclusive; parts overlap: the rate limits' Redis trip is in "rate limits" and "Redis client").
PARTS = [
    ("posting pipeline, all of it (chat/services/post.py, chat/posting.py)",
     lambda fr: _has(fr, files=("chat/services/post.py", "chat/posting.py"))),
    ("database: Django ORM + psycopg (any caller)", lambda fr: _has(fr, files=("django/db/", "psycopg"))),
    ("  conversation lookup (conversation_for_sending)", lambda fr: _has(fr, funcs=("conversation_for_sending",))),
    ("  risk-hold lookup (gate.pair_under_review)", lambda fr: _has(fr, funcs=("pair_under_review",))),
    ("  the message's INSERT / store", lambda fr: _has(fr, funcs=("store", "fetch_column"))
     and _has(fr, files=("chat/services/post.py", "chat/posting.py", "chat/loopdb.py"))),
    ("  transaction begin/commit (django/db/transaction.py)", lambda fr: _has(fr, files=("django/db/transaction.py",))),
    ("screening (moderation/: gate, detectors)", lambda fr: _has(fr, files=("moderation/",))
     and not _has(fr, funcs=("pair_under_review", "schedule_grooming_check"))),
    ("rate limits (accounts/throttling.py, incl. its Redis trip)", lambda fr: _has(fr, files=("accounts/throttling.py",))),
    ("Redis client (redis-py, any caller)", lambda fr: _has(fr, files=("redis/",))),
    ("grooming check scheduling (gate.schedule_grooming_check)", lambda fr: _has(fr, funcs=("schedule_grooming_check",))),
    ("fan-out and delivery (chat/realtime/fanout.py, events.py; frames written)",
     lambda fr: _has(fr, files=("chat/realtime/fanout.py", "chat/realtime/events.py"),
                     funcs=("write_frame", "frame_connection"))),
    ("posting-thread hand-off (asgiref, concurrent.futures, threading; self time)",
     lambda fr: bool(fr) and fr[-1][1].startswith(("asgiref/", "concurrent/futures/", "threading.py", "queue.py"))),
    ("socket reads and writes (self time in uvicorn, websockets, asyncio streams, write_frame)",
     lambda fr: bool(fr) and (fr[-1][1].startswith(("uvicorn/", "websockets/", "asyncio/streams.py"))
                              or fr[-1][0] == "write_frame")),
    ("consumer (chat/realtime/consumers.py)", lambda fr: _has(fr, files=("chat/realtime/consumers.py",))),
]


# Frames every sample of a thread carries (thread start, the server's entry, the loop's run):
# left out of the top functions, where they would only say "100 % of this thread".
ROOT_FILES = ("threading.py", "<frozen runpy>", "click/", "uvicorn/__main__.py", "uvicorn/main.py",
              "uvicorn/server.py", "uvicorn/_compat.py", "asyncio/runners.py", "concurrent/futures/thread.py",
              "asgiref/sync.py")
# The posting pool's wrapper around every call it runs (as wide as the pipeline itself).
ROOT_FUNCS = ("SyncToAsyncAroundCall.thread_handler",)


def summarise(text: str, messages: int, seconds: float) -> dict:
    """Shares of the active samples: per thread group, per part of the path, top functions
    by cumulative and by self time; and busy milliseconds per message (samples / rate)."""
    stacks = parse_collapsed(text)
    total = sum(count for _, _, count in stacks) or 1
    groups: collections.Counter = collections.Counter()
    parts: collections.Counter = collections.Counter()
    cumulative: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    for thread, frames, count in stacks:
        groups[thread_group(thread)] += count
        for name, test in PARTS:
            if test(frames):
                parts[name] += count
        seen = set()
        for func, file in frames:
            key = f"{func} ({file})"
            if key not in seen and not file.startswith(ROOT_FILES) and func not in ROOT_FUNCS:
                seen.add(key)
                cumulative[key] += count
        if frames:
            own[f"{frames[-1][0]} ({frames[-1][1]})"] += count

    def ms_per_message(samples: int) -> float | None:
        return round(samples / SAMPLE_HZ / messages * 1000, 3) if messages else None

    return {
        "samples": total, "seconds": seconds, "messages": messages,
        "busy_ms_per_message": ms_per_message(total),
        "threads": {k: {"share": round(v / total, 4), "ms_per_message": ms_per_message(v)} for k, v in groups.most_common()},
        "parts": {name: {"share": round(parts[name] / total, 4), "ms_per_message": ms_per_message(parts[name])}
                  for name, _ in PARTS},
        "top_cumulative": [(k, round(v / total, 4)) for k, v in cumulative.most_common(40)],
        "top_self": [(k, round(v / total, 4)) for k, v in own.most_common(25)],
    }


# Where a posting thread's wall time goes (an `--idle` recording): first match wins.
WALL_PARTS = [
    ("waiting for work (pool idle)", lambda fr: not _has(fr, files=("chat/", "accounts/", "moderation/"))),
    ("PostgreSQL (psycopg: round trips and waits)", lambda fr: _has(fr, files=("psycopg",))),
    ("Redis (redis-py: round trips and waits)", lambda fr: _has(fr, files=("redis/",))),
    ("Django ORM (compiling, building rows)", lambda fr: _has(fr, files=("django/db/",))),
    ("screening (moderation/)", lambda fr: _has(fr, files=("moderation/",))),
    ("the rest of the pipeline", lambda fr: True),
]


def summarise_wall(text: str) -> dict:
    stacks = [s for s in parse_collapsed(text) if thread_group(s[0]) == "posting threads"]
    total = sum(count for _, _, count in stacks) or 1
    out: collections.Counter = collections.Counter()
    for _, frames, count in stacks:
        for name, test in WALL_PARTS:
            if test(frames):
                out[name] += count
                break
    threads = len({s[0] for s in stacks})
    return {"samples": total, "threads": threads,
            "parts": {name: round(out[name] / total, 4) for name, _ in WALL_PARTS}}


# --- The run -------------------------------------------------------------------------------

class Driver:
    def __init__(self, plan: dict) -> None:
        self.plan = plan
        self.gen = loadgen.Generator(plan)

    async def setup(self) -> None:
        await self.gen.connect_all()
        await self.gen.join_all()
        self.pairs = await self.gen.open_dms()
        dm, room = [], []
        for a, b, conversation in self.pairs:
            dm += [(a, "dm.send", {"conversation": conversation}, 2), (b, "dm.send", {"conversation": conversation}, 2)]
        for slug, spec in self.plan["rooms"].items():
            room += [(m, "room.send", {"room": slug}, 2) for m in spec["members"]]
        self.candidates = {"dm": (dm, [], 2.0), "room": (room, [], 2.0)}

    async def step(self, kind: str, rate: float, seconds: float, drain: float, *, profile: tuple | None = None,
                   db_url: str | None = None) -> dict:
        spy = None
        if profile is not None:
            binary, out, idle = profile
            cmd = [binary, "record", "-p", str(self.plan["server_pids"][0]), "-d", str(int(seconds + 1)),
                   "-r", str(SAMPLE_HZ), "-f", "raw", "--threads", "--nonblocking", "-o", str(out)]
            cmd.append("--idle" if idle else "--gil")
            spy = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            await asyncio.sleep(0.3)  # attached before the first message
        # The backends serving the database now (a posting thread's connection may be new).
        db0 = cpu_by_pid(database_pids(db_url) if db_url else [])
        counters0 = database_counters(db_url) if db_url else {}
        calls0 = redis_calls(self.plan["redis_port"])
        server0 = cpu_by_pid(self.plan["server_pids"])[self.plan["server_pids"][0]]
        busy0 = machine_busy()
        threads0 = cpu_by_thread(self.plan["server_pids"][0])
        result = await self.gen.run_step(rate, seconds, drain, self.candidates[kind])
        busy1 = machine_busy()
        threads1 = cpu_by_thread(self.plan["server_pids"][0])
        result["thread_cpu_s"] = {tid: round(cpu - threads0.get(tid, 0.0), 3) for tid, cpu in threads1.items()
                                  if cpu - threads0.get(tid, 0.0) > 0}
        server1 = cpu_by_pid(self.plan["server_pids"])[self.plan["server_pids"][0]]
        db1 = cpu_by_pid(list(db0))
        # Backends alive at both ends only (one that closed meanwhile is not counted).
        result["postgres_cpu_s"] = round(sum(sum(db1[p]) - sum(db0[p]) for p in db1), 3)
        result["server_utime_s"] = round(server1[0] - server0[0], 3)
        result["server_stime_s"] = round(server1[1] - server0[1], 3)
        result["machine_busy_cores"] = round((busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * (os.cpu_count() or 1), 2)
        result["postgres_cpu_us_per_delivery"] = (round(result["postgres_cpu_s"] / result["delivered"] * 1e6, 1)
                                                  if result["delivered"] else None)
        if spy is not None:
            err, _ = await asyncio.get_running_loop().run_in_executor(None, spy.communicate)
            err = err.decode(errors="replace")
            if spy.returncode != 0:
                result["profile_error"] = err[-500:]
            found = re.search(r"Samples: (\d+) Errors: (\d+)", err)
            if found:
                result["py_spy_samples"], result["py_spy_errors"] = int(found[1]), int(found[2])
        await asyncio.sleep(1.0)  # let a backlog settle before the next step
        messages = max(1, result["messages_sent"])
        if db_url:
            counters1 = database_counters(db_url)
            result["postgres_per_message"] = {k: round((counters1[k] - counters0[k]) / messages, 2) for k in counters1}
        calls1 = redis_calls(self.plan["redis_port"])
        per = {k: round((v - calls0.get(k, 0)) / messages, 2) for k, v in calls1.items() if v - calls0.get(k, 0) > 0}
        per.pop("info", None)  # this function's own
        result["redis_calls_per_message"] = dict(sorted(per.items(), key=lambda kv: -kv[1]))
        return result

    def close(self) -> None:
        for client in self.gen.clients:
            if client.transport is not None:
                client.transport.close()


async def drive(plan: dict, args, spy: str | None, logdir: Path, stamp: str, db_url: str) -> dict:
    driver = Driver(plan)
    t0 = time.perf_counter()
    await driver.setup()
    out: dict = {"setup_s": round(time.perf_counter() - t0, 1), "steps": [], "profiles": [], "wall": None}
    rates = [float(r) for r in args.rates.split(",") if r]
    # Warm-up, not recorded: first-use costs on both paths.
    for kind in ("dm", "room"):
        await driver.step(kind, rates[0] / 2, 1.5, args.drain)
    for rate in rates:
        for kind in ("dm", "room"):
            r = await driver.step(kind, rate, args.seconds, args.drain, db_url=db_url)
            r["kind"] = kind
            out["steps"].append(r)
            print(f"{kind:4} {rate:>6,.0f}/s offered: {r['delivery_rate']:>7,.1f} delivered/s  p50 {r['p50_ms']} "
                  f"p99 {r['p99_ms']} ms  server CPU {r['server_cpu_us_per_delivery']} µs/delivery  "
                  f"PostgreSQL {r['postgres_cpu_us_per_delivery']} µs/delivery  user/sys {r['server_utime_s']}/"
                  f"{r['server_stime_s']} s  machine {r['machine_busy_cores']} cores busy  lost {r['lost']}  "
                  f"errors {r['errors']}\n      per message: PostgreSQL {r.get('postgres_per_message')}  "
                  f"Redis calls {r['redis_calls_per_message']}", flush=True)
        if spy is None:
            continue
        for kind in ("dm", "room"):
            path = logdir / f"dm_profile-{stamp}-{kind}-{int(rate)}.txt"
            r = await driver.step(kind, rate, args.seconds, args.drain, profile=(spy, path, False), db_url=db_url)
            if r.get("profile_error") or not path.exists():
                print(f"py-spy failed: {r.get('profile_error')}", flush=True)
                continue
            text = path.read_text()
            summary = summarise(text, r["messages_sent"], args.seconds)
            # CPU by thread group from /proc (all of it, with or without the GIL), per message.
            names = thread_names(text)
            by_group: collections.Counter = collections.Counter()
            for tid, cpu in r["thread_cpu_s"].items():
                by_group[thread_group(names.get(tid, "?"))] += cpu
            summary["thread_cpu_ms_per_message"] = {g: round(v / r["messages_sent"] * 1000, 3)
                                                   for g, v in by_group.most_common()}
            summary.update(kind=kind, rate=rate, file=str(path.relative_to(REPO)), step=r)
            out["profiles"].append(summary)
            print(f"{kind:4} {rate:>6,.0f}/s profiled: {summary['busy_ms_per_message']} ms with the GIL per message; "
                  f"CPU ms per message by thread (/proc): {summary['thread_cpu_ms_per_message']} "
                  f"(p99 {r['p99_ms']} ms under the profiler; py-spy samples {r.get('py_spy_samples')} "
                  f"errors {r.get('py_spy_errors')})", flush=True)
        if rate == rates[-1]:
            path = logdir / f"dm_profile-{stamp}-dm-{int(rate)}-idle.txt"
            r = await driver.step("dm", rate, args.seconds, args.drain, profile=(spy, path, True), db_url=db_url)
            if path.exists():
                out["wall"] = {"rate": rate, **summarise_wall(path.read_text()), "file": str(path.relative_to(REPO))}
    driver.close()
    return out


# --- Report --------------------------------------------------------------------------------

def report(run: dict, meta: dict) -> str:
    lines = [f"Run {meta['when']}: {meta['machine']}; {meta['pairs']} DM pairs and {meta['pairs']} rooms of 2 "
             f"on one Phare process; steps of {meta['seconds']} s; clients, server, Redis, PostgreSQL and py-spy "
             "on the same cores.", "",
             "| kind | offered/s | delivered/s | p50 ms | p99 ms | lost | server CPU µs/delivery | server user/sys s "
             "| PostgreSQL CPU µs/delivery | machine busy (cores) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in run["steps"]:
        lines.append(f"| {s['kind']} | {s['offered_rate']:,.0f} | {s['delivery_rate']:,.1f} | {s['p50_ms']} | {s['p99_ms']} | "
                     f"{s['lost']} | {s['server_cpu_us_per_delivery']} | {s['server_utime_s']}/{s['server_stime_s']} | "
                     f"{s['postgres_cpu_us_per_delivery']} | {s['machine_busy_cores']} |")
    lines += ["", "Trips per message (PostgreSQL counters approximate; Redis: the private server's commandstats):", "",
              "| kind | offered/s | PG commits | PG rows inserted | PG table scans | Redis calls (by command) |",
              "|---|---:|---:|---:|---:|---|"]
    for s in run["steps"]:
        pg = s.get("postgres_per_message") or {}
        calls = ", ".join(f"{k} {v}" for k, v in s["redis_calls_per_message"].items())
        lines.append(f"| {s['kind']} | {s['offered_rate']:,.0f} | {pg.get('commits')} | {pg.get('rows_inserted')} | "
                     f"{pg.get('table_scans')} | {calls} |")
    by_rate: dict[float, dict] = collections.defaultdict(dict)
    for p in run["profiles"]:
        by_rate[p["rate"]][p["kind"]] = p
    for rate, pair in by_rate.items():
        dm, room = pair.get("dm"), pair.get("room")
        if not dm or not room:
            continue
        lines += ["", f"Profile at {rate:,.0f} deliveries/s offered ({dm['messages']} DMs, {room['messages']} room "
                      f"messages): {dm['busy_ms_per_message']} against {room['busy_ms_per_message']} ms with the GIL "
                      "per message (py-spy --gil samples).", "",
                  "| part (inclusive) | DM share | DM ms/msg | room share | room ms/msg | DM/room per msg |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, _ in PARTS:
            d, r = dm["parts"][name], room["parts"][name]
            ratio = f"{d['ms_per_message'] / r['ms_per_message']:.1f}" if r["ms_per_message"] else "–"
            lines.append(f"| {name} | {d['share']:.1%} | {d['ms_per_message']} | {r['share']:.1%} | "
                         f"{r['ms_per_message']} | {ratio} |")
        lines += ["", "| thread group | DM GIL share | DM GIL ms/msg | DM CPU ms/msg (/proc) | room GIL share "
                  "| room GIL ms/msg | room CPU ms/msg (/proc) |", "|---|---:|---:|---:|---:|---:|---:|"]
        for group in sorted(set(dm["threads"]) | set(room["threads"]) | set(dm["thread_cpu_ms_per_message"])):
            d = dm["threads"].get(group, {"share": 0, "ms_per_message": 0})
            r = room["threads"].get(group, {"share": 0, "ms_per_message": 0})
            lines.append(f"| {group} | {d['share']:.1%} | {d['ms_per_message']} | {dm['thread_cpu_ms_per_message'].get(group, 0)} "
                         f"| {r['share']:.1%} | {r['ms_per_message']} | {room['thread_cpu_ms_per_message'].get(group, 0)} |")
        for kind, p in (("DM", dm), ("room", room)):
            lines += ["", f"Top functions, {kind}, cumulative: " + "; ".join(f"`{k}` {v:.1%}" for k, v in p["top_cumulative"][:25]),
                      "", f"Top functions, {kind}, self: " + "; ".join(f"`{k}` {v:.1%}" for k, v in p["top_self"][:12])]
    if run.get("wall"):
        w = run["wall"]
        lines += ["", f"Posting threads' wall time, DMs at {w['rate']:,.0f}/s ({w['threads']} threads seen): "
                  + "; ".join(f"{k} {v:.1%}" for k, v in w["parts"].items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--rates", default="200,400,800", help="deliveries per second offered, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0, help="sending window of each step")
    parser.add_argument("--drain", type=float, default=5.0, help="longest wait for a step's deliveries")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the benchmark's database at the end")
    args = parser.parse_args()

    logdir = REPO / "var" / "bench"
    logdir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    spy = None if args.no_profile else py_spy_path()
    if not args.no_profile and spy is None:
        print("py-spy not found (PY_SPY, PATH, /tmp/pyspy/bin): figures only", flush=True)
    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = fanout.base_env()
    env["DATABASE_URL"] = db_url
    redis_process, redis_port = start_redis(logdir)
    env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    server = None
    load_before = os.getloadavg()[0]
    try:
        fanout.prepare_database(env)
        slugs = [f"{ROOM_PREFIX}{i}" for i in range(args.pairs)]
        request = {"adults": 2 * args.pairs, "minors": 0, "rooms": [{"slug": s, "audience": "adults"} for s in slugs]}
        setup = subprocess.run([PY, "bench/s2_setup.py"], cwd=REPO, env=env, input=json.dumps(request),
                               capture_output=True, text=True, timeout=600)
        if setup.returncode != 0:
            raise SystemExit(setup.stderr[-3000:])
        accounts = json.loads(setup.stdout)["adults"]
        server, port, log = start_phare(env, logdir)
        plan = {
            "system": "S2", "scenario": "dm_profile", "mode": "dm", "host": "127.0.0.1", "port": port, "path": "/ws/",
            "clients": [{"uid": a["uid"], "cookie": a["cookie"], "rooms": [slugs[i // 2]]} for i, a in enumerate(accounts)],
            "rooms": {slug: {"members": [2 * i, 2 * i + 1], "minors": False} for i, slug in enumerate(slugs)},
            "dm_pairs": [[2 * i, 2 * i + 1] for i in range(args.pairs)],
            "policy": True, "blocked_share": 0.0,
            "server_pids": [server.pid], "aux_pids": [redis_process.pid], "redis_port": redis_port,
        }
        if loadgen.uvloop is not None:
            loadgen.uvloop.install()
        run = asyncio.run(drive(plan, args, spy, logdir, stamp, db_url))
        errors = [line for line in log.read_text(errors="replace").splitlines() if "Error" in line or "Traceback" in line]
        run["server_log_errors"] = len(errors)
    finally:
        if server is not None:
            fanout.stop(server)
        fanout.stop(redis_process)
        if not args.keep_db:
            try:
                drop_database(db_url)
            except Exception as exc:  # noqa: BLE001 - reported, the figures are still printed
                print(f"could not drop the database: {exc}", flush=True)
    meta = {"when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
                       f"load average {load_before:.2f} before / {os.getloadavg()[0]:.2f} after",
            "pairs": args.pairs, "seconds": args.seconds, "py_spy": spy}
    path = logdir / f"dm_profile-{stamp}.json"
    path.write_text(json.dumps({"meta": meta, "run": run}, indent=1))
    print("\n" + report(run, meta))
    print(f"\nraw results: {path.relative_to(REPO)}; server log errors: {run['server_log_errors']}", flush=True)


if __name__ == "__main__":
    main()
