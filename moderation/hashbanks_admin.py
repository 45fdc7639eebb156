"""Admin for hash banks and image uploads (imported by moderation/admin.py).

Uploads are listed here, not in chat's admin, because what staff do with them is
moderation: look at the evidence (blurred and in greyscale by default) and bank a removed
image so that copies of it are caught.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.errors import PhareError
from chat.models import Upload
from moderation import hashbanks
from moderation.audit import record_audit
from moderation.models import BankedHash, HashBank


@admin.register(HashBank)
class HashBankAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "active", "created_at")
    list_filter = ("category", "active")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        hashbanks.bump_bank_version()  # an (in)activated bank changes what matches


@admin.register(BankedHash)
class BankedHashAdmin(admin.ModelAdmin):
    list_display = ("value", "hash_type", "bank", "source", "added_by", "created_at")
    list_filter = ("hash_type", "bank")
    search_fields = ("value", "note", "source")
    raw_id_fields = ("added_by",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        hashbanks.bump_bank_version()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        hashbanks.bump_bank_version()


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
