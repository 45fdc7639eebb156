from django.contrib import admin

from accounts.models import ConnectionLog, ContactRule, User, UserBlock
from accounts.policies import bump_contact_version


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("pseudonym", "age_band", "assurance_level", "is_moderator", "is_operator", "date_joined")
    list_filter = ("age_band", "assurance_level", "is_moderator", "is_operator", "banned")
    search_fields = ("pseudonym",)
    # No birthdate is stored; the band and assurance come from providers, not from staff typing.
    readonly_fields = ("pseudonym_key", "age_band", "band_until", "assurance_level", "assurance_method",
                       "assurance_provider", "assured_at", "date_joined", "last_login", "deleted_at")
    exclude = ("password", "groups", "user_permissions")


@admin.register(ContactRule)
class ContactRuleAdmin(admin.ModelAdmin):
    list_display = ("band_a", "band_b", "allowed", "updated_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_contact_version()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_contact_version()


@admin.register(ConnectionLog)
class ConnectionLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user_id_snapshot", "kind", "ip")
    list_filter = ("kind",)

    # Connection records are for the legal role only.
    def has_module_permission(self, request):
        return bool(getattr(request.user, "is_legal", False))

    def has_view_permission(self, request, obj=None):
        return bool(getattr(request.user, "is_legal", False))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(UserBlock)
