"""HTTP API v1 for trusted connections across age bands (chat.services.trusted)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

# The `{"user": id}` body the user controls take, read the same way (field named on error).
from accounts.controls_views import _target
from chat import services
from core.http import api_view


@api_view({"GET", "POST"}, login_required=True)
def trusted_connections(request: HttpRequest) -> HttpResponse:
    """GET: your pending and active connections; POST `{"user": id}`: propose one (201)."""
    if request.method == "POST":
        connection = services.propose_trusted_connection(user=request.user, target_id=_target(request))
        return JsonResponse({"connection": connection}, status=201)
    return JsonResponse({"connections": services.list_trusted_connections(user=request.user)})


@api_view({"POST"}, login_required=True)
def accept_trusted_connection(request: HttpRequest, connection_id: str) -> HttpResponse:
    connection = services.accept_trusted_connection(user=request.user, connection_id=connection_id)
    return JsonResponse({"connection": connection})


@api_view({"DELETE"}, login_required=True)
def trusted_connection(request: HttpRequest, connection_id: str) -> HttpResponse:
    """End it (either side), decline a proposal, or withdraw your own: 204."""
    services.end_trusted_connection(user=request.user, connection_id=connection_id)
    return HttpResponse(status=204)
