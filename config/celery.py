"""The Celery application: the moderation queue and housekeeping run here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("phare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
