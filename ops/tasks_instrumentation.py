"""Celery task timings, queue waits and failures, recorded from Celery's signals."""

from __future__ import annotations

import logging
import time

from celery import signals

from ops import metrics

logger = logging.getLogger("phare.tasks")

# Header set when a task is published, read when a worker starts it: the queue wait.
ENQUEUED_AT_HEADER = "phare_enqueued_at"
_started: dict[str, float] = {}


def _task_name(task) -> str:
    return getattr(task, "name", None) or "unknown"


def _on_publish(sender=None, headers=None, **kwargs) -> None:
    if headers is not None:
        headers[ENQUEUED_AT_HEADER] = time.time()


def _on_prerun(task_id=None, task=None, **kwargs) -> None:
    if task_id is None:
        return
    _started[task_id] = time.perf_counter()
    request = getattr(task, "request", None)
    enqueued_at = getattr(request, ENQUEUED_AT_HEADER, None) if request is not None else None
    if enqueued_at is None and request is not None:
        enqueued_at = (getattr(request, "headers", None) or {}).get(ENQUEUED_AT_HEADER)
    if isinstance(enqueued_at, (int, float)) and not getattr(request, "is_eager", False):
        queue = ((getattr(request, "delivery_info", None) or {}).get("routing_key")) or "unknown"
        metrics.TASK_QUEUE_WAIT.labels(queue).observe(max(0.0, time.time() - enqueued_at))


def _on_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None) if task_id else None
    if started is None:
        return
    duration = time.perf_counter() - started
    metrics.TASK_DURATION.labels(_task_name(task)).observe(duration)
    logger.info(
        "task finished",
        extra={"event": "task.finished", "task": _task_name(task), "task_id": task_id,
               "state": state, "duration_ms": round(duration * 1000, 2)},
    )


def _on_failure(sender=None, task_id=None, exception=None, **kwargs) -> None:
    metrics.TASK_FAILURES.labels(_task_name(sender)).inc()
    # The exception's class only: its text may quote data the task was working on.
    logger.error(
        "task failed",
        extra={"event": "task.failed", "task": _task_name(sender), "task_id": task_id,
               "error": type(exception).__name__ if exception is not None else None},
    )


def _start_worker_exporter(sender=None, **kwargs) -> None:
    """Workers have no HTTP server: with PHARE_WORKER_METRICS_PORT set, the worker's main
    process serves /metrics for itself and its pool processes (multiprocess mode)."""
    from django.conf import settings

    port = settings.PHARE_WORKER_METRICS_PORT
    if not port:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client import multiprocess

    options: dict = {}
    if settings.PHARE_WORKER_METRICS_ADDR:
        options["addr"] = settings.PHARE_WORKER_METRICS_ADDR  # else the library's: every interface
    if metrics.multiprocess_dir():
        options["registry"] = CollectorRegistry()
        multiprocess.MultiProcessCollector(options["registry"])
    start_http_server(port, **options)
    logger.info("worker metrics served", extra={"event": "worker.metrics", "port": port})


def _on_process_shutdown(**kwargs) -> None:
    metrics.mark_this_process_dead()


def connect() -> None:
    signals.worker_ready.connect(_start_worker_exporter, weak=False, dispatch_uid="phare-ops-exporter")
    signals.worker_process_shutdown.connect(_on_process_shutdown, weak=False,
                                            dispatch_uid="phare-ops-process-shutdown")
    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="phare-ops-publish")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="phare-ops-prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="phare-ops-postrun")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="phare-ops-failure")
