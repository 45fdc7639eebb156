"""HTTP API v1: session, accounts, me."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator

from django.contrib.auth import login, logout
from django.conf import settings
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views import i18n
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError

from accounts import evasion, services
from accounts.age_assurance.base import AssuranceError
from accounts.age_assurance.flow import complete_assurance
from accounts.age_assurance.nonces import issue_nonce
from accounts.age_assurance.openid4vp import OpenID4VPProvider
from accounts.age_assurance.registry import get_provider, get_providers
from core.errors import PhareError
from core.http import (MAX_JSON_BODY_BYTES, api_view, client_ip, error_response, json_body, rate_limit_ip,
                       string_field)
from core.outages import outage_error
from accounts.models import ConnectionLog
from accounts.representations import iso, own_user
from accounts.throttling import limit_login, rate_limit, take_for_action

# An under-13 refusal is remembered on the browser for a day (docs/age-assurance.md), so
# that changing the year and trying again at once does not work: a signed, salted cookie.
AGE_REFUSAL_COOKIE = "phare_age_refusal"
AGE_REFUSAL_SALT = "accounts.views.signup.age_below_minimum"
AGE_REFUSAL_SECONDS = 24 * 3600


@ensure_csrf_cookie
@api_view({"GET"}, while_suspended=True)
def session(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    return JsonResponse({"authenticated": user is not None, "user": own_user(user) if user else None})


def _age_refused_here(request: HttpRequest) -> bool:
    return request.get_signed_cookie(AGE_REFUSAL_COOKIE, default=None, salt=AGE_REFUSAL_SALT,
                                      max_age=AGE_REFUSAL_SECONDS) is not None


def _remember_age_refusal(response: HttpResponse) -> HttpResponse:
    response.set_signed_cookie(
        AGE_REFUSAL_COOKIE, "1", salt=AGE_REFUSAL_SALT, max_age=AGE_REFUSAL_SECONDS,
        path="/api/v1/accounts/", httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@api_view({"POST"})
@rate_limit("signup", account=None)
def signup(request: HttpRequest) -> HttpResponse:
    if _age_refused_here(request):
        # The same answer as the refusal itself, whatever the body says now.
        raise PhareError("age_below_minimum")
    data = json_body(request)
    pseudonym = string_field(data, "pseudonym", max_length=64)
    password = string_field(data, "password", max_length=256)
    raw_birthdate = string_field(data, "birthdate", max_length=10)
    try:
        birthdate = dt.date.fromisoformat(raw_birthdate)
    except ValueError as exc:
        raise PhareError("bad_request", extra={"field": "birthdate"}) from exc
    try:
        user = services.sign_up(
            pseudonym=pseudonym, password=password, birthdate=birthdate, ip=client_ip(request)
        )
    except PhareError as error:
        if error.code == "age_below_minimum":
            return _remember_age_refusal(error_response(error))
        raise
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # The request's language (LocaleMiddleware: the switcher's cookie, else Accept-Language).
    services.remember_language(user=user, language=translation.get_language())
    response = JsonResponse({"user": own_user(user)}, status=201)
    evasion.remember_device(request=request, response=response, user=user)
    return response


@api_view({"POST"}, while_suspended=True)
def login_view(request: HttpRequest) -> HttpResponse:
    data = json_body(request)
    pseudonym = string_field(data, "pseudonym", max_length=64)
    password = string_field(data, "password", max_length=256)
    # The log-in limits (per address; failures per pseudonym and address), shared with the
    # admin's login page.
    user = limit_login(
        request, pseudonym=pseudonym,
        attempt=lambda: services.check_credentials(pseudonym=pseudonym, password=password),
        failed=lambda user: False,
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    services.record_connection(user=user, kind=ConnectionLog.Kind.LOGIN, ip=client_ip(request))
    services.remember_language(user=user, language=translation.get_language())
    response = JsonResponse({"user": own_user(user)})
    evasion.remember_device(request=request, response=response, user=user)
    return response


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (`/i18n/setlang/`), which also keeps the choice on a signed-in
    account: live notices are then written in it, on every device."""
    response = i18n.set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None and request.user.is_authenticated:
        services.remember_language(user=request.user, language=chosen.value)
    return response


@api_view({"POST"}, while_suspended=True)
def logout_view(request: HttpRequest) -> HttpResponse:
    """End every session of the account (other devices included, docs/security.md) and close
    its sockets, then this session."""
    if request.user.is_authenticated:
        services.end_all_sessions(user=request.user)
    logout(request)
    return HttpResponse(status=204)


@api_view({"GET", "DELETE"}, login_required=True, while_suspended=True)
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


def _session_key(request: HttpRequest) -> str:
    """The session's key, saving a new session first: nonces are bound to it."""
    if request.session.session_key is None:
        request.session.save()
    return request.session.session_key


@contextlib.contextmanager
def _assurance_refusals() -> Iterator[None]:
    """A refused age check (AssuranceError) answered like every other refusal."""
    try:
        yield
    except AssuranceError as error:
        raise PhareError(error.code, str(error.message)) from error


@api_view({"POST"}, login_required=True)
def assurance_nonce(request: HttpRequest) -> HttpResponse:
    """A single-use nonce bound to this session, and what each provider needs to start."""
    nonce, expires_at = issue_nonce(store=cache, session_key=_session_key(request))
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
    session_key = _session_key(request)
    with _assurance_refusals():
        chosen = get_provider(provider)
        if getattr(chosen, "signup_only", False):
            raise PhareError("forbidden", extra={"reason": "signup_only"})
        result = complete_assurance(provider=chosen, payload=data, store=cache, session_key=session_key)
    user = services.apply_assurance(user=request.user, result=result)
    return JsonResponse({"user": own_user(user)})


def _openid4vp() -> OpenID4VPProvider:
    provider = get_provider(OpenID4VPProvider.name)  # provider_unknown / provider_unavailable
    if not isinstance(provider, OpenID4VPProvider):
        raise AssuranceError("provider_unknown", "openid4vp is configured as another class")
    return provider


@api_view({"POST"}, login_required=True)
@rate_limit("age_wallet")
def openid4vp_request(request: HttpRequest) -> HttpResponse:
    """A presentation request for a wallet, for the band given or the account's own."""
    with _readable_body():
        data = json_body(request)
    band = string_field(data, "age_band", max_length=8, required=False) or request.user.age_band
    response_uri = request.build_absolute_uri(reverse("api-openid4vp-response"))
    with _assurance_refusals():
        answer = _openid4vp().create_request(
            session_key=_session_key(request), band=band, response_uri=response_uri)
    return JsonResponse({**answer, "expires_at": iso(answer["expires_at"])}, status=201)


@api_view({"GET"}, login_required=True)
def openid4vp_status(request: HttpRequest, transaction: str) -> HttpResponse:
    with _assurance_refusals():
        status = _openid4vp().transaction_status(transaction=transaction, session_key=_session_key(request))
    return JsonResponse(status)


@csrf_exempt  # the wallet has neither Phare's cookies nor its CSRF token; `state` and the nonce bind it
@api_view({"POST"})
def openid4vp_response(request: HttpRequest) -> HttpResponse:
    """The wallet's answer (OpenID4VP direct_post): form-encoded `vp_token` and `state`, or
    the same as a JSON object."""
    # Per address only: the wallet has no session. Spent before the body is read, so that a
    # flood of answers, well formed or not, costs no verification.
    take_for_action("age_wallet", user=None, ip=rate_limit_ip(request))
    with _readable_body():
        if len(request.body) > MAX_JSON_BODY_BYTES:
            raise PhareError("too_large")
        form = json_body(request) if request.content_type == "application/json" else request.POST.dict()
    with _assurance_refusals():
        _openid4vp().receive_response(form=form)
    return JsonResponse({})


@contextlib.contextmanager
def _readable_body() -> Iterator[None]:
    """A body Django refuses to read (over DATA_UPLOAD_MAX_MEMORY_SIZE: `too_large`) or to
    parse as a form (a multipart body without its boundary, more fields than
    DATA_UPLOAD_MAX_NUMBER_FIELDS: `bad_request`, `reason: "invalid_form"`) answered with a
    code, as the JSON body's mistakes are, rather than Django's HTML 400 page."""
    try:
        yield
    except RequestDataTooBig as exc:
        raise PhareError("too_large") from exc
    except (MultiPartParserError, SuspiciousOperation) as exc:
        raise PhareError("bad_request", extra={"reason": "invalid_form"}) from exc


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(PhareError("forbidden", extra={"reason": "csrf"}))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(PhareError("not_found"))


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`: PostgreSQL or Redis down or restarting is an
    # outage to retry (503 `unavailable`), not a bug; CONN_HEALTH_CHECKS reconnects by itself.
    outage = outage_error(sys.exc_info()[1])
    if outage is not None:
        return error_response(outage)
    return JsonResponse({"error": {"code": "server_error", "message": "Internal error."}}, status=500)


@ensure_csrf_cookie
def account_page(request: HttpRequest) -> HttpResponse:
    """The account page: download my data, log out, delete my account (confirmed in the
    page). Signed out, the chat page signs in and comes back here."""
    if not request.user.is_authenticated:
        return redirect("/?" + urlencode({"next": request.path}))
    return render(request, "accounts/account.html", {"user": request.user})
