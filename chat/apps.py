from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        # Imported here, once the app registry is ready: receivers import chat's services
        # (and their models). What chat listens to: docs/decisions.md, "Where the apps meet".
        from chat import receivers

        receivers.connect()
