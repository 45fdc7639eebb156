from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        # Imported here, once the app registry is ready: receivers import moderation's
        # services (and their models). What moderation listens to: docs/decisions.md,
        # "Where the apps meet".
        from moderation import receivers

        receivers.connect()
