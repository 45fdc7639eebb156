"""Admin for moderation data. The audit log is read-only here as everywhere."""

from django.contrib import admin

from moderation.audit import record_audit
from moderation.models import Appeal, AuditEntry, Case, Decision, Notice, Referral, Report, TrustedFlagger


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Moderation records change only through services (audited); the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "priority", "category", "subject_type", "subject_id", "sla_due_at",
                    "assigned_to", "legal_hold")
    list_filter = ("status", "category", "legal_hold", "minors_involved")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("id", "category", "target_type", "target_id", "status", "founded", "trusted_flagger", "created_at")
    list_filter = ("category", "status", "trusted_flagger")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "action", "reason_code", "moderator", "created_at", "reversed_at")
    list_filter = ("action", "reason_code")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("id", "recipient", "kind", "action", "reason_code", "automated", "created_at")
    list_filter = ("kind", "automated")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("id", "notice", "appellant", "status", "decided_by", "created_at")
    list_filter = ("status",)


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "created_by", "manifest_sha256", "created_at")


@admin.register(TrustedFlagger)
class TrustedFlaggerAdmin(admin.ModelAdmin):
    """Operators mark accounts of trusted-flagger organisations; every change is audited."""

    list_display = ("user", "organisation", "active", "created_at")
    list_filter = ("active",)
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_audit(actor=request.user, action="policy.trusted_flagger", target_type="user",
                     target_id=str(obj.user_id), data={"organisation": obj.organisation, "active": obj.active})

    def delete_model(self, request, obj):
        record_audit(actor=request.user, action="policy.trusted_flagger_removed", target_type="user",
                     target_id=str(obj.user_id), data={"organisation": obj.organisation})
        super().delete_model(request, obj)

# Hash banks and image uploads (docs/images.md).
from moderation import hashbanks_admin  # noqa: E402,F401
# Screening policy: term lists and allow list (docs/screening.md).
from moderation import policy_admin  # noqa: E402,F401
