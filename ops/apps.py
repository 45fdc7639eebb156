import atexit
import logging

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Python warnings go through the logging handlers too (JSON, scrubbed), not raw stderr.
        logging.captureWarnings(True)
        # Celery task timings and failures are recorded from Celery's own signals: the tasks
        # stay free of instrumentation code.
        from ops import metrics, personal_data, tasks_instrumentation

        tasks_instrumentation.connect()
        # Moderation records in a person's copy of their data (accounts/signals.py).
        personal_data.connect()
        # A stopped process's live gauges (connected sockets) leave the shared directory.
        atexit.register(metrics.mark_this_process_dead)
