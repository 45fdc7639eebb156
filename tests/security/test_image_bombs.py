"""Decompression bombs are refused from the header, in well under a second, and never reach
the moderation queue (chat/media.py, docs/images.md "Limits and hardening").

Reported: a 40-megapixel PNG of 40 kB took 7.5 s and 1.4 GB to decode in the scan and held
the moderation queue up to 27 s.
"""

# Fixtures are imported from tests/chat/media_fixtures.py; pytest injects them by name.
# ruff: noqa: F811

from __future__ import annotations

import struct
import time
import warnings
import zlib

import pytest
from PIL import Image, ImageFile

from chat import tasks
from chat.models import Upload
from tests.chat.media_fixtures import client_for, media_root, member, photo_room, post_image  # noqa: F401

pytestmark = pytest.mark.django_db

DOCUMENTED_MAX_PIXELS = 25_000_000  # docs/images.md


def genuine_png(width: int, height: int) -> bytes:
    """A real, decodable one-colour greyscale PNG: every row compresses to almost nothing."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def forty_megapixels() -> bytes:
    data = genuine_png(8000, 5000)
    assert len(data) < 100_000
    return data


@pytest.fixture
def no_decode(monkeypatch) -> list[str]:
    """Records any full decode (ImageFile.load) while the upload is answered."""
    decoded: list[str] = []
    original = ImageFile.ImageFile.load

    def load(self):
        decoded.append(self.format or "?")
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return decoded


@pytest.fixture
def nothing_enqueued(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    monkeypatch.setattr(tasks.scan_upload, "delay", lambda *args, **kwargs: calls.append(args))
    return calls


def test_the_documented_limit_is_the_default(settings):
    assert settings.PHARE_UPLOAD_MAX_PIXELS == DOCUMENTED_MAX_PIXELS


def test_a_40_megapixel_png_is_refused_in_under_a_second_and_never_queued(
        member, forty_megapixels, media_root, no_decode, nothing_enqueued, django_capture_on_commit_callbacks):
    client_for(member).get("/api/v1/session")  # warm the process up: what is timed is the upload
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_image(member, forty_megapixels, name="bomb.png", room="photos")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, elapsed
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and error["reason"] == "decompression_bomb"
    assert error["max_pixels"] == DOCUMENTED_MAX_PIXELS and error["max_side"] == 10_000
    assert error["message"]  # a sentence for the person, in their language
    # Nothing decoded, stored, recorded or queued.
    assert no_decode == []
    assert not Upload.objects.exists()
    assert callbacks == [] and nothing_enqueued == []
    assert not media_root.exists() or not any(path.is_file() for path in media_root.rglob("*"))


def test_a_side_past_the_limit_is_refused_from_the_header_with_the_limit(member, settings, no_decode):
    settings.PHARE_UPLOAD_MAX_SIDE = 4000
    response = post_image(member, genuine_png(5000, 10), name="long.png", room="photos")
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["reason"], error["max_side"]) == ("too_large", "dimensions", 4000)
    assert no_decode == [] and not Upload.objects.exists()


def test_pillow_limit_is_ours_and_never_a_mere_warning(member, forty_megapixels):
    # Between Image.MAX_IMAGE_PIXELS and twice it Pillow only warns; here that is a refusal.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = post_image(member, forty_megapixels, name="bomb.png", room="photos")
    assert response.status_code == 413
    assert Image.MAX_IMAGE_PIXELS == DOCUMENTED_MAX_PIXELS
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_a_queued_file_over_todays_limit_fails_fast_in_the_scan(
        member, settings, forty_megapixels, django_capture_on_commit_callbacks, no_decode):
    # Accepted under a higher limit (say, before an upgrade), still in the queue when the
    # limit is back to the documented value: the scan refuses it from the header too.
    settings.PHARE_UPLOAD_MAX_PIXELS = 50_000_000
    with django_capture_on_commit_callbacks(execute=False):
        response = post_image(member, forty_megapixels, name="bomb.png", room="photos")
    assert response.status_code == 202
    settings.PHARE_UPLOAD_MAX_PIXELS = DOCUMENTED_MAX_PIXELS
    upload_id = int(response.json()["upload"]["id"])
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        status = tasks.scan_upload.apply(args=[upload_id]).get()
    assert time.perf_counter() - started < 1.0
    upload = Upload.objects.get(pk=upload_id)
    assert status == upload.status == Upload.Status.REJECTED and upload.reason == "too_large"
    assert no_decode == []


def test_a_header_claiming_gigapixels_is_refused_by_pillow_itself_the_same_way(member):
    # Past twice the limit Pillow raises DecompressionBombError while reading the header.
    tiny = genuine_png(8, 8)
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0)
    patched = tiny[:8] + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF) + tiny[33:]
    response = post_image(member, patched, name="giga.png", room="photos")
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["reason"], error["max_pixels"]) == ("decompression_bomb", DOCUMENTED_MAX_PIXELS)
    assert not Upload.objects.exists()
