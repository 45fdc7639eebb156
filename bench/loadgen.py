"""Load generator for the fan-out benchmark: one process, many WebSocket clients, open loop.

Run by bench/fanout.py with a JSON plan on standard input; prints one JSON result on standard
output. It speaks Phare's protocol-v1 frames (`room.join`, `room.send`, `dm.open`, `dm.accept`,
`dm.send`) to any of the three servers and measures, per offered rate:

- deliveries: every `room.message` / `dm.message` frame a client receives, matched to the
  message it carries by a token in the body (so the same frames work on S0, S1 and S2);
- latency: receive time minus send time, both read in this process (one clock);
- lost: expected deliveries that did not arrive before the drain deadline; duplicated: a
  client receiving the same message twice; blocked-delivered: a message the policy refused
  (S2 answers `blocked_by_policy`) that reached anyone anyway;
- CPU of the server processes, from /proc/<pid>/stat, over the sending window and drain.

The client is a minimal RFC 6455 implementation on an asyncio Protocol (no compression, zero
masking key) because a full client library costs more CPU per frame than the servers under
test and would make the generator the bottleneck on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import statistics
import sys
import time
from typing import Any

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a dependency of uvicorn[standard]
    uvloop = None

CONSONANTS = "bcdfghjklmnpqrstvwxz"
TOKEN_LEN = 7
CLK_TCK = os.sysconf("SC_CLK_TCK")
PHRASES = [
    "salut tout le monde, ça va ?",
    "quel film vous avez vu ce week-end ?",
    "bonne soirée à tous",
    "je suis d'accord avec toi",
    "hello everyone, how is it going?",
    "did anyone watch the match yesterday?",
]
# A minors' room refuses this (contact_phone): S2 must answer blocked_by_policy and deliver nothing.
BLOCKED_PHRASE = "mon numero 06 12 34 56 78 appelle moi"


# After a failed step (whose drain already ran to its end): a moment for the server's backlog.
FAILED_STEP_PAUSE_SECONDS = 1.0


def token_for(n: int) -> str:
    chars = []
    for _ in range(TOKEN_LEN):
        n, r = divmod(n, len(CONSONANTS))
        chars.append(CONSONANTS[r])
    return "".join(chars)


# A delivery's frame starts with its type (all three servers write "type" first, compactly) and
# its body ends with " ref <token>". The generator reads the token from the bytes without
# parsing the JSON: deliveries are most of what it handles, and json.loads plus decoding the
# token were a third of its CPU per delivery (8.4 and 2.3 of ~30 µs on a slow machine,
# docs/benchmarks.md), CPU that the server under test shares on 2 cores.
DELIVERY_PREFIXES = (b'{"type":"room.message"', b'{"type":"dm.message"')
TOKEN_MARK = b" ref "


def token_in_frame(payload: bytes) -> bytes | None:
    """The token of a delivery frame read from its bytes, or None when the frame is not a
    delivery in the expected shape (it is then parsed as JSON)."""
    if not payload.startswith(DELIVERY_PREFIXES):
        return None
    at = payload.rfind(TOKEN_MARK)
    end = at + len(TOKEN_MARK) + TOKEN_LEN
    if at < 0 or payload[end:end + 1] != b'"':
        return None
    return payload[end - TOKEN_LEN:end]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (all threads)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total / CLK_TCK


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return values[index]


class Tracker:
    """Sent messages and what arrived, for one step."""

    def __init__(self) -> None:
        self.sent: dict[bytes, list[Any]] = {}  # token -> [t_send, expected, received, blocked]
        self.latencies: list[float] = []
        self.duplicates = 0
        self.unknown = 0
        self.blocked_delivered = 0
        self.errors: dict[str, int] = {}
        self.acks = 0

    def expected(self) -> int:
        return sum(entry[1] for entry in self.sent.values())

    def received(self) -> int:
        return sum(min(entry[2], entry[1]) for entry in self.sent.values())


class Client(asyncio.Protocol):
    def __init__(self, gen: "Generator", index: int) -> None:
        self.gen = gen
        self.index = index
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.waiting: dict[str, asyncio.Future] = {}
        self.seen: set[bytes] = set()
        self.events: list[dict] = []
        self.closed_code: int | None = None
        self.frame_ids = 0

    # --- transport ---------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"lost before handshake: {exc}"))
        self.gen.closed_sockets += 1
        if self.closed_code is None:
            self.closed_code = 1006

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self.buffer
        buf += data
        if not self.handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end])
            del buf[: end + 4]
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                self.opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                return
            self.handshaken = True
            self.opened.set_result(True)
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            b0 = buf[pos]
            length = buf[pos + 1] & 0x7F
            header = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 4], "big")
                header = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                header = 10
            if size - pos < header + length:
                break
            payload = bytes(buf[pos + header:pos + header + length])
            pos += header + length
            opcode = b0 & 0x0F
            if opcode == 1:
                self.on_text(payload, now)
            elif opcode == 9:
                self.send_frame(payload, opcode=0xA)
            elif opcode == 8:
                self.closed_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.send_frame(payload[:2], opcode=8)
                if self.transport is not None:
                    self.transport.close()
        if pos:
            del buf[:pos]

    def send_frame(self, payload: bytes, opcode: int = 1) -> None:
        length = len(payload)
        if length < 126:
            head = bytes((0x80 | opcode, 0x80 | length))
        elif length < 65536:
            head = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
        # A zero masking key leaves the payload as is (valid framing; saves an XOR per byte).
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(head + b"\0\0\0\0" + payload)

    def send_json(self, frame: dict) -> None:
        self.send_frame(json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode())

    # --- protocol ----------------------------------------------------------------
    def on_text(self, payload: bytes, now: float) -> None:
        token = token_in_frame(payload)
        if token is not None:
            self.gen.on_delivery(self, token, now)
            return
        frame = json.loads(payload)
        kind = frame.get("type")
        if kind == "room.message" or kind == "dm.message":
            self.gen.on_delivery(self, frame["message"]["body"][-TOKEN_LEN:].encode(), now)
            return
        if kind in ("ack", "error"):
            future = self.waiting.pop(frame.get("id"), None)
            if future is not None and not future.done():
                future.set_result(frame)
                return
            self.gen.on_answer(frame)
            return
        self.events.append(frame)

    async def request(self, frame_type: str, timeout: float = 30.0, **fields: Any) -> dict:
        self.frame_ids += 1
        frame_id = f"s{self.frame_ids}"
        future = asyncio.get_running_loop().create_future()
        self.waiting[frame_id] = future
        self.send_json({"type": frame_type, "id": frame_id, **fields})
        return await asyncio.wait_for(future, timeout)

    async def next_event(self, kind: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, event in enumerate(self.events):
                if event.get("type") == kind:
                    return self.events.pop(i)
            await asyncio.sleep(0.01)
        raise TimeoutError(f"no {kind} event")


class Generator:
    def __init__(self, plan: dict) -> None:
        self.plan = plan
        self.clients: list[Client] = []
        self.tracker = Tracker()
        self.next_token = random.randrange(1, 10**6)
        self.closed_sockets = 0

    def on_delivery(self, client: Client, token: bytes, now: float) -> None:
        tracker = self.tracker
        entry = tracker.sent.get(token)
        if entry is None:
            # Not a token of this step: a late delivery from an earlier step (counted lost
            # there), or a body the generator did not write.
            tracker.unknown += 1
            return
        if token in client.seen:
            tracker.duplicates += 1
            return
        client.seen.add(token)
        entry[2] += 1
        if entry[3]:
            tracker.blocked_delivered += 1
        tracker.latencies.append(now - entry[0])

    def on_answer(self, frame: dict) -> None:
        if frame["type"] == "ack":
            self.tracker.acks += 1
        else:
            code = frame.get("error", {}).get("code", "?")
            self.tracker.errors[code] = self.tracker.errors.get(code, 0) + 1

    async def connect_all(self) -> None:
        loop = asyncio.get_running_loop()
        host, port, path = self.plan["host"], self.plan["port"], self.plan["path"]
        semaphore = asyncio.Semaphore(self.plan.get("connect_concurrency", 50))

        async def connect(index: int, spec: dict) -> Client:
            async with semaphore:
                client: Client
                _, client = await loop.create_connection(lambda: Client(self, index), host, port)
                key = base64.b64encode(os.urandom(16)).decode()
                lines = [
                    f"GET {path}{spec.get('query', '')} HTTP/1.1",
                    f"Host: {host}:{port}",
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    f"Sec-WebSocket-Key: {key}",
                    "Sec-WebSocket-Version: 13",
                    f"Origin: http://{host}:{port}",
                ]
                if spec.get("cookie"):
                    lines.append(f"Cookie: {spec['cookie']}")
                client.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
                await asyncio.wait_for(client.opened, 60)
                return client

        self.clients = list(await asyncio.gather(*(connect(i, s) for i, s in enumerate(self.plan["clients"]))))

    async def join_all(self) -> None:
        semaphore = asyncio.Semaphore(50)

        async def join(client: Client, room: str) -> None:
            async with semaphore:
                answer = await client.request("room.join", room=room, timeout=120)
                if answer["type"] != "ack":
                    raise RuntimeError(f"join {room} refused: {answer}")

        jobs = []
        for client, spec in zip(self.clients, self.plan["clients"]):
            for room in spec.get("rooms", []):
                jobs.append(join(client, room))
        await asyncio.gather(*jobs)
        # Let the joins settle before measuring (history answers, group subscriptions).
        await asyncio.sleep(0.5)

    async def open_dms(self) -> list[tuple[int, int, str]]:
        """Open and accept one conversation per pair; returns (a, b, conversation id)."""
        pairs = []
        for a, b in self.plan["dm_pairs"]:
            sender, recipient = self.clients[a], self.clients[b]
            answer = await sender.request("dm.open", to=self.plan["clients"][b]["uid"], body="salut, on discute ?")
            if answer["type"] != "ack":
                raise RuntimeError(f"dm.open refused: {answer}")
            conversation = answer["conversation"]["id"]
            await recipient.next_event("dm.request")
            answer = await recipient.request("dm.accept", conversation=conversation)
            if answer["type"] != "ack":
                raise RuntimeError(f"dm.accept refused: {answer}")
            pairs.append((a, b, conversation))
        await asyncio.sleep(0.5)
        for client in self.clients:
            client.events.clear()
        return pairs

    def senders(self, pairs: list[tuple[int, int, str]]) -> tuple[list[tuple], list[tuple], float]:
        """(normal candidates, blocked candidates, deliveries per message)."""
        normal, blocked = [], []
        if self.plan["mode"] == "dm":
            for a, b, conversation in pairs:
                normal.append((a, "dm.send", {"conversation": conversation}, 2))
                normal.append((b, "dm.send", {"conversation": conversation}, 2))
            return normal, blocked, 2.0
        sizes = {slug: len(room["members"]) for slug, room in self.plan["rooms"].items()}
        for slug, room in self.plan["rooms"].items():
            for member in room["members"]:
                candidate = (member, "room.send", {"room": slug}, sizes[slug])
                normal.append(candidate)
                if room.get("minors"):
                    blocked.append(candidate)
        per_message = statistics.mean(c[3] for c in normal)
        return normal, blocked, per_message

    async def run_step(self, rate: float, seconds: float, drain: float, candidates) -> dict:
        normal, blocked, per_message = candidates
        policy = self.plan["policy"]
        blocked_share = self.plan.get("blocked_share", 0.0) if blocked else 0.0
        tracker = self.tracker = Tracker()
        for client in self.clients:
            client.seen.clear()
        pids = self.plan["server_pids"]
        aux = self.plan.get("aux_pids", [])
        msg_rate = rate / per_message
        rng = random.Random(int(rate))
        cpu0, aux0, own0 = cpu_seconds(pids), cpu_seconds(aux), sum(os.times()[:2])
        t0 = time.perf_counter()
        sent = 0
        while True:
            now = time.perf_counter()
            elapsed = now - t0
            if elapsed >= seconds:
                break
            due = int(elapsed * msg_rate) - sent
            for _ in range(due):
                is_blocked = blocked_share > 0 and rng.random() < blocked_share
                member, frame_type, fields, fanout = rng.choice(blocked if is_blocked else normal)
                self.next_token += 1
                token = token_for(self.next_token)
                body = (BLOCKED_PHRASE if is_blocked else rng.choice(PHRASES)) + " ref " + token
                expected = 0 if (is_blocked and policy) else fanout
                tracker.sent[token.encode()] = [time.perf_counter(), expected, 0, is_blocked and policy]
                self.clients[member].send_json({"type": frame_type, "id": "x", "body": body, **fields})
            sent += max(due, 0)
            await asyncio.sleep(0.001)
        send_window = time.perf_counter() - t0
        expected = tracker.expected()
        deadline = time.perf_counter() + drain
        while time.perf_counter() < deadline:
            if tracker.received() >= expected:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(pids) - cpu0
        aux_cpu = cpu_seconds(aux) - aux0
        own = sum(os.times()[:2]) - own0
        received = tracker.received()
        lat = tracker.latencies
        blocked_sent = sum(1 for entry in tracker.sent.values() if entry[3])
        return {
            "offered_rate": rate,
            "messages_sent": sent,
            "send_window_s": round(send_window, 3),
            "expected": expected,
            "delivered": received,
            "lost": expected - received,
            "duplicated": tracker.duplicates,
            "late_or_unknown": tracker.unknown,
            "delivery_rate": round(received / send_window, 1) if send_window else 0,
            "p50_ms": round(percentile(lat, 0.50) * 1000, 2) if lat else None,
            "p99_ms": round(percentile(lat, 0.99) * 1000, 2) if lat else None,
            "max_ms": round(max(lat) * 1000, 2) if lat else None,
            "blocked_sent": blocked_sent,
            "blocked_delivered": tracker.blocked_delivered,
            "errors": tracker.errors,
            "server_cpu_s": round(cpu, 3),
            "server_cpu_us_per_delivery": round(cpu / received * 1e6, 1) if received else None,
            "aux_cpu_s": round(aux_cpu, 3),
            "generator_cpu_share": round(own / elapsed, 3),
            "closed_sockets": self.closed_sockets,
        }

    async def run(self) -> dict:
        plan = self.plan
        result: dict[str, Any] = {"system": plan["system"], "scenario": plan["scenario"]}
        t_setup = time.perf_counter()
        await self.connect_all()
        pairs: list = []
        if plan["mode"] == "dm":
            pairs = await self.open_dms()
        else:
            await self.join_all()
        result["setup_s"] = round(time.perf_counter() - t_setup, 2)
        idle = plan.get("idle_seconds", 0)
        if idle:
            await asyncio.sleep(1.0)
            cpu0 = cpu_seconds(plan["server_pids"])
            t0 = time.perf_counter()
            await asyncio.sleep(idle)
            result["idle_cpu_share"] = round((cpu_seconds(plan["server_pids"]) - cpu0) / (time.perf_counter() - t0), 4)
            result["idle_sockets"] = len(self.clients)
        candidates = self.senders(pairs)
        steps = []
        # Warm-up, not recorded: first-use costs (connection pools, caches, code paths).
        await self.run_step(plan["fixed_rate"] / 2, 1.5, plan["drain_seconds"], candidates)
        await asyncio.sleep(0.3)
        fixed = await self.run_step(plan["fixed_rate"], plan["step_seconds"], plan["drain_seconds"], candidates)
        result["fixed"] = fixed
        # Double the offered rate until a step fails, then bisect (`bisections` times, three in
        # bench/fanout.py) between the last passing and the first failing rate.
        low, high = 0.0, None
        rate = float(plan["start_rate"])
        bisections = 0
        t_search = time.perf_counter()
        while True:
            if time.perf_counter() - t_search > plan.get("budget_seconds", 1e9):
                result["budget_exhausted"] = True
                break
            step = await self.run_step(rate, plan["step_seconds"], plan["drain_seconds"], candidates)
            step["ok"] = self.step_ok(step)
            steps.append(step)
            await asyncio.sleep(0.3 if step["ok"] else FAILED_STEP_PAUSE_SECONDS)
            if not step["ok"] and not step["lost"] and not step["duplicated"] and not step["blocked_delivered"]:
                # Only latency failed: on a shared machine one stall of another process can
                # push a step's p99 over the budget, so a rate is retried once before it counts
                # as failed (both steps are reported).
                step = await self.run_step(rate, plan["step_seconds"], plan["drain_seconds"], candidates)
                step["ok"] = self.step_ok(step)
                step["retry"] = True
                steps.append(step)
                await asyncio.sleep(0.3 if step["ok"] else FAILED_STEP_PAUSE_SECONDS)
            if step["ok"]:
                low = rate
            else:
                high = rate
            if high is None:
                if rate >= plan["max_rate"]:
                    break
                rate = min(rate * 2, plan["max_rate"])
                continue
            if bisections >= plan.get("bisections", 2) or (low and high / low < 1.15):
                break
            bisections += 1
            rate = round((low + high) / 2 if low else high / 2, -2)
        result["steps"] = steps
        passing = [s for s in steps if s["ok"]]
        result["sustained_rate"] = max((s["delivery_rate"] for s in passing), default=0)
        result["sustained_offered"] = max((s["offered_rate"] for s in passing), default=0)
        for client in self.clients:
            if client.transport is not None:
                client.transport.close()
        return result

    def step_ok(self, step: dict) -> bool:
        unexpected = {k: v for k, v in step["errors"].items() if k != "blocked_by_policy"}
        return (
            step["lost"] == 0
            and step["duplicated"] == 0
            and step["blocked_delivered"] == 0
            and not unexpected
            and step["p99_ms"] is not None
            and step["p99_ms"] <= self.plan["p99_budget_ms"]
        )


def main() -> None:
    plan = json.load(sys.stdin)
    if uvloop is not None:
        uvloop.install()
    result = asyncio.run(Generator(plan).run())
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
