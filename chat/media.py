"""Images: accept an upload into quarantine, scan it, deliver it or block it.

The path of one image (docs/images.md):
1. `accept_upload` (HTTP edge): who may send an image where, size and type from the header
   only (no full decode in the request), the original bytes saved to quarantine storage,
   an `Upload` row in `scanning`, the scan task enqueued after commit.
2. `scan_upload` (Celery): a hardened full decode, a re-encode from pixels alone (EXIF, GPS,
   ICC, XMP, comments and text chunks cannot survive it), SHA-256 of the bytes received and
   PDQ of the pixels, matched against the hash banks through `moderation.gate`.
3. Clear → a message with its `image`, fanned out like any other. Match → blocked, no
   message, the original kept under legal hold, a critical case, the uploader restricted.

Pillow decodes hostile input here, so every decode goes through `_open_image`: an allowlist
of formats, dimension and pixel limits checked before any pixel is decoded, and Pillow's
own decompression-bomb guard set to the same limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import struct
import uuid
import warnings
import zlib
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import pdqhash
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from accounts import evasion, permissions
from accounts import signals as account_signals
from core.errors import PhareError
from accounts.models import User
from chat import protection, tasks
from chat.realtime import events
from chat.services import Post, ReplyTarget, RoomTarget, parse_id, post_messages
from chat.services.trusted import may_talk
from chat.models import Conversation, Membership, Message, Room, Upload
from chat.representations import image_repr
from moderation import gate
from moderation.services import triage as moderation_triage

logger = logging.getLogger(__name__)

# Pillow format name → the content type a client may declare. GIFs keep their first frame.
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}

# What Pillow's decoders raise on malformed input. Listed rather than `except Exception`
# so that a bug of ours still surfaces; each of these has been seen from truncated or
# crafted files (truncated data → OSError, bad chunks → SyntaxError/ValueError, short
# headers → struct.error/EOFError/IndexError, broken deflate streams → zlib.error).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, TypeError, EOFError, IndexError, KeyError,
                 struct.error, zlib.error, UnidentifiedImageError)

QUARANTINE_DIR = "quarantine"
IMAGES_DIR = "images"


@dataclass(frozen=True)
class ImageHeader:
    format: str
    width: int
    height: int


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    pdq_hash: str
    pdq_quality: int


# --- Decoding, hardened -------------------------------------------------------------------------

def _limits() -> tuple[int, int]:
    return settings.PHARE_UPLOAD_MAX_PIXELS, settings.PHARE_UPLOAD_MAX_SIDE


def _too_many_pixels() -> PhareError:
    max_pixels, max_side = _limits()
    return PhareError("too_large", _("This image has too many pixels."),
                      extra={"reason": "decompression_bomb", "max_pixels": max_pixels, "max_side": max_side})


# Pillow raises DecompressionBombError only past twice Image.MAX_IMAGE_PIXELS and merely
# warns between the two (a big header, a GIF frame larger than the screen its header
# declares), after which the decode would go on. Our own check after opening refuses the
# same sizes; treating the warning as the error it is keeps any Pillow path that checks
# later (a frame, a crop) from decoding past the limit, in the scan task as at upload.
# catch_warnings swaps process-wide filters: harmless here, where only this one is added.
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)


@contextlib.contextmanager
def _bomb_warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _open_image(data: bytes) -> Image.Image:
    """Open (not decode) an image of an allowed format within the limits, or refuse with
    `unsupported_media` / `too_large` (`reason: dimensions` or `decompression_bomb`, with
    `max_pixels` and `max_side`). Reads the header only: a few milliseconds whatever the
    image claims (tests/security/test_image_bombs.py)."""
    max_pixels, max_side = _limits()
    # The one place Pillow's own limit is set: the same value as ours (docs/images.md).
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with _bomb_warnings_are_errors():
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except _BOMB as exc:
        raise _too_many_pixels() from exc
    except DECODE_ERRORS as exc:
        raise PhareError("unsupported_media", _("This file is not a JPEG, PNG, WebP or GIF image."),
                         extra={"allowed": sorted(ALLOWED_FORMATS.values())}) from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise PhareError("unsupported_media", _("This image is damaged."), extra={"reason": "malformed"})
    if width * height > max_pixels:
        raise _too_many_pixels()
    if width > max_side or height > max_side:
        raise PhareError("too_large", _("This image is too large."),
                         extra={"reason": "dimensions", "max_side": max_side, "max_pixels": max_pixels})
    return image


def read_header(data: bytes) -> ImageHeader:
    image = _open_image(data)
    return ImageHeader(format=image.format or "", width=image.size[0], height=image.size[1])


def _decode(data: bytes) -> Image.Image:
    """Fully decode the first frame, apply the EXIF orientation, and return pixels only."""
    image = _open_image(data)
    try:
        with _bomb_warnings_are_errors():
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            if image.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the delivered
                # size: a 20-megapixel photo then costs a fraction of the memory and time.
                side = settings.PHARE_IMAGE_OUTPUT_MAX_SIDE
                image.draft("RGB", (side, side))
            image.load()
            # The orientation tag goes with the rest of EXIF: apply it to the pixels first.
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            image = image.convert("RGBA" if has_alpha else "RGB")
    except _BOMB as exc:
        raise _too_many_pixels() from exc
    except DECODE_ERRORS as exc:
        raise PhareError("unsupported_media", _("This image is damaged."), extra={"reason": "malformed"}) from exc
    # A new image from the raw pixels: no `info`, so no EXIF, GPS, ICC, XMP, comment or text
    # chunk can be carried into what is saved.
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _bits_to_hex(bits: np.ndarray) -> str:
    # pdqhash returns the bits most significant first, as the reference hex format prints them.
    return format(int("".join("1" if b else "0" for b in bits), 2), "064x")


def pdq_of(image: Image.Image) -> tuple[str, int]:
    """PDQ hash (64 hex digits) and quality (0-100) of an image's pixels."""
    rgb = np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
    bits, quality = pdqhash.compute(rgb)
    return _bits_to_hex(bits), int(quality)


def clean_image(data: bytes) -> CleanImage:
    """Decode, re-encode from pixels alone (scaled to PHARE_IMAGE_OUTPUT_MAX_SIDE) and hash.
    Raises `unsupported_media` or `too_large` for what cannot be decoded safely."""
    image = _decode(data)
    pdq_hash, pdq_quality = pdq_of(image)
    side = settings.PHARE_IMAGE_OUTPUT_MAX_SIDE
    if image.width > side or image.height > side:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, format="PNG", optimize=True)
        content_type, extension = "image/png", "png"
    else:
        image.save(buffer, format="JPEG", quality=85, optimize=True)
        content_type, extension = "image/jpeg", "jpg"
    return CleanImage(data=buffer.getvalue(), content_type=content_type, extension=extension,
                      width=image.width, height=image.height, pdq_hash=pdq_hash, pdq_quality=pdq_quality)


# --- Who may send an image where ------------------------------------------------------------------

def _check_can_speak(user: User) -> None:
    now = timezone.now()
    if user.is_suspended(now):
        raise PhareError("suspended")
    if user.is_muted(now):
        raise PhareError("muted", retry_after=int((user.muted_until - now).total_seconds()) + 1)
    if user.reassurance_required:
        raise PhareError("assurance_required", extra={"reason": "reassurance"})


def _media_refusal(reason: str) -> PhareError:
    return PhareError("media_not_allowed", _("Images are not allowed here."), extra={"reason": reason})


def _check_room_target(*, user: User, room: Room) -> None:
    if not Membership.objects.filter(room=room, user=user).exists():
        raise PhareError("not_member")
    if room.is_locked:
        raise PhareError("room_locked")
    # The database already forbids media in minors' rooms; the audience check is belt and braces.
    if room.audience != "adults" or not room.media_allowed:
        raise _media_refusal("room_policy")


def _check_conversation_target(*, user: User, conversation: Conversation) -> None:
    if conversation.state == Conversation.State.REQUESTED:
        raise _media_refusal("conversation_not_accepted")
    if conversation.state != Conversation.State.ACCEPTED:
        raise PhareError("contact_not_allowed")
    other = conversation.recipient if user.pk == conversation.initiator_id else conversation.initiator
    if not may_talk(user, other):
        raise PhareError("contact_not_allowed")
    if other.is_minor:
        raise _media_refusal("minor")


def _resolve_target(*, user: User, room_slug: str, conversation_id: str) -> tuple[Room | None, Conversation | None]:
    """The room or conversation an image may go to, or the refusal (protocol codes)."""
    if bool(room_slug) == bool(conversation_id):
        raise PhareError("bad_request", extra={"reason": "room_or_conversation"})
    if user.is_minor:
        # Images only between adults: never from a minor's account, whatever the target.
        raise _media_refusal("minor")
    if room_slug:
        room = Room.objects.filter(slug=room_slug, status=Room.Status.APPROVED, audience="adults").first()
        if room is None:
            raise PhareError("not_found")
        _check_room_target(user=user, room=room)
        return room, None
    conversation_pk = parse_id(conversation_id)
    if conversation_pk is None:
        raise PhareError("not_found")
    conversation = (Conversation.objects.select_related("initiator", "recipient")
                    .filter(pk=conversation_pk).first())
    if conversation is None or not conversation.involves(user.pk):
        raise PhareError("not_found")
    _check_conversation_target(user=user, conversation=conversation)
    return None, conversation


# --- Accepting an upload ------------------------------------------------------------------------

def accept_upload(*, user: User, data: bytes, room_slug: str = "", conversation_id: str = "") -> Upload:
    """Check who may send an image where, check the file's header, store the bytes in
    quarantine and enqueue the scan. Nothing is delivered here.

    Refusals: `media_not_allowed` (minors' spaces, a room without images, a DM request or a
    conversation not accepted, a minor on either side), `unsupported_media`, `too_large`,
    `not_member`, `not_found`, `muted`/`suspended`, `rate_limited`.
    Side effects: one file in quarantine storage, one `Upload` row, the scan task after commit.
    """
    user = User.objects.get(pk=user.pk)  # sanctions and band as they are now
    _check_can_speak(user)
    room, conversation = _resolve_target(user=user, room_slug=room_slug, conversation_id=conversation_id)
    # An image is a message for the rate limits and the room's lockdown (chat.protection).
    if room is not None:
        protection.check_may_post(author=user, room=room)
    else:
        protection.check_dm_message(sender=user)
    if len(data) > settings.PHARE_UPLOAD_MAX_BYTES:
        raise PhareError("too_large", _("This image is too big."),
                         extra={"reason": "bytes", "max_bytes": settings.PHARE_UPLOAD_MAX_BYTES})
    if not data:
        raise PhareError("bad_request", extra={"field": "image"})
    header = read_header(data)
    protection.take_upload(user=user)
    name = default_storage.save(f"{QUARANTINE_DIR}/{uuid.uuid4().hex}.bin", ContentFile(data))
    try:
        with transaction.atomic():
            upload = Upload.objects.create(
                uploader=user, room=room, conversation=conversation, quarantine_name=name,
                original_size=len(data), declared_format=header.format,
            )
            transaction.on_commit(lambda: _enqueue_scan(upload.pk), robust=True)  # the sweeper re-enqueues it
    except BaseException:
        default_storage.delete(name)  # no row points at it: do not leave it behind
        raise
    return upload


def _enqueue_scan(upload_id: int) -> None:
    tasks.scan_upload.delay(upload_id)


# --- Scanning ---------------------------------------------------------------------------------

def _still_allowed(upload: Upload) -> PhareError | None:
    """Re-check at delivery time: the uploader may have been muted or left the room, the
    room may have stopped taking images, the conversation may have ended."""
    uploader = User.objects.get(pk=upload.uploader_id)
    try:
        _check_can_speak(uploader)
        if uploader.is_minor:
            raise _media_refusal("minor")
        if upload.room_id:
            _check_room_target(user=uploader, room=Room.objects.get(pk=upload.room_id))
        else:
            conversation = Conversation.objects.select_related("initiator", "recipient").get(pk=upload.conversation_id)
            _check_conversation_target(user=uploader, conversation=conversation)
    except PhareError as error:
        return error
    return None


def _upload_failed(upload: Upload, error: PhareError) -> None:
    events.send_to_user(upload.uploader_id, {
        "type": "upload.failed",
        "upload": {"id": str(upload.pk), "status": upload.status, "error": error.as_dict()},
    })


def _deliver(upload: Upload) -> PhareError | None:
    """Post the cleared image through the posting pipeline, as a message with no text, to
    the room or conversation it was sent to; its refusal, if any (`_still_allowed` has
    already asked the same questions under the upload's lock, so this is rare)."""
    uploader = User.objects.get(pk=upload.uploader_id)
    if upload.room_id:
        target: RoomTarget | ReplyTarget = RoomTarget(Room.objects.get(pk=upload.room_id))
    else:
        target = ReplyTarget(str(upload.conversation_id))
    outcome = post_messages([Post(author=uploader, body="", target=target, image=upload)])[0]
    return outcome if isinstance(outcome, PhareError) else None


def scan_upload(*, upload_id: int) -> str:
    """Scan one quarantined upload and deliver, block or reject it. Returns the status.

    Idempotent: an upload no longer `scanning` is left alone. Side effects: a cleared copy
    saved and a message fanned out; or, on a hash match, the upload blocked under legal hold
    with a critical case and the uploader restricted (moderation.hashbanks); or rejected,
    with `upload.failed` sent to the uploader. The quarantined original is deleted unless it
    is evidence.
    """
    # Decoding and hashing run outside any transaction (seconds for a large photo); the
    # outcome is applied under the row lock, only if the upload is still `scanning`.
    pending = Upload.objects.filter(pk=upload_id).first()
    if pending is None or pending.status != Upload.Status.SCANNING:
        return pending.status if pending else "missing"
    with default_storage.open(pending.quarantine_name, "rb") as handle:
        original = handle.read()
    sha256 = hashlib.sha256(original).hexdigest()
    clean: CleanImage | None = None
    match = None
    try:
        clean = clean_image(original)
    except PhareError as error:
        decode_error: PhareError | None = error
    else:
        decode_error = None
        match = gate.match_image_hashes(sha256=sha256, pdq=clean.pdq_hash, pdq_quality=clean.pdq_quality)
    with transaction.atomic():
        upload = Upload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.status != Upload.Status.SCANNING:
            return upload.status if upload else "missing"  # another run finished it
        upload.sha256, upload.scanned_at = sha256, timezone.now()
        fields = ["sha256", "scanned_at", "status", "reason"]
        if decode_error is not None or clean is None:
            return _reject(upload, decode_error or PhareError("unsupported_media"), fields)
        upload.pdq_hash, upload.pdq_quality = clean.pdq_hash, clean.pdq_quality
        fields += ["pdq_hash", "pdq_quality"]
        # Kept for ban-evasion linking (an image a banned account also sent), delivered or not.
        evasion.record_image(user_id=upload.uploader_id, pdq=clean.pdq_hash, quality=clean.pdq_quality)
        if match is not None:
            upload.status, upload.reason = Upload.Status.BLOCKED, "image_hash_match"
            upload.match, upload.legal_hold = match.as_facts(), True
            upload.save(update_fields=fields + ["match", "legal_hold"])
            moderation_triage.escalate_image_match(
                upload_id=upload.pk, uploader_id=upload.uploader_id, room_id=upload.room_id,
                conversation_id=upload.conversation_id, match=match,
                facts={"sha256": upload.sha256, "pdq": upload.pdq_hash, "pdq_quality": upload.pdq_quality,
                       "quarantine_name": upload.quarantine_name, "original_size": upload.original_size},
            )
            # The uploader learns only that it was not delivered, never which bank matched.
            _upload_failed(upload, PhareError("blocked_by_policy"))
            logger.warning("image upload %s blocked by hash bank %s", upload.pk, match.bank)
            return upload.status
        refusal = _still_allowed(upload)
        if refusal is not None:
            return _reject(upload, refusal, fields)
        upload.storage_name = default_storage.save(
            f"{IMAGES_DIR}/{upload.pk}-{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.data))
        upload.content_type, upload.width, upload.height = clean.content_type, clean.width, clean.height
        upload.status, upload.reason = Upload.Status.CLEARED, ""
        upload.save(update_fields=fields + ["storage_name", "content_type", "width", "height"])
        refusal = _deliver(upload)
        if refusal is not None:
            _delete_after_commit(upload.storage_name)
            return _reject(upload, refusal, fields)
        _delete_after_commit(upload.quarantine_name)
    return Upload.Status.CLEARED


def _reject(upload: Upload, error: PhareError, fields: list[str]) -> str:
    """Precondition: inside the transaction holding the upload's row lock."""
    upload.status, upload.reason = Upload.Status.REJECTED, error.code
    upload.save(update_fields=fields)
    _upload_failed(upload, error)
    _delete_after_commit(upload.quarantine_name)
    return upload.status


def sweep_unscanned_uploads(*, older_than_seconds: int = 120) -> int:
    """Re-enqueue scans of uploads still `scanning` after a while: a lost task never strands
    an image in quarantine. Returns how many were re-enqueued."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    ids = list(Upload.objects.filter(status=Upload.Status.SCANNING, created_at__lt=cutoff)
               .order_by("pk").values_list("pk", flat=True)[:500])
    for upload_id in ids:
        _enqueue_scan(upload_id)
    return len(ids)


def purge_unreferenced_images(*, older_than_hours: int = 24, limit: int = 1000) -> int:
    """Delete the files and rows of images nobody can see any more: cleared images whose
    message was purged or deleted with its author's account, and rejected uploads. Never
    an upload under legal hold. Returns how many were purged."""
    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    stale = (Upload.objects.filter(legal_hold=False, created_at__lt=cutoff)
             .filter(Q(status=Upload.Status.CLEARED, message__isnull=True)
                     | Q(status=Upload.Status.CLEARED, message__status=Message.Status.DELETED)
                     | Q(status=Upload.Status.REJECTED))
             .order_by("pk")[:limit])
    purged = 0
    for upload in stale:
        for name in (upload.storage_name, upload.quarantine_name):
            if name:
                default_storage.delete(name)
        upload.delete()
        purged += 1
    return purged


def _delete_after_commit(name: str) -> None:
    transaction.on_commit(lambda: default_storage.delete(name))


# --- Reading images ---------------------------------------------------------------------------

def upload_status(*, user: User, upload_id: str) -> dict[str, Any]:
    """The uploader's view of their upload (others: `not_found`)."""
    upload = _own_upload(user=user, upload_id=upload_id)
    data: dict[str, Any] = {"id": str(upload.pk), "status": upload.status}
    if upload.status == Upload.Status.REJECTED:
        data["error"] = PhareError(upload.reason or "unsupported_media").as_dict()
    elif upload.status == Upload.Status.BLOCKED:
        data["error"] = PhareError("blocked_by_policy").as_dict()
    elif upload.status == Upload.Status.CLEARED:
        message = Message.objects.filter(image=upload).first()
        data["image"] = image_repr(upload)
        data["message"] = str(message.pk) if message else None
    return data


def _own_upload(*, user: User, upload_id: str) -> Upload:
    pk = parse_id(upload_id)
    if pk is None:
        raise PhareError("not_found")
    upload = Upload.objects.filter(pk=pk, uploader=user).first()
    if upload is None:
        raise PhareError("not_found")
    return upload


def open_image_for(*, user: User, upload_id: str) -> tuple[Any, str]:
    """The cleared image file and its content type, for someone allowed to see it: a member
    of its room or a participant of its accepted conversation, adults only, while its message
    is visible. Everyone else, and every other state, gets `not_found`."""
    pk = parse_id(upload_id)
    if pk is None or user.is_minor:
        raise PhareError("not_found")
    upload = (Upload.objects.filter(pk=pk, status=Upload.Status.CLEARED,
                                    message__status=Message.Status.VISIBLE)
              .select_related("conversation").first())
    if upload is None:
        raise PhareError("not_found")
    if upload.room_id:
        allowed = Membership.objects.filter(room_id=upload.room_id, user=user, room__audience="adults").exists()
    else:
        conversation = upload.conversation
        allowed = conversation.involves(user.pk) and conversation.state == Conversation.State.ACCEPTED
    if not allowed:
        raise PhareError("not_found")
    return default_storage.open(upload.storage_name, "rb"), upload.content_type


# --- Moderators: evidence, blurred and in greyscale by default -----------------------------------

RENDITIONS = ("safe", "original")


def render_for_moderator(*, moderator: User, upload_id: str, rendition: str = "safe") -> tuple[bytes, str]:
    """An upload as evidence: `safe` (greyscale, heavily blurred; the default) or `original`
    (the delivered copy, or for a blocked image its re-encoded original; metadata never
    included). Every read is audited. Precondition: `moderator` has the moderator role;
    anyone else gets `not_found`."""
    permissions.require_moderator(moderator)
    if rendition not in RENDITIONS:
        raise PhareError("bad_request", extra={"field": "rendition", "allowed": list(RENDITIONS)})
    pk = parse_id(upload_id)
    if pk is None:
        raise PhareError("not_found")
    upload = Upload.objects.filter(pk=pk).first()
    if upload is None:
        raise PhareError("not_found")
    name = upload.storage_name or upload.quarantine_name
    if not name or not default_storage.exists(name):
        raise PhareError("not_found")
    with default_storage.open(name, "rb") as handle:
        image = _decode(handle.read())
    if rendition == "safe":
        image = ImageOps.grayscale(image)
        image.thumbnail((512, 512))
        image = image.filter(ImageFilter.GaussianBlur(radius=max(6, max(image.size) // 24)))
    elif image.width > settings.PHARE_IMAGE_OUTPUT_MAX_SIDE or image.height > settings.PHARE_IMAGE_OUTPUT_MAX_SIDE:
        image.thumbnail((settings.PHARE_IMAGE_OUTPUT_MAX_SIDE,) * 2)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85)
    account_signals.request_audit(actor=moderator, action="evidence.read_image", target_type="upload",
                                  target_id=upload.pk, data={"rendition": rendition, "status": upload.status})
    return buffer.getvalue(), "image/jpeg"
