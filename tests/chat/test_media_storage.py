"""Images go through whatever storage the operator configured, never through local paths."""

import pytest
from django.core.files.storage import default_storage

from tests.chat.media_fixtures import (  # noqa: F401  (fixtures)
    client_for,
    member,
    photo_room,
    upload_and_scan,
)
from tests.chat.media_images import encode, photo

pytestmark = pytest.mark.django_db


def test_the_pipeline_runs_on_another_configured_storage(settings, member, tmp_path,
                                                         django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path / "must-stay-empty")
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    upload = upload_and_scan(member, encode(photo(7, (320, 240)), "JPEG", quality=85),
                             django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared"
    assert default_storage.__class__.__name__ == "InMemoryStorage"
    assert default_storage.exists(upload.storage_name)
    assert not (tmp_path / "must-stay-empty").exists()
    response = client_for(member).get(f"/api/v1/uploads/{upload.pk}/image")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:2] == b"\xff\xd8"
