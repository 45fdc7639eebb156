"""Admin for moderation data. The audit log is read-only here as everywhere. Moderation
records are shown as metadata only: report texts, evidence, the facts quoted in notices and
appeals' texts are read in the moderator console, which audits each read."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from accounts.admin_site import ReadOnlyAdmin
from core.errors import PhareError
from moderation.services.flaggers import remove_trusted_flagger, set_trusted_flagger
from moderation.models import (Appeal, AuditEntry, Case, Decision, Notice, Referral, Report, StatementSubmission,
                               TrustedFlagger)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "actor_label", "action", "target_type", "target_id")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "actor_label", "action")
    ordering = ("-seq",)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "priority", "category", "subject_type", "subject_id", "sla_due_at",
                    "assigned_to", "legal_hold")
    list_filter = ("status", "category", "legal_hold", "minors_involved")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("id", "category", "target_type", "target_id", "status", "founded", "trusted_flagger", "created_at")
    list_filter = ("category", "status", "trusted_flagger")
    exclude = ("details", "evidence", "visitor_session")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "action", "reason_code", "moderator", "created_at", "reversed_at")
    list_filter = ("action", "reason_code")
    exclude = ("note",)  # may quote the content


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("id", "recipient", "kind", "action", "reason_code", "automated", "created_at")
    list_filter = ("kind", "automated")
    exclude = ("facts",)  # the content the decision is about


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("id", "notice", "appellant", "status", "decided_by", "created_at")
    list_filter = ("status",)
    exclude = ("reason", "decision_note")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "created_by", "manifest_sha256", "created_at")


@admin.register(StatementSubmission)
class StatementSubmissionAdmin(ReadOnlyAdmin):
    """What the DSA Transparency Database was sent and answered (moderation.dsa_export):
    `refused` rows are for an operator to look at."""

    list_display = ("puid", "status", "attempts", "sent_at", "created_at")
    list_filter = ("status",)
    search_fields = ("puid",)


@admin.register(TrustedFlagger)
class TrustedFlaggerAdmin(admin.ModelAdmin):
    """Operators mark accounts of trusted-flagger organisations through
    set_trusted_flagger and remove them, one by one or "delete selected", through
    remove_trusted_flagger: every change audited, nobody marks their own account."""

    list_display = ("user", "organisation", "active", "created_at")
    list_filter = ("active",)
    raw_id_fields = ("user",)
    fields = ("user", "organisation", "active", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # Another account is another trusted flagger: add it, remove this one.
        return ("created_at",) if obj is None else ("user", "created_at")

    def save_model(self, request, obj, form, change):
        try:
            flagger = set_trusted_flagger(actor=request.user, user_id=obj.user_id,
                                          organisation=obj.organisation, active=obj.active)
        except PhareError as error:  # marking oneself: a 403, and the admin's transaction rolls back
            raise PermissionDenied(error.code) from error
        obj.pk = flagger.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        remove_trusted_flagger(actor=request.user, flagger_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for flagger_id in list(queryset.values_list("pk", flat=True)):
            remove_trusted_flagger(actor=request.user, flagger_id=flagger_id)

# Hash banks and image uploads (docs/images.md).
from moderation import hashbanks_admin  # noqa: E402,F401
# Screening policy: term lists and allow list (docs/screening.md).
from moderation import policy_admin  # noqa: E402,F401
# Strike weights and the escalation ladder (docs/moderation.md).
from moderation import strikes_admin  # noqa: E402,F401
