from django.core.management.base import BaseCommand, CommandError

from core.errors import PhareError
from chat import services


class Command(BaseCommand):
    help = "Create an allowlisted room."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--audience", required=True, choices=["minors", "adults"])
        parser.add_argument("--min-assurance", default="declared", choices=["declared", "estimated", "verified"])
        parser.add_argument("--description", default="")
        parser.add_argument("--slow-mode", type=int, default=0, help="seconds between two messages")
        parser.add_argument("--max-length", type=int, default=1000)
        parser.add_argument("--media", action="store_true", help="allow images (adults' rooms only)")

    def handle(self, *args, **options):
        try:
            room = services.add_room(
                actor=None,
                slug=options["slug"], name=options["name"], audience=options["audience"],
                min_assurance=options["min_assurance"], description=options["description"],
                slow_mode_seconds=options["slow_mode"], max_message_length=options["max_length"],
                media_allowed=options["media"],
            )
        except PhareError as error:
            raise CommandError(error.message or error.code) from error
        self.stdout.write(f"Room {room.slug} created ({room.audience}, min {room.min_assurance}).")
