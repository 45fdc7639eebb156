from django.contrib import admin

from chat.models import Conversation, Membership, Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "audience", "min_assurance", "status", "slow_mode_seconds",
                    "media_allowed", "is_locked")
    list_filter = ("audience", "status", "min_assurance", "is_locked")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


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
