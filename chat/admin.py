"""Admin for rooms and trusted connections. Rooms change through chat.services (audited,
members' sockets told); trusted connections are shown, and ended only through the service
(audited, both people told). Room messages, direct messages and conversations have no page
here at all: moderators read evidence through the console, which audits each read."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin_site import ReadOnlyAdmin
from core.errors import PhareError
from chat import protection, services
from chat.models import Membership, Room, TrustedConnection


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


# Fields an operator sets when creating a room (`add_room`); the rest have defaults.
ROOM_ADD_FIELDS = ("slug", "name", "description", "audience", "min_assurance", "slow_mode_seconds",
                   "max_message_length", "media_allowed")


class RoomForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        # The database's constraint, checked here too: on the change form the audience is
        # read-only, so Django's own check of the constraint skips it.
        audience = cleaned.get("audience") or self.instance.audience
        if cleaned.get("media_allowed") and audience == "minors":
            raise forms.ValidationError({"media_allowed": _("Images are never allowed in minors' rooms.")})
        return cleaned


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Created with `add_room` and changed with `edit_room` (services.ROOM_SETTINGS says what
    may change, and why the rest may not). Lockdown changes only through the actions, which
    alert moderators and audit. Rooms are not deleted here: that would take their messages
    and images, the evidence of open cases, with them; lock the room instead."""

    list_display = ("name", "slug", "audience", "min_assurance", "status", "slow_mode_seconds",
                    "media_allowed", "is_locked")
    list_filter = ("audience", "status", "min_assurance", "is_locked")
    search_fields = ("name", "slug")
    form = RoomForm
    fields = (*ROOM_ADD_FIELDS, "is_locked", "status", "created_by", "created_at", "established_only",
              "lockdown_reason", "lockdown_started_at", "shield_previous_slow_mode")
    actions = [raise_shield, lift_lockdown]

    def get_fields(self, request, obj=None):
        return ROOM_ADD_FIELDS if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [field for field in self.fields if field not in services.ROOM_SETTINGS]

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ("name",)} if obj is None else {}

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            services.edit_room(actor=request.user, room_id=obj.pk,
                               changes={field: form.cleaned_data[field] for field in form.changed_data})
            obj.refresh_from_db()
            return
        room = services.add_room(actor=request.user, **{field: form.cleaned_data[field] for field in ROOM_ADD_FIELDS})
        obj.pk = room.pk
        obj._state.adding = False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    """Read-only: joining checks band, assurance and lockdown (`join_room`), and taking
    someone out of a room is a moderator's decision."""

    list_display = ("room", "user", "joined_at")
    list_filter = ("room",)


@admin.action(description=_("End the selected trusted connections"))
def end_trusted_connections(modeladmin, request, queryset):
    ended = sum(services.end_trusted_connection_as_operator(actor=request.user, connection_id=pk)
                for pk in queryset.values_list("pk", flat=True))
    modeladmin.message_user(request, _("%(count)d trusted connection(s) ended.") % {"count": ended})


@admin.register(TrustedConnection)
class TrustedConnectionAdmin(ReadOnlyAdmin):
    """Who may talk across age bands. Read-only: people propose, accept and end their own;
    an operator may end one (the action, through the service: audited, both people told and
    their cross-band conversation closed)."""

    list_display = ("pk", "user_low", "user_high", "proposer", "state", "created_at", "accepted_at",
                    "ended_at", "end_reason")
    list_filter = ("state",)
    search_fields = ("user_low__pseudonym", "user_high__pseudonym")
    list_select_related = ("user_low", "user_high", "proposer")
    actions = [end_trusted_connections]
