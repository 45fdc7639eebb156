from django.core.management.base import BaseCommand

from chat.models import Room
from chat.services import add_room

# A few rooms so that a fresh local server has somewhere to talk. Idempotent.
# Levels follow docs/age-assurance.md: `estimated` for minors' rooms, `verified` for adults'
# rooms where sexual topics are allowed; with DEBUG on, the demo estimator opens them locally.
DEMO_ROOMS = [
    {"slug": "devoirs", "name": "Devoirs & révisions", "audience": "minors", "min_assurance": "estimated",
     "description": "Entraide pour les cours (13-17 ans). Vérification d'âge estimée requise."},
    {"slug": "jeux-ados", "name": "Jeux vidéo (ados)", "audience": "minors", "min_assurance": "estimated",
     "description": "Parler jeux entre 13-17 ans. Vérification d'âge estimée requise."},
    {"slug": "cafe", "name": "Le café", "audience": "adults", "description": "Discussion libre entre adultes."},
    {"slug": "cinema", "name": "Cinéma", "audience": "adults", "description": "Films et séries."},
    {"slug": "apres-minuit", "name": "Après minuit", "audience": "adults", "min_assurance": "verified",
     "description": "Sujets adultes, y compris la sexualité. Vérification d'âge requise."},
]


class Command(BaseCommand):
    help = "Create the demo rooms if they do not exist (for local trials)."

    def handle(self, *args, **options):
        created = 0
        for spec in DEMO_ROOMS:
            if not Room.objects.filter(slug=spec["slug"]).exists():
                add_room(actor=None, **spec)
                created += 1
        self.stdout.write(f"{created} demo room(s) created.")
