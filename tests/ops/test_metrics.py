"""Prometheus metrics: deliveries, verdicts, refusals, tasks, the moderation queue, queue depth."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from celery import shared_task
from django.test import Client
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from accounts.models import AgeBand
from ops import collectors
from ops.metrics import CountedPerLoopTurn


def sample(name: str, labels: dict | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_metrics_count_a_delivered_and_a_blocked_message(make_user, minors_room, ws_client, settings):
    tom = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "tom_k")
    lea = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "lea_b")
    delivered = {"context": "room", "outcome": "delivered"}
    blocked = {"context": "room", "outcome": "blocked"}
    phone_reason = {"context": "room", "decision": "block", "reason": "contact_phone"}
    before = (sample("phare_messages_total", delivered), sample("phare_messages_total", blocked),
              sample("phare_deliveries_total"), sample("phare_verdict_reasons_total", phone_reason),
              sample("phare_connected_sockets"))
    t, l = await ws_client(tom), await ws_client(lea)
    assert sample("phare_connected_sockets") == before[4] + 2
    await t.request("room.join", room="college")
    await l.request("room.join", room="college")

    assert (await t.request("room.send", room="college", body="on révise ce soir ?"))["type"] == "ack"
    assert (await l.next_event())["type"] == "room.message"
    refused = await t.request("room.send", room="college", body="mon numéro 06 12 34 56 78")
    assert refused["error"]["code"] == "blocked_by_policy"

    assert sample("phare_messages_total", delivered) == before[0] + 1
    assert sample("phare_messages_total", blocked) == before[1] + 1
    # Both sockets in the room received the delivered message (the author's too).
    assert sample("phare_deliveries_total") == before[2] + 2
    assert sample("phare_verdict_reasons_total", phone_reason) == before[3] + 1
    assert sample("phare_refusals_total", {"channel": "ws", "code": "blocked_by_policy"}) >= 1

    settings.PHARE_METRICS_TOKEN = "scrape-token-for-this-test"  # /metrics is off without one
    scrape = Client(HTTP_AUTHORIZATION="Bearer scrape-token-for-this-test")
    text = (await sync_to_async(lambda: scrape.get("/metrics"))()).content.decode()
    assert 'phare_messages_total{context="room",outcome="blocked"}' in text
    assert 'phare_verdict_reasons_total{context="room",decision="block",reason="contact_phone"}' in text
    await t.close(), await l.close()
    assert sample("phare_connected_sockets") == before[4]


def test_counts_per_delivery_reach_the_counter_one_loop_turn_later():
    counter = CountedPerLoopTurn(Counter("test_turn_total", "test", registry=CollectorRegistry()))
    seen: list[float] = []

    async def deliver() -> None:
        for _ in range(3):
            counter.inc()
        seen.append(counter.counter._value.get())  # within the turn: not yet added
        await asyncio.sleep(0)
        seen.append(counter.counter._value.get())
        counter.inc()
        await asyncio.sleep(0)
        seen.append(counter.counter._value.get())

    asyncio.run(deliver())
    counter.inc()  # no event loop: counted at once
    seen.append(counter.counter._value.get())
    assert seen == [0.0, 3.0, 4.0, 5.0]


@shared_task(name="tests.ops.failing_task")
def failing_task() -> None:
    raise RuntimeError("this task fails on purpose")


@shared_task(name="tests.ops.quick_task")
def quick_task() -> int:
    return 1


def test_task_duration_and_failures_are_recorded():
    before_runs = sample("phare_task_duration_seconds_count", {"task": "tests.ops.quick_task"})
    before_failures = sample("phare_task_failures_total", {"task": "tests.ops.failing_task"})
    quick_task.apply()
    result = failing_task.apply(throw=False)  # as a worker runs it: the error is recorded
    assert result.failed()
    assert sample("phare_task_duration_seconds_count", {"task": "tests.ops.quick_task"}) == before_runs + 1
    assert sample("phare_task_failures_total", {"task": "tests.ops.failing_task"}) == before_failures + 1


def test_http_429_counts_as_a_rate_limit_refusal(rf):
    from django.http import HttpResponse

    from ops.middleware import RequestLogMiddleware

    before = sample("phare_rate_limited_total", {"channel": "http", "reason": "rate_limited"})
    middleware = RequestLogMiddleware(lambda request: HttpResponse(status=429))
    response = middleware(rf.get("/api/v1/rooms"))
    assert response.status_code == 429 and len(response["X-Request-ID"]) == 32
    assert sample("phare_rate_limited_total", {"channel": "http", "reason": "rate_limited"}) == before + 1


@pytest.mark.django_db
def test_open_cases_by_priority_and_sla_breaches_come_from_the_queue(make_user):
    import datetime as dt

    from django.utils import timezone

    from moderation.services.report import file_report
    from moderation.models import Case

    reporter, subject = make_user(pseudonym="rita"), make_user(pseudonym="sam")
    report = file_report(
        reporter=reporter, target={"user": str(subject.pk)}, category="harassment",
        details="", good_faith=True,
    )
    case = Case.objects.get(pk=report.case_id)
    Case.objects.filter(pk=case.pk).update(sla_due_at=timezone.now() - dt.timedelta(minutes=5))
    families = {f.name: f for f in collectors.ModerationQueueCollector().collect()}
    open_by_priority = {s.labels["priority"]: s.value for s in families["phare_open_cases"].samples}
    assert open_by_priority == {str(case.priority): 1.0}
    breaches = {s.labels["priority"]: s.value for s in families["phare_sla_breaches"].samples}
    assert breaches == {str(case.priority): 1.0}


def test_queue_depth_reads_the_named_queues_of_a_redis_broker(settings):
    import os

    import redis

    url = os.environ.get("PHARE_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs PHARE_TEST_REDIS_URL (make test sets it)")
    client = redis.Redis.from_url(url)
    client.delete("moderation", "housekeeping")
    client.rpush("moderation", "task-1", "task-2")
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        family = next(collectors.CeleryQueueCollector().collect())
        depth = {s.labels["queue"]: s.value for s in family.samples}
        assert depth == {"housekeeping": 0.0, "moderation": 2.0}
    finally:
        client.delete("moderation", "housekeeping")
