"""HTTP API v1 for user controls: blocks, mutes, personal data export."""

from __future__ import annotations

import json
from collections.abc import Callable

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


def _control_views(*, name: str, add: Callable, listing: Callable, remove: Callable):
    """The two endpoints of the user's blocks or mutes: the list (GET lists, POST adds one:
    201, or 200 if it was there) and one entry (DELETE removes it: 204)."""

    @api_view({"GET", "POST"}, login_required=True)
    def collection(request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            entry, created = add(user=request.user, target_id=_target(request))
            return JsonResponse({name: entry}, status=201 if created else 200)
        return JsonResponse({f"{name}s": listing(user=request.user)})

    @api_view({"DELETE"}, login_required=True)
    def detail(request: HttpRequest, user_id: str) -> HttpResponse:
        remove(user=request.user, target_id=user_id)
        return HttpResponse(status=204)

    return collection, detail


blocks, block_detail = _control_views(
    name="block", add=controls.block_user, listing=controls.list_blocks, remove=controls.unblock_user
)
mutes, mute_detail = _control_views(
    name="mute", add=controls.mute_user, listing=controls.list_mutes, remove=controls.unmute_user
)


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
