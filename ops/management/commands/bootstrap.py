"""`manage.py bootstrap`: what a new deployment needs before anyone can use it (ops/bootstrap.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._operator import read_password, refusal
from core.errors import PhareError
from ops import bootstrap


class Command(BaseCommand):
    help = ("Create the first operator and the default rooms, and show the policies in force. "
            "Idempotent: run it after every deployment.")

    def add_arguments(self, parser):
        parser.add_argument("--operator", metavar="PSEUDONYM",
                            help="the operator account: created if missing (its password asked), "
                                 "else given the operator roles it lacks")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read a new operator's password from standard input")
        parser.add_argument("--no-rooms", action="store_true", help="do not create the default rooms")

    def handle(self, *args, operator: str | None, password_stdin: bool, no_rooms: bool, **options):
        if operator:
            password = None if bootstrap.operator_exists(operator) else read_password(from_stdin=password_stdin)
            try:
                user, created = bootstrap.ensure_operator(pseudonym=operator, password=password)
            except PhareError as error:
                raise refusal(error) from error
            self.stdout.write(f"Operator {user.pseudonym}: {'created' if created else 'already there, roles checked'}.")
        else:
            self.stdout.write("No --operator given: no operator account created or checked.")
        if not no_rooms:
            try:
                created_rooms, present = bootstrap.ensure_rooms()
            except PhareError as error:
                raise CommandError(f"A default room was refused: {error.code}") from error
            self.stdout.write(f"Default rooms created: {', '.join(created_rooms) or 'none'}; "
                              f"already there: {', '.join(present) or 'none'}.")
        self.stdout.write("Policies in force:")
        for line in bootstrap.policies_in_force():
            self.stdout.write(f"  {line}")
        self.stdout.write("Next: sign in at /admin/ as the operator to add rooms and adjust policies; "
                          "moderators get their role with `manage.py grantrole PSEUDONYM moderator`.")
