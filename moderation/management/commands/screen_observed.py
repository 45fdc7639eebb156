"""What observe-only rules matched on live traffic under the current policy version."""

import json

from django.core.management.base import BaseCommand

from moderation import gate


class Command(BaseCommand):
    help = "Print the observe-only (dry run) hits counted on live traffic, by audience, context and reason."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps({"policy_version": gate.current_snapshot().version,
                                      "observed": gate.observed_counts()}, indent=2, sort_keys=True))
