"""manage.py import_hashes FILE --bank NAME: load a hash programme's list into a bank."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from core.errors import PhareError
from moderation import hashbanks
from moderation.models import BankedHash, HashBank


def read_input(path: str) -> str:
    """A bank file's text ('-': standard input), a byte-order mark dropped; CommandError if
    it cannot be read. Also read by exchange_hashes."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc


class Command(BaseCommand):
    help = ("Import image hashes into a bank. FILE holds one hash per line (give --type) or CSV "
            "lines 'hash,type,source' (type pdq or sha256); '-' reads standard input. Lines "
            "starting with # are ignored. Invalid lines are reported by number and skipped.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--bank", required=True, help="bank name (created if new)")
        parser.add_argument("--category", choices=HashBank.Category.values,
                            help="what the bank holds (default for a new bank: other)")
        parser.add_argument("--type", dest="hash_type", choices=BankedHash.HashType.values,
                            help="hash type of lines that do not say")
        parser.add_argument("--source", default="", help="programme the hashes come from")
        parser.add_argument("--note", default="")
        parser.add_argument("--strict", action="store_true", help="fail if any line is invalid")

    def handle(self, *args, **options):
        lines = read_input(options["file"]).splitlines(keepends=True)
        if options["strict"]:
            bad = [n for n, value, _t, _s in hashbanks.parse_bank_lines(lines, options["hash_type"], "")
                   if value is None]
            if bad:
                raise CommandError(f"invalid lines: {', '.join(map(str, bad[:50]))}")
        try:
            result = hashbanks.import_hashes(
                lines=lines, bank_name=options["bank"], category=options["category"],
                default_type=options["hash_type"], default_source=options["source"], note=options["note"],
            )
        except PhareError as exc:
            raise CommandError(str(exc.as_dict())) from exc
        self.stdout.write(f"{options['bank']}: {result.added} added, {result.already_present} already present, "
                          f"{len(result.invalid_lines)} invalid lines")
        if result.invalid_lines:
            self.stderr.write("invalid lines: " + ", ".join(map(str, result.invalid_lines[:50])))
