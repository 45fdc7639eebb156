"""How the command line asks for an operator's password (createsuperuser, bootstrap)."""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import CommandError

from core.errors import PhareError


def read_password(*, from_stdin: bool) -> str:
    """One line of standard input (`--password-stdin`, for scripts), or typed twice at a
    terminal. Never an argument: it would stay in the shell's history and the process list."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("No password on standard input.")
        return password
    if not sys.stdin.isatty():
        raise CommandError("No terminal to type the password: pass it on standard input with --password-stdin.")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password (again): "):
        raise CommandError("The two passwords differ.")
    return password


def refusal(error: PhareError) -> CommandError:
    """A service's refusal as the command line shows it: its message, code and reason."""
    reason = error.extra.get("reason")
    return CommandError(f"{error.as_dict()['message']} [{error.code}{', ' + reason if reason else ''}]")
