"""`manage.py verify_audit`: recompute the audit chain; exit 1 if anything was tampered with."""

from django.core.management.base import BaseCommand, CommandError

from moderation.audit import verify_chain
from moderation.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the hash-chained audit log (edits, deletions, reordering)."

    def handle(self, *args, **options):
        problems = verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"audit log tampered with: {len(problems)} problem(s)")
        self.stdout.write(f"audit log intact: {AuditEntry.objects.count()} entries")
