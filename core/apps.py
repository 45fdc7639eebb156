from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and none owns: errors and their codes, the JSON API's edges,
    versioned policy state, security headers. Depends on no app of ours."""

    name = "core"
    verbose_name = "Core"
