"""Prometheus metrics: the counters and gauges every process updates, and the scrape.

Several ASGI and worker processes run side by side. With PROMETHEUS_MULTIPROC_DIR set (before
the process starts), prometheus-client keeps each process's values in files in that directory
and a scrape of any process reads them all (its "multiprocess mode"). Without it, each process
exposes its own values only, and Prometheus must scrape every process (docs/operations.md).

This module is a leaf: it imports nothing of Phare's, so any app may count through it, the way
it logs through `logging`.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess

CONTENT_TYPE = CONTENT_TYPE_LATEST


class CountedPerLoopTurn:
    """A Prometheus counter incremented once per turn of the event loop, by what was counted.

    For counts made once per delivery, on the loop that owns the sockets: `Counter.inc` takes
    a lock (and in multiprocess mode writes to a shared file), which was 3 % of the server's
    CPU in rooms of 100 (docs/benchmarks.md); here a delivery adds to a plain int and the
    first of a turn schedules the addition to the counter, so a scrape sees every count at
    most one loop turn late. Called from one thread (the event loop's); without a running
    loop the counter is incremented at once.
    """

    __slots__ = ("counter", "pending")

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.pending = 0

    def inc(self) -> None:
        if not self.pending:
            try:
                asyncio.get_running_loop().call_soon(self._add_pending)
            except RuntimeError:
                self.counter.inc()
                return
        self.pending += 1

    def _add_pending(self) -> None:
        pending, self.pending = self.pending, 0
        self.counter.inc(pending)


CONNECTED_SOCKETS = Gauge(
    "phare_connected_sockets", "WebSocket connections open now.", multiprocess_mode="livesum"
)
DELIVERIES = CountedPerLoopTurn(Counter("phare_deliveries_total", "Events written to a client socket."))
DELIVERIES_HIDDEN = CountedPerLoopTurn(Counter(
    "phare_deliveries_hidden_total",
    "Events not written to a socket because its user muted or blocked the author.",
))
MESSAGES = Counter(
    "phare_messages_total",
    "Messages posted, by where and what became of them.",
    ["context", "outcome"],  # outcome: delivered, held, blocked
)
VERDICTS = Counter(
    "phare_verdicts_total", "Safety gate verdicts by decision.", ["context", "decision"]
)
VERDICT_REASONS = Counter(
    "phare_verdict_reasons_total",
    "Reason codes given by the safety gate (a verdict with two reasons counts twice).",
    ["context", "decision", "reason"],
)
RATE_LIMITED = Counter(
    "phare_rate_limited_total", "Requests or frames refused as too fast.", ["channel", "reason"]
)
REFUSALS = Counter(
    "phare_refusals_total", "Refusals sent to clients, by stable error code.", ["channel", "code"]
)
# Person-to-person contact the age-band matrix refused (accounts.policies): a DM request or a
# reply towards a band the sender may not reach. The sender was told `not_found` (a request)
# or `contact_not_allowed` (a reply); an older band towards a younger one is the row to watch.
CONTACT_REFUSED = Counter(
    "phare_contact_refused_total",
    "Direct messages refused by the age-band contact matrix, by the sender's and the recipient's band.",
    ["from_band", "to_band"],
)
HTTP_RESPONSES = Counter(
    "phare_http_responses_total", "HTTP responses by method and status.", ["method", "status"]
)
HTTP_DURATION = Histogram(
    "phare_http_request_duration_seconds", "Time to answer an HTTP request.", ["method"]
)
TASK_DURATION = Histogram(
    "phare_task_duration_seconds",
    "Celery task run time.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
TASK_QUEUE_WAIT = Histogram(
    "phare_task_queue_wait_seconds",
    "Time a Celery task waited in its queue before a worker started it.",
    ["queue"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600),
)
TASK_FAILURES = Counter("phare_task_failures_total", "Celery tasks that raised.", ["task"])

# The fan-out layer's losses and failures (chat.realtime.fanout; docs/reliability.md). Only
# rare events are counted: a delivery's own path adds to nothing but the layer's `STATS`.
FANOUT_LOST = Counter(
    "phare_fanout_lost_total",
    "Fan-out messages lost on their way to sockets, by why: sequence_gap (stream entries this "
    "process never read), publish_failed, unreadable (a stream entry that could not be decoded), "
    "channel_full (a consumer's queue), slow_socket (the backlog of a socket closed 1013).",
    ["reason"],
)
FANOUT_SOCKETS_CLOSED = Counter(
    "phare_fanout_sockets_closed_total",
    "Sockets the fan-out layer had closed: slow (fell 1,000 events behind, 1013) or failed "
    "(delivering to it raised, 1011).",
    ["reason"],
)
FANOUT_READER_ERRORS = Counter(
    "phare_fanout_reader_errors_total", "Errors reading the fan-out stream (each followed by a retry)."
)
FANOUT_RESYNCS = Counter(
    "phare_fanout_resyncs_total",
    "Times a process told its sockets to resync (fetch history), by why: publish_failed, "
    "sequence_gap, restarted (Redis lost its data), reconnected (the reader lost Redis for a while).",
    ["reason"],
)


# The labelled counters of the posting path, found once per label set: `labels()` takes a
# lock and builds a key on every call, four times what the increment costs. Label values are
# codes from fixed sets, so the cache stays small.
@functools.lru_cache(maxsize=1024)
def _message_counter(context: str, outcome: str):
    return MESSAGES.labels(context, outcome)


@functools.lru_cache(maxsize=1024)
def _verdict_counter(context: str, decision: str):
    return VERDICTS.labels(context, decision)


@functools.lru_cache(maxsize=1024)
def _verdict_reason_counter(context: str, decision: str, reason: str):
    return VERDICT_REASONS.labels(context, decision, reason)


def count_message(*, context: str, outcome: str) -> None:
    _message_counter(context, outcome).inc()


def count_verdict(*, context: str, decision: str, reasons: Iterable[str]) -> None:
    _verdict_counter(context, decision).inc()
    for reason in reasons:
        _verdict_reason_counter(context, decision, reason).inc()


def count_refusal(*, channel: str, code: str, reason: str | None = None) -> None:
    REFUSALS.labels(channel, code).inc()
    if code == "rate_limited":
        RATE_LIMITED.labels(channel, reason or "rate_limited").inc()


def count_contact_refused(*, from_band: str, to_band: str) -> None:
    CONTACT_REFUSED.labels(from_band, to_band).inc()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def render(extra_collectors: Iterable[object] = ()) -> bytes:
    """The exposition text: every process's metrics in multiprocess mode, else this one's."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultRegistryView())
    for collector in extra_collectors:
        registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry)


class _DefaultRegistryView:
    """The process's default registry, wrapped so that scrape-time collectors can join it
    without being registered globally (they query the database; only a scrape should)."""

    def collect(self):
        return REGISTRY.collect()


def mark_this_process_dead() -> None:
    """Drop this process's live gauges (connected sockets) from the shared directory."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())
