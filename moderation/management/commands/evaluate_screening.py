"""Precision and recall of the gate on the labelled sets, and its time per message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.docs_pages import replace_section
from moderation import labelled_sets


class Command(BaseCommand):
    help = ("Screen the labelled sets (HateCheck FR, MLMA FR, Phare's conversations) and print precision, "
            "recall and false flags per category and per HateCheck functionality, and the time per message.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", default=str(labelled_sets.DATA_DIR),
                            help="the folder of mhc-fr-dev.csv and mlma-fr.csv (default: training/data)")
        parser.add_argument("--write", action="store_true",
                            help="also rewrite the figures' section of docs/screening.md")

    def handle(self, *args: Any, data: str, write: bool, **options: Any) -> None:
        try:
            markdown = labelled_sets.report(Path(data))
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(markdown)
        if write:
            path = replace_section(settings.BASE_DIR / "docs" / "screening.md", labelled_sets.SECTION, markdown)
            self.stdout.write(f"\nwrote {path}")
