"""Hash banks: a banked image is caught again, resized and re-compressed; others pass; a
match blocks delivery, opens a critical case under legal hold and restricts the uploader."""

# Fixtures are imported from tests/chat/media_fixtures.py; pytest injects them by name.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from core.errors import PhareError
from accounts.models import AgeBand, User
from chat import media
from chat.models import Message, Upload
from moderation import gate, hashbanks
from moderation.models import AuditEntry, BankedHash, Case, Flag, HashBank
from moderation.services.interim import COOL_DOWN
from tests.chat.media_fixtures import (  # noqa: F401  (fixtures)
    client_for,
    media_root,
    member,
    other_member,
    photo_room,
    sent,
    upload_and_scan,
)
from tests.chat.media_images import encode, photo, resized_recompressed

pytestmark = pytest.mark.django_db

ORIGINAL = encode(photo(100, (800, 600)), "JPEG", quality=90)


@pytest.fixture
def moderator(make_user) -> User:
    return make_user(AgeBand.ADULT, "mod_mia", is_moderator=True)


@pytest.fixture
def banked(member, moderator, django_capture_on_commit_callbacks) -> Upload:
    """An image delivered, then removed by a moderator who adds it to the local bank."""
    upload = upload_and_scan(member, ORIGINAL, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared"
    with django_capture_on_commit_callbacks(execute=True):
        rows = hashbanks.add_image_to_bank(upload_id=upload.pk, actor=moderator, note="removed: NCII")
    assert {r.hash_type for r in rows} == {"sha256", "pdq"}
    return upload


def test_resized_and_recompressed_copy_of_a_banked_image_is_blocked(
        banked, make_user, photo_room, media_root, sent, django_capture_on_commit_callbacks):
    from chat.models import Membership

    copier = make_user(AgeBand.ADULT, "copier")
    Membership.objects.create(room=photo_room, user=copier)
    copy = resized_recompressed(ORIGINAL, scale=0.5, quality=40)
    assert copy != ORIGINAL and Image.open(io.BytesIO(copy)).size == (400, 300)
    distance = hashbanks.pdq_distance(media.pdq_of(Image.open(io.BytesIO(copy)))[0], banked.pdq_hash)
    assert 0 < distance <= 31
    sent.clear()
    upload = upload_and_scan(copier, copy, django_capture_on_commit_callbacks, room="photos")

    # Delivery blocked: no message, nothing fanned out to the room.
    assert (upload.status, upload.reason) == ("blocked", "image_hash_match")
    assert not Message.objects.filter(image=upload).exists()
    assert not [e for _g, e in sent if e["type"] == "room.message"]
    assert upload.match["bank"] == "phare-removed" and upload.match["hash_type"] == "pdq"
    assert upload.match["distance"] == distance
    # Evidence preserved: the original bytes stay in quarantine, under legal hold.
    assert upload.legal_hold and (media_root / upload.quarantine_name).read_bytes() == copy
    # A critical case under legal hold, from an escalation flagged image_hash_match.
    flag = Flag.objects.get(subject_id_snapshot=copier.pk)
    assert flag.decision == "escalate" and flag.reasons == ["image_hash_match"]
    case = Case.objects.get(pk=flag.case_id)
    assert case.legal_hold and case.is_open and case.subject_user_id == copier.pk
    # Critical: triaged at the top of the queue with the shortest SLA (1 hour by default).
    assert case.category == "non_consensual_imagery" and case.priority >= 120
    assert case.sla_due_at - case.created_at <= dt.timedelta(hours=1)
    # The uploader is restricted pending review (a cool-down of minutes, no new conversation
    # until a moderator decides), and told only that it was not delivered.
    copier.refresh_from_db()
    assert copier.muted_until is not None and timezone.now() < copier.muted_until <= timezone.now() + COOL_DOWN
    assert gate.first_contacts_paused(user_id=copier.pk)
    [failed] = [e for g, e in sent if e["type"] == "upload.failed" and g == f"user.{copier.pk}"]
    assert failed["upload"]["error"]["code"] == "blocked_by_policy"
    assert "bank" not in str(failed)
    assert AuditEntry.objects.filter(action="image.blocked", target_id=str(case.pk)).exists()


def test_exact_re_upload_is_caught_by_sha256(banked, member, django_capture_on_commit_callbacks):
    member.muted_until = None
    member.save(update_fields=["muted_until"])
    upload = upload_and_scan(member, ORIGINAL, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "blocked" and upload.match["hash_type"] == "sha256"


def test_unrelated_image_passes_a_filled_bank(banked, member, django_capture_on_commit_callbacks):
    unrelated = encode(photo(200, (800, 600)), "JPEG", quality=90)
    distance = hashbanks.pdq_distance(media.pdq_of(Image.open(io.BytesIO(unrelated)))[0], banked.pdq_hash)
    assert distance > 31
    upload = upload_and_scan(member, unrelated, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared" and Message.objects.filter(image=upload).exists()
    member.refresh_from_db()
    assert member.muted_until is None


def test_the_match_distance_is_configurable(banked, member, settings, django_capture_on_commit_callbacks):
    settings.PHARE_PDQ_MATCH_DISTANCE = 0
    copy = resized_recompressed(ORIGINAL, scale=0.5, quality=40)
    upload = upload_and_scan(member, copy, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared"


def test_flat_images_are_not_matched_perceptually(member, moderator, django_capture_on_commit_callbacks):
    # Featureless images have a low PDQ quality: their hashes say little, so only SHA-256 counts.
    grey = upload_and_scan(member, encode(Image.new("RGB", (300, 300), (128, 128, 128)), "PNG"),
                           django_capture_on_commit_callbacks, room="photos")
    assert grey.pdq_quality < 50
    with django_capture_on_commit_callbacks(execute=True):
        hashbanks.add_image_to_bank(upload_id=grey.pk, actor=moderator)
    other = upload_and_scan(member, encode(Image.new("RGB", (300, 300), (120, 130, 128)), "PNG"),
                            django_capture_on_commit_callbacks, room="photos")
    assert other.status == "cleared"


def test_only_moderators_may_bank_an_image(banked, member):
    with pytest.raises(PhareError) as refused:
        hashbanks.add_image_to_bank(upload_id=banked.pk, actor=member)
    assert refused.value.code == "not_found"


def test_banking_twice_adds_nothing_and_is_audited(banked, moderator):
    before = BankedHash.objects.count()
    hashbanks.add_image_to_bank(upload_id=banked.pk, actor=moderator)
    assert BankedHash.objects.count() == before == 2
    assert AuditEntry.objects.filter(action="hashbank.add_image", target_id=str(banked.pk)).count() == 2


def test_moderator_endpoint_banks_an_upload(member, moderator, django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, ORIGINAL, django_capture_on_commit_callbacks, room="photos")
    url = f"/api/v1/moderation/uploads/{upload.pk}/bank"
    assert client_for(member).post(url, {}, content_type="application/json").status_code == 404
    response = client_for(moderator).post(url, {"bank": "ncii-local", "note": "case 12"},
                                          content_type="application/json")
    assert response.status_code == 201
    assert {b["type"] for b in response.json()["banked"]} == {"sha256", "pdq"}
    assert HashBank.objects.get(name="ncii-local").hashes.count() == 2


def test_moderators_see_evidence_blurred_and_in_greyscale_by_default(
        member, moderator, django_capture_on_commit_callbacks):
    upload = upload_and_scan(member, ORIGINAL, django_capture_on_commit_callbacks, room="photos")
    url = f"/api/v1/moderation/uploads/{upload.pk}/image"
    response = client_for(moderator).get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    safe = Image.open(io.BytesIO(response.content)).convert("RGB")
    rgb = np.asarray(safe, dtype=np.int16)
    assert np.abs(rgb[..., 0] - rgb[..., 1]).max() <= 3 and np.abs(rgb[..., 1] - rgb[..., 2]).max() <= 3  # grey
    sharp = Image.open(io.BytesIO(ORIGINAL)).convert("L").resize(safe.size)
    # The shapes' hard edges are gone: the steepest steps are a fraction of the original's.
    assert _steepest_steps(safe.convert("L")) < _steepest_steps(sharp) / 4
    original = client_for(moderator).get(url + "?rendition=original")
    assert Image.open(io.BytesIO(original.content)).mode == "RGB"
    reads = AuditEntry.objects.filter(action="evidence.read_image", target_id=str(upload.pk))
    assert [e.data["rendition"] for e in reads.order_by("seq")] == ["safe", "original"]
    assert client_for(member).get(url).status_code == 404


def _steepest_steps(image: Image.Image) -> float:
    a = np.asarray(image, dtype=np.float64)
    return float(np.percentile(np.abs(np.diff(a, axis=1)), 99.5))


def test_moderators_see_a_blocked_image_from_quarantine(banked, member, moderator,
                                                      django_capture_on_commit_callbacks):
    member.muted_until = None
    member.save(update_fields=["muted_until"])
    blocked = upload_and_scan(member, resized_recompressed(ORIGINAL), django_capture_on_commit_callbacks,
                              room="photos")
    assert blocked.status == "blocked"
    response = client_for(moderator).get(f"/api/v1/moderation/uploads/{blocked.pk}/image")
    assert response.status_code == 200
    assert client_for(member).get(f"/api/v1/uploads/{blocked.pk}/image").status_code == 404


# --- import_hashes -------------------------------------------------------------------------

def test_import_hashes_reads_plain_lines_and_csv(tmp_path, capsys):
    pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    sha = "a" * 64
    plain = tmp_path / "bank.txt"
    plain.write_text(f"# programme export\n{pdq}\n{pdq.upper()}\nnot-a-hash\n")
    call_command("import_hashes", str(plain), "--bank", "cp-programme", "--type", "pdq",
                 "--category", "child_safety", "--source", "programme-x")
    bank = HashBank.objects.get(name="cp-programme")
    assert bank.category == "child_safety"
    assert list(bank.hashes.values_list("hash_type", "value", "source")) == [("pdq", pdq, "programme-x")]
    out = capsys.readouterr()
    assert "1 added, 1 already present, 1 invalid lines" in out.out and "invalid lines: 4" in out.err

    csv_file = tmp_path / "bank.csv"
    csv_file.write_text(f"hash,type,source\n{sha},sha256,stopncii\n{pdq},pdq,\n{sha},md5,x\n")
    call_command("import_hashes", str(csv_file), "--bank", "cp-programme")
    assert set(bank.hashes.values_list("hash_type", "value", "source")) == {
        ("pdq", pdq, "programme-x"), ("sha256", sha, "stopncii")}
    assert AuditEntry.objects.filter(action="hashbank.import").count() == 2


def test_import_hashes_strict_refuses_a_file_with_invalid_lines(tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.txt"
    bad.write_text("1234\n")
    with pytest.raises(CommandError):
        call_command("import_hashes", str(bad), "--bank", "b", "--type", "sha256", "--strict")
    assert not HashBank.objects.filter(name="b").exists()


def test_an_imported_sha256_blocks_the_exact_file(member, tmp_path, django_capture_on_commit_callbacks):
    import hashlib

    data = encode(photo(300, (200, 200)), "PNG")
    bank_file = tmp_path / "bank.csv"
    bank_file.write_text(f"{hashlib.sha256(data).hexdigest()},sha256,programme-y\n")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_hashes", str(bank_file), "--bank", "ncii", "--category", "non_consensual_imagery")
    upload = upload_and_scan(member, data, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "blocked"
    assert upload.match["source"] == "programme-y" and upload.match["category"] == "non_consensual_imagery"


def test_an_inactive_bank_matches_nothing(banked, member, django_capture_on_commit_callbacks):
    HashBank.objects.update(active=False)
    hashbanks.bump_bank_version()
    member.muted_until = None
    member.save(update_fields=["muted_until"])
    with django_capture_on_commit_callbacks(execute=True):
        pass
    upload = upload_and_scan(member, ORIGINAL, django_capture_on_commit_callbacks, room="photos")
    assert upload.status == "cleared"


def test_pdq_hex_follows_the_reference_bit_order():
    # Meta's reference prints a hash as its sixteen 16-bit words from w[15] down to w[0]
    # (Hash256::format, "%04hx" x 16); pdqhash's own word-to-bits conversion must round-trip
    # to exactly that text, so that hashes imported from PDQ programmes compare directly.
    from pdqhash import bindings

    rng = np.random.default_rng(7)
    for _ in range(20):
        words = [int(w) for w in rng.integers(0, 65536, size=16)]
        reference_hex = "".join(f"{words[i]:04x}" for i in range(15, -1, -1))
        assert media._bits_to_hex(bindings.hash_to_vector(words)) == reference_hex
    assert hashbanks.pdq_distance("8" + "0" * 63, "0" * 64) == 1


def test_a_reported_image_reaches_the_moderator_through_the_safe_rendition(
        member, other_member, moderator, django_capture_on_commit_callbacks):
    from moderation.services.report import file_report

    upload = upload_and_scan(member, ORIGINAL, django_capture_on_commit_callbacks, room="photos")
    message = Message.objects.get(image=upload)
    report = file_report(reporter=other_member, target={"message": str(message.pk)},
                         category="non_consensual_imagery", details="", good_faith=True)
    url = report.evidence.data["message"]["image"]["url"]
    assert url == f"/api/v1/moderation/uploads/{upload.pk}/image"
    response = client_for(moderator).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client_for(other_member).get(url).status_code == 404
