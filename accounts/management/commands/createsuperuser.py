"""Phare's `createsuperuser`: Django's asks for the unique key field (`pseudonym_key`, a
derived value) and then cannot build the account. This one asks for a pseudonym and makes
the account through `accounts.services.create_operator`, sign-up's checks and audit included.
It replaces Django's because `accounts` is listed before `django.contrib.auth` in
INSTALLED_APPS (the first app that has a command wins)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.management.commands._operator import read_password, refusal
from core.errors import PhareError


class Command(BaseCommand):
    help = "Create an operator account (superuser and operator roles) for /admin/."

    def add_arguments(self, parser):
        parser.add_argument("--pseudonym", help="the account's pseudonym (asked when missing)")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the password from standard input instead of asking")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="ask nothing: needs --pseudonym and --password-stdin")

    def handle(self, *args, pseudonym: str | None, password_stdin: bool, interactive: bool, **options):
        if not interactive and not (pseudonym and password_stdin):
            raise CommandError("--noinput needs --pseudonym and --password-stdin.")
        pseudonym = pseudonym or input("Pseudonym: ").strip()
        password = read_password(from_stdin=password_stdin)
        try:
            user = services.create_operator(pseudonym=pseudonym, password=password)
        except PhareError as error:
            raise refusal(error) from error
        self.stdout.write(f"Operator {user.pseudonym} created: sign in at /admin/.")
