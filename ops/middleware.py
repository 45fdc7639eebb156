"""Operational middleware: health endpoints in front of everything, and the request log."""

from __future__ import annotations

import logging
import re
import time
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse

from ops import metrics, views
from ops.logs import request_id_var

logger = logging.getLogger("phare.request")

# Answered before host validation, the HTTPS redirect and sessions: load balancers, container
# health checks and Prometheus call them by address, over plain HTTP, without cookies.
# /metrics still answers only Prometheus's bearer token (ops.views.metrics_authorised).
OPERATIONAL_PATHS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}
_ASYNC_OPERATIONAL = {"/readyz": views.readyz_async}
_INCOMING_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class _SyncAndAsyncMiddleware:
    """A middleware that runs in the server's mode: async under ASGI (no thread hop per
    request), sync under WSGI and the test client. Subclasses give __call__ and __acall__."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class HealthCheckMiddleware(_SyncAndAsyncMiddleware):
    """Serve /healthz, /readyz and /metrics directly; must come first in MIDDLEWARE."""

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self.__acall__(request)
        view = OPERATIONAL_PATHS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path in _ASYNC_OPERATIONAL:
            return await _ASYNC_OPERATIONAL[path](request)
        view = OPERATIONAL_PATHS.get(path)
        if view is not None:
            return await sync_to_async(view, thread_sensitive=True)(request)
        return await self.get_response(request)


class RequestLogMiddleware(_SyncAndAsyncMiddleware):
    """Give each request an id (logs, `X-Request-ID` header) and write one log line for it.

    The line has the method, the path (never the query string), the status, the time taken and
    the account id if signed in — never the address, a body or a cookie.
    """

    @staticmethod
    def _request_id(request: HttpRequest) -> str:
        incoming = request.headers.get("X-Request-ID", "")
        return incoming if _INCOMING_ID_RE.match(incoming) else uuid.uuid4().hex

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self.__acall__(request)
        token, started, request_id = self._start(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started, request_id)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        token, started, request_id = self._start(request)
        try:
            response = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, started, request_id)

    def _start(self, request: HttpRequest):
        request_id = self._request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        return request_id_var.set(request_id), time.perf_counter(), request_id

    def _finish(self, request: HttpRequest, response: HttpResponse, started: float, request_id: str):
        duration = time.perf_counter() - started
        response["X-Request-ID"] = request_id
        status = response.status_code
        metrics.HTTP_RESPONSES.labels(request.method, str(status)).inc()
        metrics.HTTP_DURATION.labels(request.method).observe(duration)
        if status == 429:
            metrics.RATE_LIMITED.labels("http", "rate_limited").inc()
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s", request.method, request.path, status,
            extra={
                "event": "http.request", "request_id": request_id, "method": request.method,
                "path": request.path, "status": status, "duration_ms": round(duration * 1000, 2),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response

