"""Admin for strike weights and the escalation ladder (moderation.services.strike_rules).

Every change goes through the service, which audits it; the forms check the same rules first,
so a mistake is shown on the form, never as an error page. Changes apply to the decisions
that follow: strikes keep the weight they were given, proposals the step they were made with.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from core.errors import PhareError
from moderation.models import EscalationStep, StrikeWeight
from moderation.services import strike_rules


@admin.register(StrikeWeight)
class StrikeWeightAdmin(admin.ModelAdmin):
    list_display = ("reason_code", "weight", "days", "updated_at")
    fields = ("reason_code", "weight", "days")

    def get_readonly_fields(self, request, obj=None):
        # Another reason is another row: a row is this reason's weight.
        return () if obj is None else ("reason_code",)

    def has_delete_permission(self, request, obj=None):
        # Deleting would bring back the default in code without anyone seeing it: edit the row.
        return False

    def save_model(self, request, obj, form, change):
        row = strike_rules.set_strike_weight(actor=request.user, reason_code=obj.reason_code, weight=obj.weight,
                                        days=obj.days)
        obj.pk = row.pk
        obj._state.adding = False


class EscalationStepForm(forms.ModelForm):
    class Meta:
        model = EscalationStep
        fields = ["threshold", "action", "duration_seconds"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            strike_rules.validate_step(threshold=cleaned.get("threshold"), action=cleaned.get("action"),
                                  duration_seconds=cleaned.get("duration_seconds"))
        except PhareError as error:
            field = error.extra.get("field")
            raise forms.ValidationError({field: self.step_error(field)} if field in self.fields
                                        else self.step_error(field)) from error
        return cleaned

    @staticmethod
    def step_error(field: str | None) -> str:
        if field == "duration_seconds":
            return "A mute or a suspension needs a duration of 60 seconds to 10 years; a warning or a ban has none."
        return "This value is not allowed."


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    form = EscalationStepForm
    list_display = ("threshold", "action", "duration_seconds", "updated_at")

    def save_model(self, request, obj, form, change):
        step = strike_rules.save_escalation_step(actor=request.user, step_id=obj.pk if change else None,
                                            threshold=obj.threshold, action=obj.action,
                                            duration_seconds=obj.duration_seconds)
        obj.pk = step.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        strike_rules.remove_escalation_step(actor=request.user, step_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for step_id in list(queryset.values_list("pk", flat=True)):
            strike_rules.remove_escalation_step(actor=request.user, step_id=step_id)
