"""Moderation tasks: take ids, fetch, call one service; safe to run twice."""

from celery import shared_task

from moderation import services


@shared_task(acks_late=True)
def triage_flag(flag_id: int) -> None:
    services.triage_flag(flag_id=flag_id)
