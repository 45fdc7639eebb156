"""A Celery beat scheduler for tests/deploy: the shipped schedule, every entry due at start.

`celery beat` normally waits a whole period before an entry's first run (a minute for the
moderation sweep); a test of the shipped beat process would wait that long for nothing. Only
the first run's time changes here: the entries, the app, the broker and its transport are
those of the running installation. Imported by `celery -A config beat -S` from the
runtime-only virtualenv, so it must import nothing but Celery.
"""

from __future__ import annotations

import datetime as dt

from celery.beat import PersistentScheduler


class DueAtStartScheduler(PersistentScheduler):
    def setup_schedule(self) -> None:
        super().setup_schedule()
        long_ago = self.app.now() - dt.timedelta(days=1)
        for entry in self.schedule.values():
            entry.last_run_at = long_ago
