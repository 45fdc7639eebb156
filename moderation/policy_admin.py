"""Admin for the screening policy: operators' term lists and allow list.

Every change is audited and bumps the policy version, so that every server process
recompiles its snapshot within seconds. A regex entry that does not compile, or one too
many, is refused at the form, never discovered by the hot path.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction

from moderation.audit import record_audit
from moderation.gate import bump_policy_version
from moderation.models import AllowedTerm, ScreeningPolicy, ScreeningTerm
from moderation.policy import PolicyConfig, TermEntry, build_snapshot


class ScreeningTermForm(forms.ModelForm):
    class Meta:
        model = ScreeningTerm
        fields = ["term", "category", "kind", "lang", "enabled", "observe_only"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ScreeningTerm.Kind.REGEX and cleaned.get("term"):
            try:
                build_snapshot(terms=[TermEntry(term=cleaned["term"], category=cleaned.get("category") or "profanity",
                                                kind="regex")])
            except ValueError as error:
                raise forms.ValidationError({"term": str(error)}) from error
        return cleaned


def _audit(request, action: str, obj, data: dict) -> None:
    record_audit(actor=request.user, action=action, target_type=obj._meta.model_name,
                 target_id=str(obj.pk), data=data)


class AuditedPolicyAdmin(admin.ModelAdmin):
    """Audit every save and deletion, and make every process reload the policy."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            _audit(request, "policy_changed" if change else "policy_added", obj,
                   {field: str(form.cleaned_data.get(field)) for field in form.changed_data})
        bump_policy_version()

    def delete_model(self, request, obj):
        with transaction.atomic():
            _audit(request, "policy_removed", obj, {"object": str(obj)})
            super().delete_model(request, obj)
        bump_policy_version()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                _audit(request, "policy_removed", obj, {"object": str(obj)})
            super().delete_queryset(request, queryset)
        bump_policy_version()


@admin.register(ScreeningTerm)
class ScreeningTermAdmin(AuditedPolicyAdmin):
    form = ScreeningTermForm
    list_display = ("term", "category", "kind", "lang", "enabled", "observe_only", "updated_at")
    list_filter = ("category", "kind", "lang", "enabled", "observe_only")
    search_fields = ("term",)
    actions = ["switch_on", "observe_only"]

    @admin.action(description="Enforce the selected rules (leave dry run)")
    def switch_on(self, request, queryset):
        with transaction.atomic():
            for term in queryset:
                term.observe_only = False
                term.enabled = True
                term.save(update_fields=["observe_only", "enabled", "updated_at"])
                _audit(request, "policy_changed", term, {"observe_only": "False", "enabled": "True"})
        bump_policy_version()

    @admin.action(description="Put the selected rules in dry run (observe only)")
    def observe_only(self, request, queryset):
        with transaction.atomic():
            for term in queryset:
                term.observe_only = True
                term.save(update_fields=["observe_only", "updated_at"])
                _audit(request, "policy_changed", term, {"observe_only": "True"})
        bump_policy_version()


@admin.register(AllowedTerm)
class AllowedTermAdmin(AuditedPolicyAdmin):
    list_display = ("term", "updated_at")
    search_fields = ("term",)


class ScreeningPolicyForm(forms.ModelForm):
    class Meta:
        model = ScreeningPolicy
        fields = list(ScreeningPolicy.CONFIG_FIELDS)

    def clean(self):
        cleaned = super().clean()
        try:
            PolicyConfig(**{name: cleaned.get(name) for name in ScreeningPolicy.CONFIG_FIELDS})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(str(error)) from error
        return cleaned


@admin.register(ScreeningPolicy)
class ScreeningPolicyAdmin(AuditedPolicyAdmin):
    form = ScreeningPolicyForm
    list_display = ("__str__", "grooming_threshold", "grooming_flag_threshold", "updated_at")

    def has_add_permission(self, request):
        return not ScreeningPolicy.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)
