from django import forms
from django.contrib import admin

from accounts import throttling
from accounts.models import AbusePolicy, ConnectionLog, ContactRule, RateLimitRule, User, UserBlock
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


# --- Throttling policy (accounts/throttling.py): every change is audited and reloaded --------

class RateLimitRuleForm(forms.ModelForm):
    name = forms.ChoiceField(choices=throttling.rate_choices)

    class Meta:
        model = RateLimitRule
        fields = ("name", "limit", "period_seconds", "new_account_limit")


class _AuditedPolicyAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        throttling.record_policy_change(
            actor=request.user, action="policy.change" if change else "policy.create",
            target_type=obj._meta.model_name, target_id=str(obj.pk),
            data={field: str(form.cleaned_data.get(field)) for field in form.changed_data},
        )

    def delete_model(self, request, obj):
        target_id = str(obj.pk)
        super().delete_model(request, obj)
        throttling.record_policy_change(
            actor=request.user, action="policy.delete", target_type=obj._meta.model_name,
            target_id=target_id, data={"was": str(obj)},
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(RateLimitRule)
class RateLimitRuleAdmin(_AuditedPolicyAdmin):
    form = RateLimitRuleForm
    list_display = ("name", "limit", "period_seconds", "new_account_limit", "updated_at")


@admin.register(AbusePolicy)
class AbusePolicyAdmin(_AuditedPolicyAdmin):
    list_display = ("__str__", "new_account_hours", "join_wave_accounts", "join_wave_window_seconds",
                    "flood_refusals", "flood_window_seconds", "shield_slow_mode_seconds", "updated_at")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not AbusePolicy.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1  # the single row
        super().save_model(request, obj, form, change)
