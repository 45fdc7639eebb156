from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.errors import PhareError
from chat import protection
from chat.models import Conversation, Membership, Message, Room


@admin.action(description=_("Raise the shield (established accounts only, slow mode)"))
def raise_shield(modeladmin, request, queryset):
    for room in queryset:
        protection.shield_room(actor=request.user, slug=room.slug)


@admin.action(description=_("Lift lockdown or shield"))
def lift_lockdown(modeladmin, request, queryset):
    for room in queryset.filter(established_only=True):
        try:
            protection.lift_room_lockdown(actor=request.user, slug=room.slug)
        except PhareError as error:
            modeladmin.message_user(request, f"{room.slug}: {error.code}", messages.ERROR)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "audience", "min_assurance", "status", "slow_mode_seconds",
                    "media_allowed", "is_locked")
    list_filter = ("audience", "status", "min_assurance", "is_locked")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    # Lockdown state changes only through the actions, which alert moderators and audit.
    readonly_fields = ("established_only", "lockdown_reason", "lockdown_started_at",
                       "shield_previous_slow_mode")
    actions = [raise_shield, lift_lockdown]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "room", "conversation", "author", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("room", "conversation", "author")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "initiator", "recipient", "state", "created_at")
    list_filter = ("state",)
    raw_id_fields = ("initiator", "recipient", "user_low", "user_high")


admin.site.register(Membership)
