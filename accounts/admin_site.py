"""The Django admin's site: the same door rules as the rest of Phare.

Django lets in any active staff account, and a superuser passes every permission check; here
the account must also be in good standing (not suspended, banned or deleted:
accounts.permissions), checked at every request. Its logout ends every session of the account,
like the API's (accounts.services.end_all_sessions). The login page's limits are in
accounts.views.admin_login.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite, ModelAdmin
from django.http import HttpRequest, HttpResponse

from accounts import services
from accounts.permissions import in_good_standing


class PhareAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and in_good_standing(request.user)

    def logout(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "POST" and request.user.is_authenticated:
            services.end_all_sessions(user=request.user)
        return super().logout(request, extra_context)


class ReadOnlyAdmin(ModelAdmin):
    """Shown, never changed in the admin: what has its own audited path elsewhere (the
    console, the person's own controls, the services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
