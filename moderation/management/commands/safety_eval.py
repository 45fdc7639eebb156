"""`manage.py safety_eval [--split dev|heldout|all] [--data DIR] [--json] [--scratch]`: the
safety scenario suite (tests/scenarios/data, or another directory of the same format, such as
a set kept away from the people who tune the screening) played through the full pipeline, and its figures per attack
kind, for ordinary conversations and for grooming (moderation/evaluation.py, docs/safety.md).

It never writes to the configured database or Redis. It makes its own scratch database with
Django's test machinery (`test_<name>_safety` on PostgreSQL, in memory on SQLite), migrates
it, plays the suite there and drops it; the cache, the rate limits and the channel layer are
kept in this process and the moderation tasks run eagerly, for the run only. Creating a
database on the configured server is still a side effect: outside DEBUG the command refuses
unless `--scratch` says it may.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from contextlib import contextmanager
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from moderation import evaluation

SCRATCH_SUFFIX = "_safety"


@contextmanager
def kept_in_process() -> Iterator[None]:
    """No Redis: the cache, the rate limits and the events stay in this process; the
    moderation tasks run at once. Accounts made for the run get a fast password hash."""
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        with override_settings(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                "LOCATION": "phare-safety-eval"}},
            CHANNEL_LAYERS={"default": {"BACKEND": "chat.realtime.fanout.FanoutLayer",
                                        "CONFIG": {"redis_url": None, "stream": "phare:safety-eval"}}},
            PHARE_RATE_LIMIT_REDIS_URL=None,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ):
            yield
    finally:
        current_app.conf.task_always_eager = eager


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new database made, migrated and dropped by Django's test machinery; its name."""
    creation = connection.creation
    original = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":  # SQLite's test database is in memory
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"test_{original}{SCRATCH_SUFFIX}"
    name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if name == original or not (name.startswith("test_") or "memory" in name):
            raise CommandError(f"refusing to play the suite on {name!r}: not a scratch database")
        yield name
    finally:
        creation.destroy_test_db(original, verbosity=0)


class Command(BaseCommand):
    help = "Play the safety scenario suite through the full pipeline on a scratch database and print its figures."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all",
                            help="dev, the held-out third nobody tunes on, or all (both reported apart)")
        parser.add_argument("--data", type=Path, default=evaluation.SCENARIO_DIR,
                            help="a directory of scenarios (*.jsonl and split.json) instead of the suite's")
        parser.add_argument("--json", dest="as_json", action="store_true", help="the figures as JSON")
        parser.add_argument("--scratch", action="store_true",
                            help="allow creating the scratch database outside DEBUG")

    def handle(self, *args: Any, split: str, data: Path, as_json: bool, scratch: bool, **options: Any) -> None:
        if not (settings.DEBUG or scratch):
            raise CommandError("safety_eval creates and drops a scratch database on the configured server: "
                               "pass --scratch to allow it (or run with DEBUG=1)")
        try:
            raw = evaluation.load_raw(data)
            problems = evaluation.problems_in(raw)
            scenarios = evaluation.load_scenarios(data, split=split)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read the scenarios in {data}: {exc}") from exc
        if problems:
            raise CommandError("the scenarios are not well-formed:\n" + "\n".join(problems))
        logging.disable(logging.INFO)  # one line per eager task would drown the figures
        try:
            with kept_in_process(), scratch_database():
                outcomes = evaluation.play_all(scenarios)
        finally:
            logging.disable(logging.NOTSET)
        parts = ("dev", "heldout", "all") if split == "all" else (split,)
        figures = {part: evaluation.summarise([o for o in outcomes if part == "all" or o.scenario.split == part])
                   for part in parts}
        if as_json:
            self.stdout.write(json.dumps(figures, indent=2, ensure_ascii=False))
            return
        for part in parts:
            self.stdout.write(evaluation.format_summary(figures[part], f"== {part} ==") + "\n")
