"""Admin for accounts. The admin is a write path like the console: what it
changes goes through accounts.services, which audits and reloads the policy; what has its
own path elsewhere (sanctions, blocks, sign-up, erasure) is read-only here."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts import services, throttling
from accounts.admin_site import ReadOnlyAdmin
from core.errors import PhareError
from accounts.models import AbusePolicy, ConnectionLog, ContactRule, EvasionLink, RateLimitRule, User, UserBlock
from accounts.permissions import has_role
from accounts.policies import NEVER_IN_CONTACT

# Role checkboxes: field → the role accounts.services.change_role grants or revokes.
ROLE_OF_FIELD = {field: role for role, field in services.STAFF_ROLE_FIELDS.items()}


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts are shown; only their roles change here, through `change_role`, and only
    those the staff member may change (never their own, superuser only by a superuser).

    Read-only, and why: the pseudonym and the band and assurance come from sign-up and age
    providers, never from staff typing; the ban, suspension and mute are moderators'
    decisions with a statement of reasons (the console's `decide_case`), and `is_active` would
    be a ban without one; the DM policy and language are the person's own settings;
    `is_staff` follows the operator and superuser roles. Accounts are created by sign-up and
    erased by their owner (`delete_account`), so neither is offered here.
    """

    list_display = ("pseudonym", "age_band", "assurance_level", "is_moderator", "is_operator", "date_joined")
    list_filter = ("age_band", "assurance_level", "is_moderator", "is_operator", "banned")
    search_fields = ("pseudonym",)
    fields = ("pseudonym", "pseudonym_key", "age_band", "band_until", "assurance_level", "assurance_method",
              "assurance_provider", "assured_at", "reassurance_required", "reassurance_level",
              "reassurance_reason", "dm_policy", "language", "is_active", "banned", "suspended_until",
              "muted_until", "evasion_hold", "is_moderator", "is_operator", "is_legal", "is_superuser", "is_staff",
              "date_joined", "last_login", "deleted_at")

    def get_readonly_fields(self, request, obj=None):
        editable = set()
        if obj is not None:
            editable = {field for field, role in ROLE_OF_FIELD.items()
                        if services.may_change_role(actor=request.user, user=obj, role=role)}
        return [field for field in self.fields if field not in editable]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Nothing but roles is editable, and those go through the service, one by one.
        for field in form.changed_data:
            try:
                services.change_role(actor=request.user, user_id=obj.pk, role=ROLE_OF_FIELD[field],
                                     granted=bool(form.cleaned_data[field]))
            except PhareError as error:  # a 403, and the admin's transaction undoes the others
                raise PermissionDenied(error.code) from error
        obj.refresh_from_db()


class ContactRuleForm(forms.ModelForm):
    class Meta:
        model = ContactRule
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        bands = (cleaned.get("band_a") or self.instance.band_a, cleaned.get("band_b") or self.instance.band_b)
        # The service refuses it too; here it is a form error rather than a failed save.
        if cleaned.get("allowed") and bands in NEVER_IN_CONTACT:
            raise forms.ValidationError(_("Adults and under-16s are never in contact, whatever the rules."))
        return cleaned


@admin.register(ContactRule)
class ContactRuleAdmin(admin.ModelAdmin):
    """The age-band contact matrix. Saves and deletions, one by one or "delete selected",
    go through accounts.services (audited, every process reloads the matrix at once)."""

    form = ContactRuleForm
    list_display = ("band_a", "band_b", "allowed", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # A rule is its pair: another pair is another rule (add it, delete this one).
        return ("band_a", "band_b") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change and not form.changed_data:
            return
        rule = services.set_contact_rule(actor=request.user, band_a=obj.band_a, band_b=obj.band_b,
                                         allowed=obj.allowed)
        obj.pk, obj.band_a, obj.band_b = rule.pk, rule.band_a, rule.band_b
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.remove_contact_rule(actor=request.user, rule_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for rule_id in list(queryset.values_list("pk", flat=True)):
            services.remove_contact_rule(actor=request.user, rule_id=rule_id)


@admin.register(ConnectionLog)
class ConnectionLogAdmin(ReadOnlyAdmin):
    """Connection records are for the legal role only, and every read is audited. They are
    never changed, and deleted only by the retention purge (`purge_connection_logs`)."""

    list_display = ("created_at", "user_id_snapshot", "kind", "ip")
    list_filter = ("kind",)

    def has_module_permission(self, request):
        return has_role(request.user, "legal")

    def has_view_permission(self, request, obj=None):
        return has_role(request.user, "legal")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            services.audit_connection_log_read(actor=request.user, record_id=None, query=request.GET.dict())
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and str(object_id).isdecimal():
            services.audit_connection_log_read(actor=request.user, record_id=int(object_id), query={})
        return response


@admin.register(UserBlock)
class UserBlockAdmin(ReadOnlyAdmin):
    """Read-only: a block is the person's own decision (accounts.controls); staff lifting one
    would expose them again to the person they blocked."""

    list_display = ("blocker", "blocked", "created_at")


@admin.register(EvasionLink)
class EvasionLinkAdmin(ReadOnlyAdmin):
    """Read-only: a link is found by accounts.evasion and settled by the decision on the case it
    opened (the console). It holds which kinds of signal matched, never their values."""

    list_display = ("created_at", "user", "banned_user", "signals", "score", "status", "case_id")
    list_filter = ("status",)


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
