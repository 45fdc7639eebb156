from django.core.management.base import BaseCommand

from chat.services.moderate import close_conversations_outside_matrix


class Command(BaseCommand):
    help = ("Close the conversations the age-band contact matrix no longer allows (run once after "
            "an upgrade that narrowed the default, or after closing a pair in the admin).")

    def handle(self, *args, **options):
        closed = close_conversations_outside_matrix()
        self.stdout.write(f"{closed} conversation(s) closed.")
