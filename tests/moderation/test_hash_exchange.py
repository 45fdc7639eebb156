"""Hash-list exchange: Phare's PDQ banks in and out of threatexchange's formats (checked
against the library itself), provenance per hash, the scheduled sync from a source served
on this machine, and a match against a shared list handled like a local one: blocked, a
critical case under legal hold, the uploader restricted, the case referable."""

# Fixtures are imported from tests/chat/media_fixtures.py; pytest injects them by name.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from PIL import Image
from threatexchange.exchanges.impl.file_api import FileCollaborationConfig, LocalFileSignalExchangeAPI
from threatexchange.signal_type.pdq.signal import PdqSignal

from accounts.models import AgeBand, User
from chat import media
from core.errors import PhareError
from moderation import gate, hash_exchange, hashbanks, tasks
from moderation.models import AuditEntry, BankedHash, Case, HashBank, Referral
from tests.chat.media_fixtures import (  # noqa: F401  (fixtures)
    media_root,
    member,
    photo_room,
    sent,
    upload_and_scan,
)
from tests.chat.media_images import encode, photo, resized_recompressed

pytestmark = pytest.mark.django_db

A, B, C = "a" * 64, "b" * 64, "c" * 64


def _threatexchange_reads(path: Path) -> set[tuple[str, str]]:
    """What threatexchange's own file exchange reads from `path`."""
    api = LocalFileSignalExchangeAPI.for_collab(FileCollaborationConfig(name="peer", filename=str(path)))
    return {key for delta in api.fetch_iter([PdqSignal], None) for key in delta.updates}


def test_a_signals_export_is_read_by_threatexchanges_file_exchange(make_user, tmp_path):
    operator = make_user(pseudonym="op_exp", is_operator=True)
    with_sha = "d" * 64
    hashbanks.import_hashes(lines=[f"{A},pdq", f"{B},pdq", f"{with_sha},sha256"], bank_name="removed")
    path = tmp_path / "removed.txt"
    path.write_text(hash_exchange.export_bank(bank_name="removed", fmt="signals", actor=operator))
    # Only PDQ goes out (threatexchange's SHA-256 is a video signal), every PDQ hash once.
    assert _threatexchange_reads(path) == {("pdq", A), ("pdq", B)}
    assert AuditEntry.objects.filter(action="hashbank.export", actor=operator).exists()


def test_phare_reads_a_signal_file_as_threatexchange_does(tmp_path):
    path = tmp_path / "peer.txt"
    path.write_text(f"pdq {A}\n\npdq {B}\nvideo_md5 {'e' * 32}\npdq {C}\n")
    parsed = hash_exchange.parse_shared_list(path.read_text(), "signals")
    theirs = {(t, v) for t, v in _threatexchange_reads(path) if t == PdqSignal.get_name()}
    assert {("pdq", s.value) for s in parsed.signals} == theirs == {("pdq", A), ("pdq", B), ("pdq", C)}
    assert parsed.other_types == 1 and parsed.invalid_lines == []


def test_an_import_keeps_provenance_and_skips_what_is_not_known_abuse(make_user):
    dataset = io.StringIO()
    writer = csv.writer(dataset)
    writer.writerow(hash_exchange.DATASET_COLUMNS)
    writer.writerows([["pdq", A, "Peer Collab", "POSITIVE_CLASS", "ncii"],
                      ["pdq", B, "Peer Collab", "NEGATIVE_CLASS", ""],  # a programme's "not abuse"
                      ["video_md5", "e" * 32, "Peer Collab", "POSITIVE_CLASS", ""],
                      ["pdq", "not-a-hash", "Peer Collab", "POSITIVE_CLASS", ""]])
    operator = make_user(pseudonym="op_imp", is_operator=True)
    result = hash_exchange.import_shared_list(text=dataset.getvalue(), fmt="dataset_csv", bank_name="peer-list",
                                              source="peer", category="non_consensual_imagery", actor=operator)
    assert (result.added, result.not_positive, result.other_types, result.invalid_lines) == (1, 1, 1, [5])
    row = BankedHash.objects.get(bank__name="peer-list")
    assert (row.value, row.source, row.note, row.added_by) == (A, "peer", "Peer Collab ncii", operator)
    assert row.imported_at is not None and row.bank.category == "non_consensual_imagery"
    entry = AuditEntry.objects.get(action="hashbank.exchange_import")
    assert entry.data["added"] == 1 and entry.data["not_positive"] == 1 and entry.data["format"] == "dataset_csv"
    # Re-importing adds nothing and keeps the first provenance.
    again = hash_exchange.import_shared_list(text=dataset.getvalue(), fmt="dataset_csv", bank_name="peer-list",
                                             source="other")
    assert (again.added, again.already_present) == (0, 1)
    assert BankedHash.objects.get(bank__name="peer-list").source == "peer"


def test_threatexchange_descriptors_keep_their_id(make_user):
    rows = "id,indicator,type,status,tags,owner_id\n" \
           f"1001,{A.upper()},HASH_PDQ,MALICIOUS,csam,42\n" \
           f"1002,{B},HASH_PDQ,NON_MALICIOUS,,42\n" \
           f"1003,{'e' * 32},HASH_MD5,MALICIOUS,,42\n"
    result = hash_exchange.import_shared_list(text=rows, fmt="te_csv", bank_name="te", source="threatexchange")
    assert (result.added, result.not_positive, result.other_types) == (1, 1, 1)
    row = BankedHash.objects.get(bank__name="te")
    assert (row.value, row.external_id, row.note) == (A, "1001", "csam")
    jsonl = json.dumps({"id": "2001", "indicator": C, "type": "HASH_PDQ", "tags": ["ncii"]}) + "\nnot json\n"
    result = hash_exchange.import_shared_list(text=jsonl, fmt="te_jsonl", bank_name="te", source="threatexchange")
    assert result.added == 1 and result.invalid_lines == [2]
    assert BankedHash.objects.get(value=C).external_id == "2001"


def test_a_csv_without_its_columns_or_an_unknown_format_is_a_bad_request():
    with pytest.raises(PhareError) as error:
        hash_exchange.parse_shared_list("hash,type\n", "te_csv")
    assert error.value.code == "bad_request"
    with pytest.raises(PhareError):
        hash_exchange.parse_shared_list("", "stix")
    with pytest.raises(PhareError) as error:
        hash_exchange.export_bank(bank_name="no-such-bank", fmt="signals")
    assert error.value.code == "not_found"


class ListSource(ThreadingHTTPServer):
    """A peer serving its shared list over HTTP, as a sync source would."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ListHandler)
        self.body = ""
        self.status = 200
        self.authorizations: list[str | None] = []


class _ListHandler(BaseHTTPRequestHandler):
    server: ListSource

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.authorizations.append(self.headers.get("Authorization"))
        data = self.server.body.encode()
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def source(settings):
    server = ListSource()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.PHARE_HASH_SYNC_URL = f"http://127.0.0.1:{server.server_address[1]}/list.txt"
    settings.PHARE_HASH_SYNC_TOKEN = "peer-token"
    settings.PHARE_HASH_SYNC_BANK = "peer-shared"
    settings.PHARE_HASH_SYNC_CATEGORY = "child_safety"
    yield server
    server.shutdown()
    server.server_close()


def test_the_sync_is_off_without_a_source(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["moderation-sync-hash-list"]
    assert entry["task"] == tasks.sync_hash_list.name and settings.PHARE_HASH_SYNC_URL == ""
    assert tasks.sync_hash_list.apply().get() == 0
    assert not HashBank.objects.exists()


def test_the_sync_adds_and_withdraws_what_the_source_lists(source):
    source.body = f"pdq {A}\npdq {B}\n"
    assert tasks.sync_hash_list.apply().get() == 2
    bank = HashBank.objects.get(name="peer-shared")
    assert bank.category == "child_safety"
    assert set(bank.hashes.values_list("source", flat=True)) == {"127.0.0.1"}
    assert source.authorizations == ["Bearer peer-token"]
    # A hash banked by hand in the same bank is not the list's to withdraw.
    hashbanks.import_hashes(lines=[f"{C},pdq"], bank_name="peer-shared", default_source="moderators")
    source.body = f"pdq {B}\npdq {'f' * 64}\n"
    assert tasks.sync_hash_list.apply().get() == 1
    assert set(bank.hashes.values_list("value", flat=True)) == {B, "f" * 64, C}
    withdrawn = AuditEntry.objects.get(action="hashbank.remove_hashes")
    assert withdrawn.data["hashes"][0][2] == A
    # An empty or failing answer changes nothing.
    source.body = ""
    assert tasks.sync_hash_list.apply().get() == 0
    source.status = 503
    with pytest.raises(hash_exchange.SyncError):
        hash_exchange.sync_configured_list()
    assert bank.hashes.count() == 3


ORIGINAL = encode(photo(7, (800, 600)), "JPEG", quality=90)


def test_a_match_against_a_shared_list_takes_the_local_path(source, member, make_user, settings, tmp_path,
                                                           media_root, django_capture_on_commit_callbacks):
    pdq, quality = media.pdq_of(Image.open(io.BytesIO(ORIGINAL)))
    assert quality >= settings.PHARE_PDQ_MIN_QUALITY
    source.body = f"pdq {pdq}\n"
    tasks.sync_hash_list.apply()
    copy = resized_recompressed(ORIGINAL, scale=0.5, quality=40)
    upload = upload_and_scan(member, copy, django_capture_on_commit_callbacks, room="photos")
    assert (upload.status, upload.reason) == ("blocked", "image_hash_match")
    assert upload.match["bank"] == "peer-shared" and upload.legal_hold
    case = Case.objects.get(subject_user=member, subject_type="user")
    assert case.category == "child_safety" and case.legal_hold and case.priority >= 120
    assert gate.first_contacts_paused(user_id=member.pk)
    # Referred like any child-safety case, the blocked image in the package.
    settings.PHARE_REFERRAL_DIR = str(tmp_path / "referrals")
    moderator: User = make_user(AgeBand.ADULT, "mod_shared", is_moderator=True)
    client = Client()
    client.force_login(moderator)
    response = client.post(f"/api/v1/moderation/cases/{case.pk}/decide",
                           data=json.dumps({"action": "refer", "reason_code": "child_safety"}),
                           content_type="application/json")
    assert response.status_code == 200, response.content
    referral = Referral.objects.get(case=case)
    case_file = (Path(referral.path) / "case.json").read_text()
    assert f"image upload {upload.pk}" in case_file and "peer-shared" in case_file
    # The blocked original stays in quarantine under legal hold, as for a local bank's match.
    upload.refresh_from_db()
    assert upload.legal_hold and (media_root / upload.quarantine_name).read_bytes() == copy


def test_the_command_imports_and_exports_for_operators(tmp_path):
    listing = tmp_path / "peer.txt"
    listing.write_text(f"pdq {A}\npdq {B}\npdq nothex\n")
    out = io.StringIO()
    call_command("exchange_hashes", "import", str(listing), "--format", "signals", "--bank", "peer",
                 "--source", "peer-org", "--category", "terrorism", stdout=out, stderr=io.StringIO())
    assert "peer: 2 added" in out.getvalue() and "1 invalid lines" in out.getvalue()
    assert HashBank.objects.get(name="peer").category == "terrorism"
    exported = tmp_path / "out.csv"
    call_command("exchange_hashes", "export", "--bank", "peer", "--format", "dataset_csv", "--out", str(exported))
    rows = list(csv.DictReader(exported.open()))
    assert [(r["signal_type"], r["signal_str"], r["category"]) for r in rows] == [
        ("pdq", A, "POSITIVE_CLASS"), ("pdq", B, "POSITIVE_CLASS")]
    with pytest.raises(CommandError):
        call_command("exchange_hashes", "export", "--bank", "nope", "--format", "signals")
    out = io.StringIO()
    call_command("exchange_hashes", "sync", stdout=out)
    assert "sync: 0 added" in out.getvalue()
