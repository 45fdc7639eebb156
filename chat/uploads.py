"""HTTP edges for images: upload into quarantine, the uploader's status, protected reads.

Images are never served from a public path: every read goes through a view that checks
who may see it (chat.media), and answers 404 to anyone else.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse

from core.errors import PhareError
from core.http import api_view
from chat import media

# Multipart framing and the two small text fields on top of the image itself.
_MULTIPART_OVERHEAD = 64 * 1024


def _private_image_headers(response: HttpResponse, *, cache_seconds: int) -> HttpResponse:
    response["Cache-Control"] = f"private, max-age={cache_seconds}" if cache_seconds else "no-store"
    # An image opened on its own cannot run anything, whatever its bytes claim to be.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Disposition"] = "inline"
    return response


@api_view({"POST"}, login_required=True)
def create_upload(request: HttpRequest) -> HttpResponse:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdecimal() and int(declared) > settings.PHARE_UPLOAD_MAX_BYTES + _MULTIPART_OVERHEAD:
        raise PhareError("too_large", extra={"reason": "bytes", "max_bytes": settings.PHARE_UPLOAD_MAX_BYTES})
    image = request.FILES.get("image")
    if image is None:
        raise PhareError("bad_request", extra={"field": "image"})
    if image.size > settings.PHARE_UPLOAD_MAX_BYTES:
        raise PhareError("too_large", extra={"reason": "bytes", "max_bytes": settings.PHARE_UPLOAD_MAX_BYTES})
    upload = media.accept_upload(
        user=request.user, data=image.read(), room_slug=request.POST.get("room", "").strip(),
        conversation_id=request.POST.get("conversation", "").strip(),
    )
    return JsonResponse({"upload": {"id": str(upload.pk), "status": upload.status}}, status=202)


@api_view({"GET"}, login_required=True)
def upload_detail(request: HttpRequest, upload_id: str) -> HttpResponse:
    return JsonResponse({"upload": media.upload_status(user=request.user, upload_id=upload_id)})


@api_view({"GET"}, login_required=True)
def upload_image(request: HttpRequest, upload_id: str) -> HttpResponse:
    handle, content_type = media.open_image_for(user=request.user, upload_id=upload_id)
    return _private_image_headers(FileResponse(handle, content_type=content_type), cache_seconds=3600)


@api_view({"GET"}, login_required=True)
def moderator_upload_image(request: HttpRequest, upload_id: str) -> HttpResponse:
    data, content_type = media.render_for_moderator(
        moderator=request.user, upload_id=upload_id, rendition=request.GET.get("rendition", "safe"),
    )
    return _private_image_headers(HttpResponse(data, content_type=content_type), cache_seconds=0)
