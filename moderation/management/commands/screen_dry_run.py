"""Dry run: what would the observe-only rules do if switched on, over stored messages?"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from chat.services import stored_texts_for_dry_run
from moderation import gate
from moderation.policy import ScreeningContext, dry_run, enforcing_observed


class Command(BaseCommand):
    help = ("Screen stored messages under the current policy and under the same policy with its "
            "observe-only rules enforced; print what would change. Changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--audience", choices=["minors", "adults"], required=True)
        parser.add_argument("--context", choices=["room", "dm_request", "dm"], default="room")
        parser.add_argument("--days", type=int, default=30, help="messages from the last N days")
        parser.add_argument("--limit", type=int, default=50_000)

    def handle(self, *args, audience: str, context: str, days: int, limit: int, **options):
        current = gate.current_snapshot()
        since = timezone.now() - dt.timedelta(days=days)
        texts = stored_texts_for_dry_run(audience=audience, context=context, since=since, limit=limit)
        summary = dry_run(
            texts, current=current, candidate=enforcing_observed(current),
            context=ScreeningContext(audience=audience, context=context,
                                     conversation_accepted=context != "dm_request"),
        )
        self.stdout.write(json.dumps({
            "messages": summary.total,
            "would_change": summary.changed,
            "transitions": {f"{a}->{b}": n for (a, b), n in summary.transitions.items()},
            "examples": {f"{a}->{b}": list(e) for (a, b), e in summary.examples.items()},
            "new_reasons": summary.new_reasons,
        }, ensure_ascii=False, indent=2))
