"""`manage.py transparency_report --from 2026-01-01 --to 2026-07-01 [--format json|csv] [--out PATH]`."""

import json

from django.core.management.base import BaseCommand, CommandError

from moderation import transparency


class Command(BaseCommand):
    help = "Export moderation transparency figures for a period, as JSON and/or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, type=transparency.utc_day)
        parser.add_argument("--to", dest="end", required=True, type=transparency.utc_day)
        parser.add_argument("--format", choices=["json", "csv", "both"], default="json")
        parser.add_argument("--out", help="file prefix: writes PREFIX.json and/or PREFIX.csv")

    def handle(self, *args, **options):
        start, end = options["start"], options["end"]
        if end <= start:
            raise CommandError("--to must be after --from")
        report = transparency.build_report(start=start, end=end)
        as_json = json.dumps(report, indent=2, ensure_ascii=False)
        as_csv = transparency.report_csv(report)
        fmt, out = options["format"], options.get("out")
        if out:
            if fmt in ("json", "both"):
                with open(out + ".json", "w", encoding="utf-8") as handle:
                    handle.write(as_json + "\n")
            if fmt in ("csv", "both"):
                with open(out + ".csv", "w", encoding="utf-8", newline="") as handle:
                    handle.write(as_csv)
            self.stdout.write(f"written {out}")
            return
        if fmt in ("json", "both"):
            self.stdout.write(as_json)
        if fmt in ("csv", "both"):
            self.stdout.write(as_csv)
