"""Chat tasks: take ids, fetch, call one service; safe to run twice."""

from celery import shared_task

from chat import media


@shared_task(acks_late=True)
def scan_upload(upload_id: int) -> str:
    return media.scan_upload(upload_id=upload_id)


@shared_task
def sweep_unscanned_uploads() -> int:
    return media.sweep_unscanned_uploads()


@shared_task
def purge_unreferenced_images() -> int:
    return media.purge_unreferenced_images()
