"""HTTP edge for moderators: add a removed image's hashes to a bank."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from core.http import api_view, json_body, string_field
from moderation import hashbanks


@api_view({"POST"}, login_required=True)
def bank_upload(request: HttpRequest, upload_id: str) -> HttpResponse:
    data = json_body(request)
    rows = hashbanks.add_image_to_bank(
        upload_id=upload_id, actor=request.user,
        bank=string_field(data, "bank", max_length=64, required=False) or None,
        note=string_field(data, "note", max_length=500, required=False),
        category=string_field(data, "category", max_length=32, required=False) or None,
    )
    return JsonResponse({"banked": [{"id": str(r.pk), "bank": r.bank.name, "type": r.hash_type, "value": r.value}
                                    for r in rows]}, status=201)
