"""manage.py export_statements --since DATE [--until DATE] [--out FILE]: the statements of
reasons in the DSA Transparency Database's format, for operators who submit by hand."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from moderation import dsa_export
from moderation.transparency import utc_day


class Command(BaseCommand):
    help = ("Write the statements of reasons of notices created from --since (and before --until) "
            "as the DSA Transparency Database's JSON body {\"statements\": [...]}, each validated "
            "against moderation/schemas/dsa_statement.schema.json. Statements that fail validation "
            "are listed on standard error and left out; the exit status is then 1.")

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, type=utc_day, help="first day (UTC), YYYY-MM-DD")
        parser.add_argument("--until", type=utc_day, help="day after the last one (UTC), YYYY-MM-DD")
        parser.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        since, until = options["since"], options["until"]
        if until is not None and until <= since:
            raise CommandError("--until must come after --since")
        export = dsa_export.export_statements(since=since, until=until)
        text = json.dumps({"statements": export.statements}, indent=2, ensure_ascii=False) + "\n"
        if options["out"]:
            try:
                with open(options["out"], "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise CommandError(f"cannot write {options['out']}: {exc}") from exc
        else:
            self.stdout.write(text, ending="")
        self.stderr.write(f"{len(export.statements)} statements, {len(export.invalid)} invalid")
        for notice_id, errors in export.invalid:
            self.stderr.write(f"notice {notice_id}: " + "; ".join(errors))
        if export.invalid:
            raise SystemExit(1)
