"""Scrape-time metrics read from PostgreSQL and the Celery broker.

They describe shared state (the moderation queue, the task queues), not one process, so they
are computed once per scrape instead of being counted by each process.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger("phare.metrics")

# Queues named and routed in settings (CELERY_TASK_ROUTES). kombu's Redis transport keeps a
# queue as a list under its name, plus one list per priority step with this separator.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)


def celery_queue_names() -> list[str]:
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in settings.CELERY_TASK_ROUTES.values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


class ModerationQueueCollector:
    """Open cases by priority, cases past their SLA, untriaged automatic flags."""

    OPEN_STATES = ("open", "claimed")

    def collect(self):
        try:
            yield from self._collect()
        except DatabaseError as exc:
            # The scrape still answers with the process metrics; /readyz reports the database.
            logger.warning("moderation metrics unavailable",
                           extra={"event": "metrics.moderation_failed", "error": type(exc).__name__})

    def _collect(self):
        now = timezone.now()
        untriaged = GaugeMetricFamily(
            "phare_flags_untriaged", "Automatic flags the triage task has not processed yet."
        )
        Flag = apps.get_model("moderation", "Flag")
        untriaged.add_metric([], Flag.objects.filter(triaged_at__isnull=True).count())
        yield untriaged

        open_cases = GaugeMetricFamily(
            "phare_open_cases", "Moderation cases not decided yet, by priority.", labels=["priority"]
        )
        breaches = GaugeMetricFamily(
            "phare_sla_breaches", "Open moderation cases past their SLA deadline.", labels=["priority"]
        )
        try:
            Case = apps.get_model("moderation", "Case")
        except LookupError:  # the moderation queue is not installed in this version
            yield open_cases
            yield breaches
            return
        field_names = {f.name for f in Case._meta.get_fields()}
        query = Case.objects.all()
        if "status" in field_names:
            query = query.filter(status__in=self.OPEN_STATES)
        if "priority" not in field_names:
            open_cases.add_metric(["all"], query.count())
        else:
            for row in query.values("priority").annotate(n=Count("pk")):
                open_cases.add_metric([str(row["priority"])], row["n"])
            if "sla_due_at" in field_names:
                late = query.filter(sla_due_at__lt=now).values("priority").annotate(n=Count("pk"))
                for row in late:
                    breaches.add_metric([str(row["priority"])], row["n"])
        yield open_cases
        yield breaches


class CeleryQueueCollector:
    """Tasks waiting in each named queue (Redis broker only)."""

    def collect(self):
        depth = GaugeMetricFamily(
            "phare_queue_depth", "Celery tasks waiting in a queue.", labels=["queue"]
        )
        url = settings.CELERY_BROKER_URL
        if url.startswith(("redis://", "rediss://")) and not settings.CELERY_TASK_ALWAYS_EAGER:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            try:
                for queue in celery_queue_names():
                    keys = [queue] + [f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS[1:]]
                    depth.add_metric([queue], sum(client.llen(key) for key in keys))
            except redis.RedisError as exc:
                logger.warning("queue depth unavailable", extra={"event": "metrics.queue_depth_failed",
                                                                 "error": type(exc).__name__})
            finally:
                client.close()
        yield depth
