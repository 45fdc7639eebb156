"""Operational endpoints and the public pages: safety centre and terms."""

from __future__ import annotations

import hmac
import json

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from core.errors import PhareError
from core.http import error_response
from ops import metrics as ops_metrics
from ops import terms
from ops.collectors import CeleryQueueCollector, ModerationQueueCollector
from ops.health import check_readiness


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Checks nothing else, so a Redis outage does not get
    every web process restarted by its supervisor."""
    return _no_store(JsonResponse({"status": "ok"}))


def _readiness_response(readiness) -> HttpResponse:
    return _no_store(JsonResponse(readiness.as_dict(), status=200 if readiness.ready else 503))


def readyz(request: HttpRequest) -> HttpResponse:
    return _readiness_response(async_to_sync(check_readiness)())


async def readyz_async(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when PostgreSQL, Redis and the channel layer answer, else 503."""
    return _readiness_response(await check_readiness())


def metrics_authorised(request: HttpRequest) -> bool:
    """True only for `Authorization: Bearer <PHARE_METRICS_TOKEN>`, compared in constant
    time. With no token configured nobody is: the endpoint is off."""
    token = settings.PHARE_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics(request: HttpRequest) -> HttpResponse:
    # 404, not 401: to anyone without the token (or when it is off) the endpoint does not exist.
    if not metrics_authorised(request):
        return _no_store(error_response(PhareError("not_found")))
    body = ops_metrics.render([ModerationQueueCollector(), CeleryQueueCollector()])
    return _no_store(HttpResponse(body, content_type=ops_metrics.CONTENT_TYPE))


def safety(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    context = {
        "is_minor": bool(user is not None and user.is_minor),
        "helplines": terms.helplines(),
        "categories": terms.report_categories(),
    }
    return render(request, "ops/safety.html", context)


def terms_full(request: HttpRequest) -> HttpResponse:
    return render(request, "ops/terms.html", terms.terms_context(simple=False))


def terms_simple(request: HttpRequest) -> HttpResponse:
    return render(request, "ops/terms_simple.html", terms.terms_context(simple=True))


def terms_json(request: HttpRequest) -> HttpResponse:
    """The same content as data, for clients and for checking what is enabled."""
    data = terms.terms_context(simple=False)
    payload = {
        "version": data["version"],
        "language": translation.get_language(),
        "automated_measures": [m.as_dict() for m in data["measures"]],
        "human_review": [str(step) for step in data["review_steps"]],
    }
    return JsonResponse(json.loads(json.dumps(payload, default=str)))
