"""Admin for moderation data. The audit log is read-only here as everywhere."""

from django.contrib import admin

from moderation.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("seq", "created_at", "actor_label", "action", "target_type", "target_id")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "actor_label", "action")
    ordering = ("-seq",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

# Hash banks and image uploads (docs/images.md).
from moderation import hashbanks_admin  # noqa: E402,F401
# Screening policy: term lists and allow list (docs/screening.md).
from moderation import policy_admin  # noqa: E402,F401
