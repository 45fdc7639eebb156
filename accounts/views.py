"""HTTP API v1: session, accounts, me."""

from __future__ import annotations

import datetime as dt
import sys

from django import db
from django.contrib.auth import login, logout
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views import i18n
from django.views.decorators.csrf import ensure_csrf_cookie

from django.core.cache import cache

from accounts import services
from accounts.age_assurance.base import AssuranceError
from accounts.age_assurance.flow import complete_assurance
from accounts.age_assurance.nonces import issue_nonce
from accounts.age_assurance.registry import get_provider, get_providers
from accounts.errors import PhareError
from accounts.http import api_view, client_ip, error_response, json_body, string_field
from accounts.models import ConnectionLog
from accounts.representations import iso, own_user
from accounts.throttling import rate_limit


@ensure_csrf_cookie
@api_view({"GET"})
def session(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    return JsonResponse({"authenticated": user is not None, "user": own_user(user) if user else None})


@api_view({"POST"})
@rate_limit("signup", account=None)
def signup(request: HttpRequest) -> HttpResponse:
    data = json_body(request)
    pseudonym = string_field(data, "pseudonym", max_length=64)
    password = string_field(data, "password", max_length=256)
    raw_birthdate = string_field(data, "birthdate", max_length=10)
    try:
        birthdate = dt.date.fromisoformat(raw_birthdate)
    except ValueError as exc:
        raise PhareError("bad_request", extra={"field": "birthdate"}) from exc
    user = services.sign_up(
        pseudonym=pseudonym, password=password, birthdate=birthdate, ip=client_ip(request)
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # The request's language (LocaleMiddleware: the switcher's cookie, else Accept-Language).
    services.remember_language(user=user, language=translation.get_language())
    return JsonResponse({"user": own_user(user)}, status=201)


@api_view({"POST"})
@rate_limit("login", account="pseudonym", failures_only=True)
def login_view(request: HttpRequest) -> HttpResponse:
    data = json_body(request)
    user = services.check_credentials(
        pseudonym=string_field(data, "pseudonym", max_length=64),
        password=string_field(data, "password", max_length=256),
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    services.record_connection(user=user, kind=ConnectionLog.Kind.LOGIN, ip=client_ip(request))
    services.remember_language(user=user, language=translation.get_language())
    return JsonResponse({"user": own_user(user)})


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (`/i18n/setlang/`), which also keeps the choice on a signed-in
    account: live notices are then written in it, on every device."""
    response = i18n.set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None and request.user.is_authenticated:
        services.remember_language(user=request.user, language=chosen.value)
    return response


@api_view({"POST"})
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponse(status=204)


@api_view({"GET", "DELETE"}, login_required=True)
def me(request: HttpRequest) -> HttpResponse:
    if request.method == "DELETE":
        user = request.user
        logout(request)
        services.delete_account(user=user)
        return HttpResponse(status=204)
    return JsonResponse({"user": own_user(request.user)})


@api_view({"PATCH"}, login_required=True)
def me_settings(request: HttpRequest) -> HttpResponse:
    data = json_body(request)
    user = services.update_settings(user=request.user, dm_policy=string_field(data, "dm_policy", max_length=32))
    return JsonResponse({"user": own_user(user)})


@api_view({"POST"}, login_required=True)
def assurance_nonce(request: HttpRequest) -> HttpResponse:
    """A single-use nonce bound to this session, and what each provider needs to start."""
    if request.session.session_key is None:
        request.session.save()
    nonce, expires_at = issue_nonce(store=cache, session_key=request.session.session_key)
    starts = {}
    for name, provider in get_providers().items():
        if provider.available() and not getattr(provider, "signup_only", False):
            starts[name] = {"level": str(provider.level), "label": str(provider.label),
                            **provider.start(nonce=nonce)}
    return JsonResponse({"nonce": nonce, "expires_at": iso(expires_at),
                         "providers": starts})


@api_view({"POST"}, login_required=True)
def assurance_complete(request: HttpRequest, provider: str) -> HttpResponse:
    data = json_body(request)
    if request.session.session_key is None:
        request.session.save()
    try:
        chosen = get_provider(provider)
        if getattr(chosen, "signup_only", False):
            raise PhareError("forbidden", extra={"reason": "signup_only"})
        result = complete_assurance(provider=chosen, payload=data, store=cache,
                                    session_key=request.session.session_key)
    except AssuranceError as error:
        raise PhareError(error.code, str(error.message)) from error
    user = services.apply_assurance(user=request.user, result=result)
    return JsonResponse({"user": own_user(user)})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(PhareError("forbidden", extra={"reason": "csrf"}))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(PhareError("not_found"))


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`: a database that is down or restarting is an
    # outage to retry (503 `unavailable`), not a bug; CONN_HEALTH_CHECKS reconnects by itself.
    if isinstance(sys.exc_info()[1], (db.OperationalError, db.InterfaceError)):
        return error_response(PhareError("unavailable", retry_after=5, extra={"reason": "database"}))
    return JsonResponse({"error": {"code": "server_error", "message": "Internal error."}}, status=500)
