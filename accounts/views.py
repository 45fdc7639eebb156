"""HTTP API v1: session, accounts, me."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts import services
from accounts.errors import PhareError
from accounts.http import api_view, client_ip, error_response, json_body, string_field
from accounts.models import ConnectionLog
from accounts.representations import own_user


@ensure_csrf_cookie
@api_view({"GET"})
def session(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    return JsonResponse({"authenticated": user is not None, "user": own_user(user) if user else None})


@api_view({"POST"})
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
    return JsonResponse({"user": own_user(user)}, status=201)


@api_view({"POST"})
def login_view(request: HttpRequest) -> HttpResponse:
    data = json_body(request)
    user = services.check_credentials(
        pseudonym=string_field(data, "pseudonym", max_length=64),
        password=string_field(data, "password", max_length=256),
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    services.record_connection(user=user, kind=ConnectionLog.Kind.LOGIN, ip=client_ip(request))
    return JsonResponse({"user": own_user(user)})


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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(PhareError("forbidden", extra={"reason": "csrf"}))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(PhareError("not_found"))


def server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"error": {"code": "server_error", "message": "Internal error."}}, status=500)
