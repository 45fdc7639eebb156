"""HTTP API v1 for user controls: blocks, mutes, personal data export."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts import controls
from core.errors import PhareError
from core.http import api_view, json_body


def _target(request: HttpRequest) -> str:
    value = json_body(request).get("user")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 20:
        raise PhareError("bad_request", extra={"field": "user"})
    return value


@api_view({"GET", "POST"}, login_required=True)
def blocks(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        block, created = controls.block_user(user=request.user, target_id=_target(request))
        return JsonResponse({"block": block}, status=201 if created else 200)
    return JsonResponse({"blocks": controls.list_blocks(user=request.user)})


@api_view({"DELETE"}, login_required=True)
def block_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    controls.unblock_user(user=request.user, target_id=user_id)
    return HttpResponse(status=204)


@api_view({"GET", "POST"}, login_required=True)
def mutes(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        mute, created = controls.mute_user(user=request.user, target_id=_target(request))
        return JsonResponse({"mute": mute}, status=201 if created else 200)
    return JsonResponse({"mutes": controls.list_mutes(user=request.user)})


@api_view({"DELETE"}, login_required=True)
def mute_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    controls.unmute_user(user=request.user, target_id=user_id)
    return HttpResponse(status=204)


@api_view({"GET"}, login_required=True, while_suspended=True)
def export(request: HttpRequest) -> HttpResponse:
    data = controls.export_personal_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="phare-export.json"'
    response["Cache-Control"] = "no-store"
    return response
