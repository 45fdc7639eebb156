#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys
from pathlib import Path

# Written by `make run` (docs/decisions.md, "Local trials"): DEBUG=1 and the checkout's own
# generated SECRET_KEY, so that the README's manage.py commands work after `make run` as they
# are typed. Read only when the environment configures nothing of a deployment's: a server
# given a key, DEBUG, a database or Redis never reads it.
LOCAL_TRIAL_ENV = Path(__file__).resolve().parent / "var" / "local.env"
DEPLOYMENT_VARIABLES = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL")


def load_local_trial_env() -> None:
    if any(name in os.environ for name in DEPLOYMENT_VARIABLES) or not LOCAL_TRIAL_ENV.is_file():
        return
    for line in LOCAL_TRIAL_ENV.read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and not name.lstrip().startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main() -> None:
    load_local_trial_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
