"""Security headers Django 5.2 does not set itself: Content-Security-Policy and Permissions-Policy.

The browser client and the Django admin load every script from a file (no inline script, no
`eval`), so the policy forbids inline scripts outright: an injected `<script>` or `onerror=`
that slipped past output escaping still does not run. `frame-ancestors 'none'` repeats
X-Frame-Options for browsers that read only CSP. The header is set on every response,
JSON included, so that a JSON body opened directly as a document is inert too.
"""

from __future__ import annotations

from typing import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.errors import PhareError
from core.http import MAX_DECIMAL_DIGITS, error_response

DEFAULT_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self' ws: wss:",
        "font-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)

# Nothing in Phare needs these browser features; a compromised page cannot ask for them.
DEFAULT_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
)


class SecurityHeadersMiddleware:
    """Adds the CSP and Permissions-Policy headers unless a view already set its own, and
    answers 404 for a URL parameter no view can take (see `process_view`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        """A path parameter that is a run of more than a thousand digits is no id (ids are
        64-bit), and int() would raise on it past 4300 digits, deep in some view: answer the
        API's 404 here, once for every route, instead of a 500 there."""
        for value in [*view_args, *view_kwargs.values()]:
            if isinstance(value, str) and len(value) > MAX_DECIMAL_DIGITS and value.isdecimal():
                return error_response(PhareError("not_found"))
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read per response, not at import: tests and operators may change the setting.
        policy = getattr(settings, "PHARE_CONTENT_SECURITY_POLICY", DEFAULT_CONTENT_SECURITY_POLICY)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        permissions = getattr(settings, "PHARE_PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)
        if permissions and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions
        return response
