from celery import shared_task

from accounts import services


@shared_task
def advance_age_bands() -> int:
    return services.advance_age_bands()


@shared_task
def purge_connection_logs() -> int:
    return services.purge_connection_logs()
