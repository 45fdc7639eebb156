"""The scan: metadata stripped, images delivered as messages, served only to those allowed."""

# Fixtures are imported from tests/chat/media_fixtures.py; pytest injects them by name.
# ruff: noqa: F811

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from accounts.models import AgeBand
from chat import media
from chat import services as chat_services
from chat.models import Membership, Message, Upload
from tests.chat.media_fixtures import (  # noqa: F401  (fixtures)
    accepted_conversation,
    client_for,
    media_root,
    member,
    other_member,
    photo_room,
    post_image,
    sent,
    upload_and_scan,
)
from tests.chat.media_images import (
    SECRET_PLACE,
    animated_gif,
    encode,
    jpeg_with_metadata,
    photo,
    png_with_metadata,
    truncated_jpeg,
)

pytestmark = pytest.mark.django_db

METADATA_MARKERS = [b"Exif", b"PhareCam", b"Serial-0042", SECRET_PLACE.encode(), b"phare-fake-icc", b"xmpmeta",
                    b"Location"]


def stored(media_root, upload: Upload) -> bytes:
    return (media_root / upload.storage_name).read_bytes()


def assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert len(image.getexif()) == 0
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp", "Location"} & set(image.info)
    for marker in METADATA_MARKERS:
        assert marker not in data, marker


def test_jpeg_exif_gps_comment_and_icc_are_gone_after_the_scan(member, media_root,
                                                               django_capture_on_commit_callbacks):
    original = jpeg_with_metadata(photo(10, (400, 300)), orientation=6)
    # The input really carries what must disappear.
    written = Image.open(io.BytesIO(original))
    assert written.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (48.0, 51.0, 24.0)
    assert written.getexif()[ExifTags.Base.Make] == "PhareCam" and "comment" in written.info
    upload = upload_and_scan(member, original, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared"
    assert_no_metadata(stored(media_root, upload))
    # Orientation 6 (rotate 90°) was applied to the pixels before EXIF was dropped.
    assert (upload.width, upload.height) == (300, 400)
    # The quarantined original is deleted once the image is cleared.
    assert not (media_root / upload.quarantine_name).exists()


def test_png_text_chunks_xmp_and_exif_are_gone_after_the_scan(member, media_root,
                                                              django_capture_on_commit_callbacks):
    original = png_with_metadata(photo(11, (300, 200)))
    assert Image.open(io.BytesIO(original)).info["Location"] == SECRET_PLACE
    upload = upload_and_scan(member, original, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared" and upload.content_type == "image/jpeg"
    assert_no_metadata(stored(media_root, upload))


def test_transparent_png_stays_png_without_metadata(member, media_root, django_capture_on_commit_callbacks):
    image = photo(12, (200, 200)).convert("RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    upload = upload_and_scan(member, encode(image, "PNG", exif=Image.Exif()), django_capture_on_commit_callbacks,
                             room="photos")
    data = stored(media_root, upload)
    assert upload.content_type == "image/png" and Image.open(io.BytesIO(data)).mode == "RGBA"
    assert_no_metadata(data)


def test_animated_gif_keeps_its_first_frame_only(member, media_root, django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, animated_gif(), django_capture_on_commit_callbacks, room="photos")
    image = Image.open(io.BytesIO(stored(media_root, upload)))
    assert upload.status == "cleared" and image.format == "JPEG" and getattr(image, "n_frames", 1) == 1


def test_webp_is_accepted(member, django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, encode(photo(13, (300, 200)), "WEBP", quality=80),
                             django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared" and upload.declared_format == "WEBP"


def test_large_images_are_delivered_scaled_down(member, settings, django_capture_on_commit_callbacks):
    settings.PHARE_IMAGE_OUTPUT_MAX_SIDE = 256
    upload = upload_and_scan(member, encode(photo(14, (1024, 512)), "JPEG"), django_capture_on_commit_callbacks,
                             room="photos")
    assert (upload.width, upload.height) == (256, 128)


def test_cleared_image_reaches_the_room_as_a_message_with_its_image(member, photo_room, sent,
                                                                    django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, encode(photo(15, (320, 240)), "JPEG"), django_capture_on_commit_callbacks,
                             room="photos")
    message = Message.objects.get(image=upload)
    assert (message.room_id, message.author_id, message.status) == (photo_room.pk, member.pk, "visible")
    [(group, event)] = [(g, e) for g, e in sent if e["type"] == "room.message"]
    assert group == f"room.{photo_room.pk}" and event["room"] == "photos"
    assert event["message"]["image"] == {
        "id": str(upload.pk), "url": f"/api/v1/uploads/{upload.pk}/image", "width": 320, "height": 240,
        "content_type": "image/jpeg", "blurred_by_default": True,
    }
    assert event["message"]["author"]["id"] == str(member.pk)
    # History shows it too.
    history = chat_services.latest_messages(room=photo_room)
    assert history[-1]["image"]["id"] == str(upload.pk)


def test_cleared_image_in_a_conversation_reaches_both_participants(make_user, sent,
                                                                   django_capture_on_commit_callbacks):
    ann, ben = make_user(AgeBand.ADULT), make_user(AgeBand.ADULT)
    conversation = accepted_conversation(ann, ben)
    upload = upload_and_scan(ann, encode(photo(16, (200, 100)), "PNG"), django_capture_on_commit_callbacks,
                             conversation=str(conversation.pk))
    events = [(g, e) for g, e in sent if e["type"] == "dm.message"]
    assert {g for g, _e in events} == {f"user.{ann.pk}", f"user.{ben.pk}"}
    assert all(e["message"]["image"]["id"] == str(upload.pk) for _g, e in events)


def test_image_is_served_to_members_only(member, other_member, make_user, photo_room,
                                         django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, encode(photo(17, (120, 80)), "JPEG"), django_capture_on_commit_callbacks,
                             room="photos")
    url = f"/api/v1/uploads/{upload.pk}/image"
    response = client_for(other_member).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert "sandbox" in response["Content-Security-Policy"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (120, 80)
    assert client_for(make_user(AgeBand.ADULT)).get(url).status_code == 404  # not a member
    assert client_for(make_user(AgeBand.YOUNG_TEEN)).get(url).status_code == 404  # a minor
    assert client_for(None).get(url).status_code == 401
    # A removed message takes its image out of sight.
    chat_services.set_message_status(message_id=Message.objects.get(image=upload).pk, status="removed")
    assert client_for(other_member).get(url).status_code == 404


def test_conversation_image_is_served_to_its_participants_only(make_user, django_capture_on_commit_callbacks):
    ann, ben, eve = make_user(AgeBand.ADULT), make_user(AgeBand.ADULT), make_user(AgeBand.ADULT)
    conversation = accepted_conversation(ann, ben)
    upload = upload_and_scan(ann, encode(photo(18, (100, 100)), "JPEG"), django_capture_on_commit_callbacks,
                             conversation=str(conversation.pk))
    url = f"/api/v1/uploads/{upload.pk}/image"
    assert client_for(ben).get(url).status_code == 200
    assert client_for(eve).get(url).status_code == 404


def test_media_root_is_not_served_publicly(member, media_root, django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, encode(photo(19, (100, 100)), "JPEG"), django_capture_on_commit_callbacks,
                             room="photos")
    for path in (f"/media/{upload.storage_name}", f"/media-not-served/{upload.storage_name}",
                 f"/static/{upload.storage_name}", f"/{upload.storage_name}"):
        assert client_for(member).get(path).status_code == 404, path


def test_truncated_image_is_rejected_by_the_scan_and_the_uploader_told(member, sent, media_root,
                                                                       django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, truncated_jpeg(photo(20)), django_capture_on_commit_callbacks, room="photos")
    assert (upload.status, upload.reason) == ("rejected", "unsupported_media")
    assert not Message.objects.exists()
    [(group, event)] = [(g, e) for g, e in sent if e["type"] == "upload.failed"]
    assert group == f"user.{member.pk}" and event["upload"]["error"]["code"] == "unsupported_media"
    assert not (media_root / upload.quarantine_name).exists()
    # The worker carries on: the next image goes through.
    after = upload_and_scan(member, encode(photo(21, (100, 100)), "JPEG"), django_capture_on_commit_callbacks,
                            room="photos")
    assert after.status == "cleared"
    status = client_for(member).get(f"/api/v1/uploads/{upload.pk}").json()["upload"]
    assert status["status"] == "rejected" and status["error"]["code"] == "unsupported_media"


def test_delivery_is_rechecked_after_the_scan(member, photo_room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        upload_id = post_image(member, encode(photo(22, (100, 100)), "JPEG"), room="photos").json()["upload"]["id"]
    Membership.objects.filter(user=member).delete()
    with django_capture_on_commit_callbacks(execute=True):
        status = media.scan_upload(upload_id=int(upload_id))
    assert status == "rejected" and Upload.objects.get(pk=upload_id).reason == "not_member"
    assert not Message.objects.exists()


def test_scanning_twice_changes_nothing(member, django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, encode(photo(23, (100, 100)), "JPEG"), django_capture_on_commit_callbacks,
                             room="photos")
    with django_capture_on_commit_callbacks(execute=True):
        assert media.scan_upload(upload_id=upload.pk) == "cleared"
    assert Message.objects.filter(image=upload).count() == 1


def test_stuck_uploads_are_swept_back_to_the_scan(member, django_capture_on_commit_callbacks, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=False):
        upload_id = int(post_image(member, encode(photo(24, (100, 100)), "JPEG"), room="photos")
                        .json()["upload"]["id"])
    Upload.objects.filter(pk=upload_id).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    enqueued = []
    monkeypatch.setattr(media, "_enqueue_scan", enqueued.append)
    assert media.sweep_unscanned_uploads() == 1 and enqueued == [upload_id]


def test_images_nobody_can_see_are_purged_but_never_evidence(member, media_root,
                                                             django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    kept = upload_and_scan(member, encode(photo(25, (100, 100)), "JPEG"), django_capture_on_commit_callbacks,
                           room="photos")
    gone = upload_and_scan(member, encode(photo(26, (100, 100)), "JPEG"), django_capture_on_commit_callbacks,
                           room="photos")
    held = upload_and_scan(member, encode(photo(27, (100, 100)), "JPEG"), django_capture_on_commit_callbacks,
                           room="photos")
    Message.objects.filter(image__in=[gone, held]).delete()  # purged by message retention
    Upload.objects.filter(pk=held.pk).update(legal_hold=True)
    Upload.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    assert media.purge_unreferenced_images() == 1
    assert set(Upload.objects.values_list("pk", flat=True)) == {kept.pk, held.pk}
    assert not (media_root / gone.storage_name).exists()
    assert (media_root / kept.storage_name).exists() and (media_root / held.storage_name).exists()


def test_a_scan_finished_meanwhile_by_another_worker_is_not_applied_twice(member, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    from moderation import gate

    with django_capture_on_commit_callbacks(execute=False):
        upload_id = int(post_image(member, encode(photo(28, (100, 100)), "JPEG"), room="photos")
                        .json()["upload"]["id"])
    real_match = gate.match_image_hashes

    def other_worker_finishes_first(**kwargs):
        Upload.objects.filter(pk=upload_id).update(status=Upload.Status.CLEARED)
        return real_match(**kwargs)

    monkeypatch.setattr(gate, "match_image_hashes", other_worker_finishes_first)
    with django_capture_on_commit_callbacks(execute=True):
        assert media.scan_upload(upload_id=upload_id) == "cleared"
    assert not Message.objects.filter(image_id=upload_id).exists()  # this run delivered nothing
