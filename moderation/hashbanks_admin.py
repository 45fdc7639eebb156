"""Admin for hash banks and image uploads (imported by moderation/admin.py).

Uploads are listed here, not in chat's admin, because what staff do with them is
moderation: look at the evidence (blurred and in greyscale by default) and bank a removed
image so that copies of it are caught.
"""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.errors import PhareError
from chat.models import Upload
from moderation import hashbanks
from moderation.audit import record_audit
from moderation.models import BankedHash, HashBank


@admin.register(HashBank)
class HashBankAdmin(admin.ModelAdmin):
    """Through hashbanks.save_hash_bank (audited, PDQ index reloaded). Banks are deactivated,
    never deleted, and keep their name (see save_hash_bank)."""

    list_display = ("name", "category", "active", "created_at")
    list_filter = ("category", "active")
    fields = ("name", "category", "description", "active", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return ("created_at",) if obj is None else ("name", "created_at")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = form.changed_data if change else hashbanks.BANK_SETTINGS
        changes = {field: form.cleaned_data[field] for field in fields if field in hashbanks.BANK_SETTINGS}
        bank = hashbanks.save_hash_bank(actor=request.user, bank_id=obj.pk if change else None,
                                        name=obj.name, changes=changes)
        obj.pk = bank.pk
        obj._state.adding = False


class BankedHashForm(forms.ModelForm):
    class Meta:
        model = BankedHash
        fields = ("bank", "hash_type", "value", "source", "note")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("hash_type") and cleaned.get("value"):
            try:
                cleaned["value"] = hashbanks.normalise_hash(cleaned["value"], cleaned["hash_type"])
            except PhareError as error:
                raise forms.ValidationError({"value": _("64 hexadecimal digits.")}) from error
        return cleaned


@admin.register(BankedHash)
class BankedHashAdmin(admin.ModelAdmin):
    """Hashes are added (hashbanks.add_banked_hash) and removed, one by one or "delete
    selected" (remove_banked_hashes), never edited: each step audited, PDQ index reloaded."""

    form = BankedHashForm
    list_display = ("value", "hash_type", "bank", "source", "external_id", "imported_at", "added_by", "created_at")
    list_filter = ("hash_type", "bank", "source")
    search_fields = ("value", "note", "source", "external_id")

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        row = hashbanks.add_banked_hash(actor=request.user, bank_id=form.cleaned_data["bank"].pk,
                                        hash_type=form.cleaned_data["hash_type"], value=form.cleaned_data["value"],
                                        source=form.cleaned_data["source"], note=form.cleaned_data["note"])
        obj.pk = row.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        hashbanks.remove_banked_hashes(actor=request.user, hash_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        hashbanks.remove_banked_hashes(actor=request.user, hash_ids=list(queryset.values_list("pk", flat=True)))


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "reason", "uploader", "room", "conversation", "legal_hold", "created_at",
                    "evidence")
    list_filter = ("status", "legal_hold")
    search_fields = ("sha256", "pdq_hash")
    # Only the legal hold is editable (an operator releasing evidence), and that is audited.
    readonly_fields = [f.name for f in Upload._meta.fields if f.name != "legal_hold"] + ["evidence"]
    actions = ["add_to_local_bank"]

    @admin.display(description=_("evidence"))
    def evidence(self, obj):
        # The safe rendition only: the original needs a deliberate, audited request.
        url = reverse("api-moderation-upload-image", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("blurred, greyscale"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "legal_hold" in form.changed_data:
            record_audit(actor=request.user, action="upload.legal_hold", target_type="upload",
                         target_id=str(obj.pk), data={"legal_hold": obj.legal_hold})

    @admin.action(description=_("Add the images' hashes to the bank of removed images"))
    def add_to_local_bank(self, request, queryset):
        done = 0
        for upload in queryset:
            try:
                hashbanks.add_image_to_bank(upload_id=upload.pk, actor=request.user)
                done += 1
            except PhareError as error:
                self.message_user(request, f"upload {upload.pk}: {error.code}", messages.WARNING)
        self.message_user(request, _("%(n)d image(s) banked.") % {"n": done}, messages.SUCCESS)
