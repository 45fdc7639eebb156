"""Images on real processes: uvicorn, a Celery worker, PostgreSQL and Redis. An image with
GPS data is delivered live without it; once banked, a resized copy is blocked by the worker."""

from __future__ import annotations

import asyncio
import io
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
import websockets
from PIL import ExifTags, Image

from tests.chat.media_images import (
    jpeg_with_metadata,
    photo,
    png_claiming_size,
    resized_recompressed,
    truncated_jpeg,
)
from tests.integration.conftest import CeleryWorker, HttpUser, manage, start_asgi_server, ws_event, ws_request

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def account(env: dict[str, str], base: str, pseudonym: str, *, moderator: bool = False) -> tuple[HttpUser, str]:
    """An adult account made with the sign-up service (not over HTTP: the integration suite
    shares one per-IP sign-up budget), then signed in over HTTP like a browser."""
    manage(env, "shell", "-c", (
        "import datetime as dt; from accounts.services import sign_up; "
        f"sign_up(pseudonym={pseudonym!r}, password={PASSWORD!r}, "
        "birthdate=dt.date.today() - dt.timedelta(days=11000), "
        "ip='127.0.0.1')"))
    if moderator:
        manage(env, "grantrole", pseudonym, "moderator")
    user = HttpUser(base)
    status, body = user.call("POST", "/api/v1/accounts/login", {"pseudonym": pseudonym, "password": PASSWORD})
    assert status == 200, body
    return user, body["user"]["id"]



def post_image(user: HttpUser, data: bytes, room: str) -> tuple[int, dict]:
    if not user.cookie("csrftoken"):
        user.opener.open(user.base + "/api/v1/session").read()
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"room\"\r\n\r\n{room}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(user.base + "/api/v1/uploads", data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": user.cookie("csrftoken")})
    try:
        with user.opener.open(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def get_bytes(user: HttpUser, path: str) -> tuple[int, bytes]:
    try:
        with user.opener.open(user.base + path) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.fixture
def media_env(service_env, tmp_path) -> dict[str, str]:
    return {**service_env, "PHARE_MEDIA_ROOT": str(tmp_path / "media")}


def test_image_scanned_by_the_worker_is_delivered_clean_then_its_banked_copy_is_blocked(media_env, tmp_path):
    server = start_asgi_server(media_env, tmp_path)
    worker = CeleryWorker(env=media_env, log_path=tmp_path / "celery.log")
    try:
        worker.start()
        manage(media_env, "createroom", "--slug", "pics-it", "--name", "Pics", "--audience", "adults", "--media")
        ann, ann_id = account(media_env, server.http, "ann_img_it")
        ben, _ben_id = account(media_env, server.http, "ben_img_it")
        mod, _mod_id = account(media_env, server.http, "mod_img_it", moderator=True)
        original = jpeg_with_metadata(photo(7, (640, 480)))

        async def scenario() -> None:
            async with websockets.connect(server.ws, additional_headers=ann.ws_headers()) as a, \
                    websockets.connect(server.ws, additional_headers=ben.ws_headers()) as b:
                for ws in (a, b):
                    assert (await ws_request(ws, {"type": "room.join", "id": "j", "room": "pics-it"}))["type"] == "ack"
                # A decompression bomb is refused from its header, a truncated photo by the
                # worker; both processes carry on with the next image.
                status, body = await asyncio.to_thread(post_image, ann, png_claiming_size(50_000, 50_000), "pics-it")
                assert status == 413 and body["error"]["reason"] == "decompression_bomb", body
                status, body = await asyncio.to_thread(post_image, ann, truncated_jpeg(photo(8)), "pics-it")
                assert status == 202, body
                failed = await ws_event(a, "upload.failed")
                assert failed["upload"]["error"]["code"] == "unsupported_media"
                status, body = await asyncio.to_thread(post_image, ann, original, "pics-it")
                assert status == 202 and body["upload"]["status"] == "scanning", body
                event = await ws_event(b, "room.message", where=lambda e: "image" in e["message"])
                image = event["message"]["image"]
                assert image["blurred_by_default"] is True and (image["width"], image["height"]) == (640, 480)
                status, data = await asyncio.to_thread(get_bytes, ben, image["url"])
                assert status == 200
                delivered = Image.open(io.BytesIO(data))
                assert len(delivered.getexif()) == 0 and b"PhareCam" not in data
                assert delivered.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}

                status, banked = await asyncio.to_thread(
                    mod.call, "POST", f"/api/v1/moderation/uploads/{image['id']}/bank", {"note": "it"})
                assert status == 201, banked
                status, body = await asyncio.to_thread(post_image, ann, resized_recompressed(original), "pics-it")
                assert status == 202
                failed = await ws_event(a, "upload.failed")
                assert failed["upload"]["status"] == "blocked"
                assert failed["upload"]["error"]["code"] == "blocked_by_policy"
                # Ben never receives the copy.
                with pytest.raises((asyncio.TimeoutError, TimeoutError)):
                    await ws_event(b, "room.message", timeout=2, where=lambda e: "image" in e["message"])

        asyncio.run(scenario())
        cases = mod.call("GET", "/api/v1/moderation/cases?status=open")[1]["cases"]
        assert any(c["subject"]["id"] == ann_id for c in cases), cases
    finally:
        worker.stop()
        server.stop()
