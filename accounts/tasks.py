from celery import shared_task

from accounts import evasion, services


@shared_task
def advance_age_bands() -> int:
    return services.advance_age_bands()


@shared_task
def purge_connection_logs() -> int:
    return services.purge_connection_logs()


@shared_task
def link_to_banned_accounts(user_id: int) -> int:
    return len(evasion.link_to_banned_accounts(user_id=user_id))


@shared_task
def purge_evasion_signals() -> int:
    return evasion.purge_signals()
