from django.core.management.base import BaseCommand, CommandError

from accounts import services
from core.errors import PhareError


class Command(BaseCommand):
    help = "Give an account a role: moderator, operator or legal."

    def add_arguments(self, parser):
        parser.add_argument("pseudonym")
        parser.add_argument("role", choices=["moderator", "operator", "legal"])

    def handle(self, *args, pseudonym: str, role: str, **options):
        try:
            user = services.grant_role(pseudonym=pseudonym, role=role)
        except PhareError as error:
            raise CommandError(error.message or error.code) from error
        self.stdout.write(f"{user.pseudonym} is now {role}.")
