"""Moderation tasks: take ids, fetch, call one service; safe to run twice."""

from celery import shared_task
from django.core.cache import cache

from moderation import dsa_export, grooming, hash_exchange
# Modules, not names: the actions enqueue these tasks, so each imports the other.
from moderation.services import failsafe, retain, triage


@shared_task(acks_late=True)
def triage_flag(flag_id: int) -> bool:
    return triage.triage_flag(flag_id=flag_id)


@shared_task(acks_late=True)
def triage_report(report_id: int) -> bool:
    return triage.triage_report(report_id=report_id)


@shared_task
def sweep_untriaged() -> int:
    return triage.sweep_untriaged()


@shared_task
def alert_sla_breaches() -> int:
    return triage.alert_sla_breaches()


@shared_task
def check_failsafe() -> str | None:
    """Every minute: switch the unattended-moderation failsafe on or off (idempotent)."""
    return failsafe.check()


@shared_task
def purge_past_retention() -> int:
    return retain.purge_past_retention()


@shared_task
def assess_room_voices() -> int:
    """Every minute: score who wrote in minors' rooms lately (moderation.grooming)."""
    return len(grooming.assess_room_voices())


@shared_task(acks_late=True)
def assess_grooming_risk(conversation_id: int, sender_id: int) -> int:
    """Score a conversation and its sender's recent first contacts; idempotent."""
    # Let the next DM schedule a fresh check once this one has read the messages.
    cache.delete(f"grooming:pending:{conversation_id}")
    flags = grooming.assess_conversation(conversation_id=conversation_id)
    sender_flag = grooming.assess_sender(user_id=sender_id)
    return len(flags) + (1 if sender_flag else 0)


@shared_task(bind=True, acks_late=True, max_retries=6)
def submit_dsa_statements(self) -> int:
    """Hourly: send the statements of reasons not yet in the DSA Transparency Database (dry
    run unless PHARE_DSA_SUBMIT). Retried with a growing delay when the Database cannot take
    them; idempotent (each statement's puid is sent once)."""
    try:
        return dsa_export.submit_pending_statements().sent
    except dsa_export.TransientSubmitError as error:
        raise self.retry(exc=error, countdown=60 * 2 ** self.request.retries) from error


@shared_task(acks_late=True)
def sync_hash_list() -> int:
    """Every six hours: bring the shared hash list's bank in step with its source; nothing
    while PHARE_HASH_SYNC_URL is empty. Returns the hashes added."""
    return hash_exchange.sync_configured_list().added
