"""Moderation tasks: take ids, fetch, call one service; safe to run twice."""

from celery import shared_task
from django.core.cache import cache

from moderation import grooming, services


@shared_task(acks_late=True)
def triage_flag(flag_id: int) -> bool:
    return services.triage_flag(flag_id=flag_id)


@shared_task(acks_late=True)
def triage_report(report_id: int) -> bool:
    return services.triage_report(report_id=report_id)


@shared_task
def sweep_untriaged() -> int:
    return services.sweep_untriaged()


@shared_task
def alert_sla_breaches() -> int:
    return services.alert_sla_breaches()


@shared_task
def purge_past_retention() -> int:
    return services.purge_past_retention()


@shared_task(acks_late=True)
def assess_grooming_risk(conversation_id: int, sender_id: int) -> int:
    """Score a conversation and its sender's recent first contacts; idempotent."""
    # Let the next DM schedule a fresh check once this one has read the messages.
    cache.delete(f"grooming:pending:{conversation_id}")
    flags = grooming.assess_conversation(conversation_id=conversation_id)
    sender_flag = grooming.assess_sender(user_id=sender_id)
    return len(flags) + (1 if sender_flag else 0)
