"""Every HTTP route Phare serves, read from config/urls.py's resolver (not from a list kept by
hand), so a new endpoint shows up in the authorisation matrix and the fuzzers by itself."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# The Django admin is tested as a whole (staff only): its hundreds of generated routes all
# go through AdminSite.admin_view.
ADMIN_PREFIX = "admin/"
_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # "api/v1/reports/<str:report_id>"
    name: str | None
    callback: object

    @property
    def key(self) -> str:
        """The route with its parameters as {name}: the matrix key."""
        return _PARAMETER.sub(lambda m: "{" + m.group("name") + "}", self.route)

    @property
    def parameters(self) -> list[str]:
        return [m.group("name") for m in _PARAMETER.finditer(self.route)]

    def path(self, **values: str) -> str:
        return "/" + _PARAMETER.sub(lambda m: str(values[m.group("name")]), self.route)


def _walk(patterns, prefix: str) -> list[Route]:
    routes: list[Route] = []
    for pattern in patterns:
        text = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(_walk(pattern.url_patterns, prefix + text))
        elif isinstance(pattern, URLPattern):
            routes.append(Route(route=prefix + text, name=pattern.name, callback=pattern.callback))
    return routes


def all_routes(*, include_admin: bool = False) -> list[Route]:
    routes = _walk(get_resolver().url_patterns, "")
    if not include_admin:
        routes = [r for r in routes if not r.route.startswith(ADMIN_PREFIX)]
    # A regex route (not `path()`) would escape the {name} substitution: refuse to guess.
    for route in routes:
        assert "^" not in route.route and "(?P" not in route.route, f"regex route not handled: {route.route}"
    return routes
