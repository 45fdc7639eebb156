"""manage.py exchange_hashes import|export|sync: PDQ banks in and out of the formats hash-
sharing programmes use (moderation.hash_exchange, docs/images.md "Sharing hash lists")."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import PhareError
from moderation import hash_exchange
from moderation.management.commands.import_hashes import read_input
from moderation.models import HashBank


class Command(BaseCommand):
    help = ("import FILE --format F --bank NAME --source LABEL: bank a shared list's PDQ hashes with "
            "their provenance ('-' reads standard input). export --bank NAME --format F [--out FILE]: "
            "write a bank's PDQ hashes for a peer. sync: fetch PHARE_HASH_SYNC_URL now, as the "
            "scheduled task does.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import")
        imp.add_argument("file")
        imp.add_argument("--format", required=True, choices=hash_exchange.IMPORT_FORMATS)
        imp.add_argument("--bank", required=True, help="bank name (created if new)")
        imp.add_argument("--source", required=True, help="the programme or peer the list comes from")
        imp.add_argument("--category", choices=HashBank.Category.values, help="what the bank holds")
        exp = sub.add_parser("export")
        exp.add_argument("--bank", required=True)
        exp.add_argument("--format", required=True, choices=hash_exchange.EXPORT_FORMATS)
        exp.add_argument("--out", help="file to write (default: standard output)")
        sub.add_parser("sync")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except PhareError as exc:
            raise CommandError(str(exc.as_dict())) from exc
        except hash_exchange.SyncError as exc:
            raise CommandError(str(exc)) from exc

    def _report(self, label: str, result: hash_exchange.ExchangeResult) -> None:
        self.stdout.write(f"{label}: {result.added} added, {result.already_present} already present, "
                          f"{result.removed} withdrawn, {len(result.invalid_lines)} invalid lines, "
                          f"{result.other_types} of other signal types, {result.not_positive} not known abuse")
        if result.invalid_lines:
            self.stderr.write("invalid lines: " + ", ".join(map(str, result.invalid_lines[:50])))

    def _import(self, options) -> None:
        result = hash_exchange.import_shared_list(text=read_input(options["file"]), fmt=options["format"], bank_name=options["bank"],
                                                  source=options["source"], category=options["category"])
        self._report(options["bank"], result)

    def _export(self, options) -> None:
        text = hash_exchange.export_bank(bank_name=options["bank"], fmt=options["format"])
        if not options["out"]:
            self.stdout.write(text, ending="")
            return
        try:
            with open(options["out"], "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise CommandError(f"cannot write {options['out']}: {exc}") from exc

    def _sync(self, options) -> None:
        self._report("sync", hash_exchange.sync_configured_list())
