"""The Django admin's site: the same door rules as the rest of Phare.

Django lets in any active staff account, and a superuser passes every permission check; here
the account must also be in good standing (not suspended, banned or deleted:
accounts.permissions), checked at every request. Its login page is under the API log-in's
limits (`throttling.limit_login`), and its logout ends every session of the account, like
the API's (accounts.services.end_all_sessions).
"""

from __future__ import annotations

import math

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache

from accounts import services
from accounts.permissions import in_good_standing
from accounts.throttling import limit_login
from core.errors import PhareError


class _RefusedAdminLogin(AdminAuthenticationForm):
    """The admin's login form, empty, carrying the limiter's refusal as its error."""

    def __init__(self, request: HttpRequest, *, refusal: str) -> None:
        super().__init__(request)
        self.refusal = refusal

    def non_field_errors(self):
        return self.error_class([self.refusal], error_class="nonfield")


class PhareAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and in_good_standing(request.user)

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Django's login page under the API log-in's limits, counted together with it: a
        refused attempt shows the page again with the refusal and answers 429 with
        Retry-After, without checking the password."""
        if request.method != "POST":
            return super().login(request, extra_context)
        try:
            return limit_login(
                request, pseudonym=request.POST.get("username", ""),
                attempt=lambda: super(PhareAdminSite, self).login(request, extra_context),
                # A failed log-in is the form again (200), a success a redirect.
                failed=lambda response: response.status_code == 200,
            )
        except PhareError as error:
            return self._refused_login(request, error)

    def _refused_login(self, request: HttpRequest, error: PhareError) -> HttpResponse:
        wait = error.retry_after
        if error.code == "rate_limited" and wait:
            minutes = math.ceil(wait / 60)
            refusal = ngettext(
                "Too many log-in attempts. Please wait %(minutes)d minute before trying again.",
                "Too many log-in attempts. Please wait %(minutes)d minutes before trying again.",
                minutes,
            ) % {"minutes": minutes}
        else:
            refusal = error.as_dict()["message"]
        context = {
            **self.each_context(request),
            "title": gettext("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            "form": _RefusedAdminLogin(request, refusal=refusal),
            REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME) or reverse("admin:index"),
        }
        response = TemplateResponse(request, self.login_template or "admin/login.html", context,
                                    status=error.http_status)
        if wait is not None:
            response["Retry-After"] = str(wait)
        return response

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
