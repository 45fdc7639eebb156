"""HTTP API v1 for rooms, and the page that serves the browser client."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from core.http import api_view
from chat import services
from chat.representations import room_repr


@api_view({"GET"}, login_required=True)
def rooms(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"rooms": [room_repr(r) for r in services.visible_rooms(user=request.user)]})


@ensure_csrf_cookie
def client(request: HttpRequest) -> HttpResponse:
    return render(request, "chat/client.html")
