"""JSON edges for the HTTP API: parse bodies, turn PhareError into `{"error": …}`."""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from core.errors import PhareError
from core.edge import parse_ip

MAX_JSON_BODY_BYTES = 64 * 1024


def error_response(error: PhareError) -> JsonResponse:
    response = JsonResponse({"error": error.as_dict()}, status=error.http_status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


# int() refuses strings of more than 4300 digits (CVE-2020-10735); nothing in Phare is that long.
MAX_DECIMAL_DIGITS = 1000


def storable(value: Any) -> bool:
    """False for text PostgreSQL or UTF-8 cannot take anywhere in a decoded JSON value: NUL,
    and lone surrogates (which a JSON "\\ud800" escape decodes to), and for digit strings
    too long for int() (services turn decimal ids into ints). Refusing them at the edge keeps
    them from ever reaching a query or an int() (a 500) or a socket send."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        if len(value) > MAX_DECIMAL_DIGITS and value.isdecimal():
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v) for v in value)
    return True


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object. Raises `bad_request` or `too_large`, never a 500."""
    if len(request.body) > MAX_JSON_BODY_BYTES:
        raise PhareError("too_large")
    if not request.body:
        return {}
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PhareError("bad_request", extra={"reason": "invalid_json"}) from exc
    if not isinstance(data, dict):
        raise PhareError("bad_request", extra={"reason": "expected_object"})
    try:
        clean = storable(data)
    except RecursionError:
        clean = False
    if not clean:
        raise PhareError("bad_request", extra={"reason": "invalid_text"})
    return data


def string_field(data: dict[str, Any], name: str, *, max_length: int = 10_000, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PhareError("bad_request", extra={"field": name})
    if len(value) > max_length:
        raise PhareError("too_large", extra={"field": name})
    return value


def api_view(methods: set[str], *, login_required: bool = False, while_suspended: bool = False) -> Callable:
    """Decorate a JSON API view: method check, sign-in check, domain errors → JSON.

    A suspended or banned account gets 403 `suspended` from every route but those marked
    `while_suspended`: what it needs to read its statements of reasons and appeal (session,
    me, notices, its strikes, appeals, export, log-in, log-out, deletion). New routes are
    refused by default.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(PhareError("bad_request", extra={"reason": "method_not_allowed"}))
                response.status_code = 405
                response["Allow"] = ", ".join(sorted(methods))
                return response
            if login_required and not request.user.is_authenticated:
                return error_response(PhareError("not_authenticated"))
            if not while_suspended and request.user.is_authenticated and request.user.is_suspended():
                return error_response(PhareError("suspended"))
            try:
                return view(request, *args, **kwargs)
            except PhareError as error:
                return error_response(error)

        return wrapper

    return decorator


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as core.edge decided it (REMOTE_ADDR comes from the ASGI
    scope's `client`: the peer, or behind a trusted proxy its X-Forwarded-For), or None when
    there is no usable one. Never reads X-Forwarded-For itself; checked again here so that
    an odd value cannot reach a GenericIPAddressField (a 500)."""
    address = parse_ip(request.META.get("REMOTE_ADDR") or "")
    return str(address) if address is not None else None


def rate_limit_ip(request: HttpRequest) -> str:
    """django-ratelimit's address (RATELIMIT_IP_META_KEY): `client_ip`. Requests without a
    usable one (a Unix socket) share one bucket instead of failing in its address parser."""
    return client_ip(request) or "0.0.0.0"  # nosec B104: a bucket name, nothing listens on it
