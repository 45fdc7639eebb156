"""Celery queues: moderation work never waits behind housekeeping."""

import re
from pathlib import Path

import pytest

from config.celery import app

MODERATION_WORK = [
    "moderation.tasks.triage_flag", "moderation.tasks.triage_report", "moderation.tasks.sweep_untriaged",
    "moderation.tasks.alert_sla_breaches", "moderation.tasks.assess_grooming_risk", "chat.tasks.scan_upload",
    "accounts.tasks.link_to_banned_accounts",
]
HOUSEKEEPING = [
    "moderation.tasks.purge_past_retention", "accounts.tasks.advance_age_bands",
    "accounts.tasks.purge_connection_logs", "chat.tasks.sweep_unscanned_uploads",
    "accounts.tasks.purge_evasion_signals",
]


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize("task_name", MODERATION_WORK)
def test_moderation_work_goes_to_the_moderation_queue(task_name):
    assert queue_of(task_name) == "moderation"


@pytest.mark.parametrize("task_name", HOUSEKEEPING)
def test_housekeeping_goes_to_the_housekeeping_queue(task_name):
    assert queue_of(task_name) == "housekeeping"


def test_compose_runs_a_worker_that_only_takes_moderation_work():
    compose = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    queues = re.findall(r'"-Q",\s*"([a-z,]+)"', compose)
    assert "moderation" in queues, "a worker must consume the moderation queue alone"
    assert "housekeeping" in queues
