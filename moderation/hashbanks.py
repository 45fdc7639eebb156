"""Hash banks: lists of hashes of known abusive images, and matching uploads against them.

Operators import banks from hash programmes (`manage.py import_hashes`); moderators add the
hashes of images they removed (`add_image_to_bank`). The image scan (chat.media) asks
`match_image` through `moderation.gate`; a match is escalated by
`moderation.services.triage.escalate_image_match`.

PDQ values are compared by Hamming distance against every active PDQ hash at once (a NumPy
array kept in process, reloaded when the bank version key in the shared cache changes);
SHA-256 values are an indexed exact lookup. See docs/images.md for sizes and limits.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts import permissions
from core.errors import PhareError
from accounts.models import User
from chat.models import Upload
from moderation.audit import record_audit
from moderation.models import BankedHash, HashBank

logger = logging.getLogger(__name__)

BANK_VERSION_KEY = "hashbanks:version"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Bits set in each byte value: popcount of XORed hashes without unpacking them.
_POPCOUNT = np.array([i.bit_count() for i in range(256)], dtype=np.uint8)

_lock = threading.Lock()
_index: dict[str, Any] = {"version": None, "hashes": np.zeros((0, 32), dtype=np.uint8), "ids": []}


@dataclass(frozen=True)
class ImageMatch:
    banked_hash_id: int
    bank: str
    category: str
    source: str
    hash_type: str
    distance: int

    def as_facts(self) -> dict[str, Any]:
        return {"banked_hash": self.banked_hash_id, "bank": self.bank, "category": self.category,
                "source": self.source, "hash_type": self.hash_type, "distance": self.distance}


def normalise_hash(value: str, hash_type: str) -> str:
    """Lower-case 64-hex-digit value, or `bad_request`."""
    if hash_type not in BankedHash.HashType.values:
        raise PhareError("bad_request", extra={"field": "type", "reason": "unknown_hash_type"})
    clean = (value or "").strip().lower()
    if not HEX64.match(clean):
        raise PhareError("bad_request", extra={"field": "hash", "reason": "not_64_hex_digits"})
    return clean


def pdq_distance(a: str, b: str) -> int:
    """Hamming distance between two PDQ hashes in hex (0-256)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def bump_bank_version() -> None:
    """Every process reloads its PDQ index at its next match (after commit)."""
    transaction.on_commit(lambda: cache.set(BANK_VERSION_KEY, uuid.uuid4().hex, None), robust=True)


def _current_version() -> str:
    version = cache.get(BANK_VERSION_KEY)
    if version is None:
        # First use, or a cleared cache: a fresh token forces every process to reload once.
        cache.add(BANK_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(BANK_VERSION_KEY)
    return str(version)


def _pdq_index() -> tuple[np.ndarray, list[int]]:
    version = _current_version()
    with _lock:
        if _index["version"] == version:
            return _index["hashes"], _index["ids"]
    rows = list(
        BankedHash.objects.filter(hash_type=BankedHash.HashType.PDQ, bank__active=True).values_list("pk", "value")
    )
    hashes = np.frombuffer(b"".join(bytes.fromhex(v) for _pk, v in rows), dtype=np.uint8).reshape(len(rows), 32)
    ids = [pk for pk, _v in rows]
    with _lock:
        _index.update(version=version, hashes=hashes, ids=ids)
    return hashes, ids


def _match_from_row(row: BankedHash, distance: int) -> ImageMatch:
    return ImageMatch(banked_hash_id=row.pk, bank=row.bank.name, category=row.bank.category,
                      source=row.source, hash_type=row.hash_type, distance=distance)


def match_image(*, sha256: str, pdq: str | None, pdq_quality: int | None) -> ImageMatch | None:
    """The bank entry an image matches: an exact SHA-256, else the nearest PDQ hash within
    PHARE_PDQ_MATCH_DISTANCE (only for a PDQ of at least PHARE_PDQ_MIN_QUALITY). None if none."""
    exact = (BankedHash.objects.select_related("bank")
             .filter(hash_type=BankedHash.HashType.SHA256, value=sha256.lower(), bank__active=True).first())
    if exact is not None:
        return _match_from_row(exact, 0)
    if not pdq or pdq_quality is None or pdq_quality < settings.PHARE_PDQ_MIN_QUALITY:
        return None
    hashes, ids = _pdq_index()
    if not ids:
        return None
    probe = np.frombuffer(bytes.fromhex(pdq), dtype=np.uint8)
    distances = _POPCOUNT[np.bitwise_xor(hashes, probe)].sum(axis=1, dtype=np.int32)
    best = int(np.argmin(distances))
    distance = int(distances[best])
    if distance > settings.PHARE_PDQ_MATCH_DISTANCE:
        return None
    row = BankedHash.objects.select_related("bank").filter(pk=ids[best]).first()
    if row is None:  # removed since the index was loaded
        return None
    return _match_from_row(row, distance)


# --- Filling banks ---------------------------------------------------------------------------

@dataclass
class ImportResult:
    added: int = 0
    already_present: int = 0
    invalid_lines: list[int] | None = None


def parse_bank_lines(lines: Iterable[str], default_type: str | None,
                      default_source: str) -> Iterable[tuple[int, str, str, str] | tuple[int, None, None, None]]:
    """(line number, value, type, source) per entry; (n, None, None, None) for an invalid line."""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "," in line:
            cells = [c.strip() for c in next(csv.reader(io.StringIO(line)))]
            if number == 1 and cells and cells[0].lower() == "hash":
                continue  # header row
            value = cells[0]
            hash_type = (cells[1].lower() if len(cells) > 1 and cells[1] else default_type)
            source = cells[2] if len(cells) > 2 and cells[2] else default_source
        else:
            value, hash_type, source = line, default_type, default_source
        if hash_type is None:
            yield number, None, None, None
            continue
        try:
            yield number, normalise_hash(value, hash_type), hash_type, source
        except PhareError:
            yield number, None, None, None


@dataclass(frozen=True)
class NewHash:
    """A hash to bank, with where it came from (a shared list's id and when it was taken)."""
    hash_type: str
    value: str
    source: str = ""
    note: str = ""
    external_id: str = ""
    imported_at: dt.datetime | None = None


def bank_hashes(*, bank_name: str, category: str | None, hashes: Iterable[NewHash], actor: User | None,
                audit_action: str, audit_data: dict[str, Any] | None = None) -> tuple[HashBank, int, int]:
    """Add `hashes` (normalised values) to `bank_name`, created if new (with `category`, or
    `other`; an existing bank takes `category` if one is given). Idempotent: a hash already
    in the bank is counted, not duplicated, and keeps its provenance. Returns (bank, added,
    already present). Side effects: one audit entry `audit_action`; PDQ index reloaded after
    commit. Precondition: inside a transaction."""
    if category is not None and category not in HashBank.Category.values:
        raise PhareError("bad_request", extra={"field": "category"})
    bank, created = HashBank.objects.get_or_create(
        name=bank_name, defaults={"category": category or HashBank.Category.OTHER})
    if not created and category is not None and bank.category != category:
        bank.category = category
        bank.save(update_fields=["category"])
    unique: dict[tuple[str, str], NewHash] = {}
    for new_hash in hashes:  # the first of repeated hashes, in the list's order
        unique.setdefault((new_hash.hash_type, new_hash.value), new_hash)
    existing = set(BankedHash.objects.filter(bank=bank).values_list("hash_type", "value"))
    fresh = [BankedHash(bank=bank, hash_type=h.hash_type, value=h.value, source=h.source[:64], note=h.note[:500],
                        external_id=h.external_id[:200], imported_at=h.imported_at, added_by=actor)
             for key, h in unique.items() if key not in existing]
    BankedHash.objects.bulk_create(fresh, batch_size=5000, ignore_conflicts=True)
    already = len(unique) - len(fresh)
    record_audit(actor=actor, action=audit_action, target_type="hash_bank", target_id=str(bank.pk),
                 data={"bank": bank.name, "added": len(fresh), "already_present": already, **(audit_data or {})})
    bump_bank_version()
    return bank, len(fresh), already


def import_hashes(*, lines: Iterable[str], bank_name: str, category: str | None = None,
                  default_type: str | None = None, default_source: str = "", note: str = "",
                  actor: User | None = None) -> ImportResult:
    """Add a bank file's hashes to `bank_name` (created if new). A line is one hash (its type
    from `default_type`) or CSV `hash,type,source`. Invalid lines are skipped and reported by
    number; the rest is imported. Idempotent: hashes already in the bank are counted, not
    duplicated. Side effects: one audit entry, the PDQ index reloaded after commit."""
    result = ImportResult(invalid_lines=[])
    hashes: list[NewHash] = []
    repeated = 0
    seen: set[tuple[str, str]] = set()
    for number, value, hash_type, source in parse_bank_lines(lines, default_type, default_source):
        if value is None:
            result.invalid_lines.append(number)
        elif (hash_type, value) in seen:
            repeated += 1
        else:
            seen.add((hash_type, value))
            hashes.append(NewHash(hash_type=hash_type, value=value, source=source, note=note))
    with transaction.atomic():
        bank, result.added, already = bank_hashes(
            bank_name=bank_name, category=category, hashes=hashes, actor=actor, audit_action="hashbank.import",
            audit_data={"invalid_lines": len(result.invalid_lines)})
    result.already_present = already + repeated
    logger.info("hash bank %s: %d added, %d already present, %d invalid lines",
                bank.name, result.added, result.already_present, len(result.invalid_lines))
    return result


def add_image_to_bank(*, upload_id: Any, bank: str | None = None, actor: User, note: str = "",
                      category: str | None = None) -> list[BankedHash]:
    """Add an upload's SHA-256 and PDQ hash to a bank (by default PHARE_LOCAL_HASH_BANK), so
    that re-uploads, resized or re-compressed copies included, are caught. `category` is used
    when the bank is new (default: non-consensual imagery, what removed images in adults'
    rooms mostly are; child sexual abuse material goes to a `child_safety` bank).

    Precondition: `actor` is a moderator or an operator (others get `not_found`).
    Idempotent. Side effects: an audit entry; the PDQ index reloaded after commit.
    """
    permissions.require_role(actor, "moderator", "operator")
    if not str(upload_id).isdecimal():
        raise PhareError("not_found")
    upload = Upload.objects.filter(pk=int(upload_id)).first()
    if upload is None:
        raise PhareError("not_found")
    if not upload.sha256:
        raise PhareError("bad_request", extra={"reason": "not_scanned"})
    bank_name = bank or settings.PHARE_LOCAL_HASH_BANK
    if category is not None and category not in HashBank.Category.values:
        raise PhareError("bad_request", extra={"field": "category"})
    rows: list[BankedHash] = []
    with transaction.atomic():
        hash_bank, _created = HashBank.objects.get_or_create(
            name=bank_name, defaults={"category": category or HashBank.Category.NON_CONSENSUAL_IMAGERY,
                                      "description": "Images removed by Phare's moderators"})
        values = [(BankedHash.HashType.SHA256, upload.sha256)]
        if upload.pdq_hash:
            values.append((BankedHash.HashType.PDQ, upload.pdq_hash))
        for hash_type, value in values:
            row, _new = BankedHash.objects.get_or_create(
                bank=hash_bank, hash_type=hash_type, value=value,
                defaults={"source": "phare-moderation", "added_by": actor, "upload_id_snapshot": upload.pk,
                          "note": note[:500]})
            rows.append(row)
        record_audit(actor=actor, action="hashbank.add_image", target_type="upload", target_id=str(upload.pk),
                     data={"bank": hash_bank.name, "hashes": [r.pk for r in rows]})
        bump_bank_version()
    return rows


# --- Banks and hashes as operators change them (the admin: audited, reloaded) ---------------

BANK_SETTINGS = frozenset({"category", "description", "active"})


def save_hash_bank(*, actor: User, bank_id: int | None, name: str = "", changes: dict[str, Any]) -> HashBank:
    """Create a bank (`bank_id` None, named `name`) or change one (BANK_SETTINGS only: the
    name stays, PHARE_LOCAL_HASH_BANK and the import command find banks by it). Banks are
    deactivated, never deleted: deleting one would drop its hashes and let the images back.
    Side effects: an audit entry (`hashbank.created` / `hashbank.changed`); every process
    reloads its PDQ index after commit (an inactive bank matches nothing)."""
    if not set(changes) <= BANK_SETTINGS:
        raise PhareError("bad_request", extra={"fields": sorted(set(changes) - BANK_SETTINGS)})
    if "category" in changes and changes["category"] not in HashBank.Category.values:
        raise PhareError("bad_request", extra={"field": "category"})
    with transaction.atomic():
        if bank_id is None:
            if HashBank.objects.filter(name=name).exists():
                raise PhareError("conflict", extra={"field": "name"})
            bank = HashBank.objects.create(name=name, **changes)
            record_audit(actor=actor, action="hashbank.created", target_type="hash_bank", target_id=str(bank.pk),
                         data={"name": name, **changes})
        else:
            bank = HashBank.objects.select_for_update().filter(pk=bank_id).first()
            if bank is None:
                raise PhareError("not_found")
            previous = {field: getattr(bank, field) for field in changes}
            for field, value in changes.items():
                setattr(bank, field, value)
            bank.save(update_fields=list(changes))
            record_audit(actor=actor, action="hashbank.changed", target_type="hash_bank", target_id=str(bank.pk),
                         data={"name": bank.name, "from": previous, "to": changes})
        bump_bank_version()
    return bank


def add_banked_hash(*, actor: User, bank_id: int, hash_type: str, value: str, source: str = "",
                    note: str = "") -> BankedHash:
    """Add one hash to a bank (`bad_request` unless 64 hex digits of a known type).
    Idempotent. Side effects: an audit entry (`hashbank.add_hash`); PDQ index reloaded."""
    clean = normalise_hash(value, hash_type)
    with transaction.atomic():
        bank = HashBank.objects.filter(pk=bank_id).first()
        if bank is None:
            raise PhareError("not_found")
        row, _created = BankedHash.objects.get_or_create(
            bank=bank, hash_type=hash_type, value=clean,
            defaults={"source": source[:64], "note": note[:500], "added_by": actor})
        record_audit(actor=actor, action="hashbank.add_hash", target_type="hash_bank", target_id=str(bank.pk),
                     data={"bank": bank.name, "hash": row.pk, "hash_type": hash_type, "value": clean})
        bump_bank_version()
    return row


def remove_banked_hashes(*, actor: User, hash_ids: list[int]) -> int:
    """Take hashes out of their banks (a false positive): what they matched may be posted
    again. Side effects: one audit entry per bank (`hashbank.remove_hashes`, with the values);
    PDQ index reloaded. Returns how many were removed."""
    removed = 0
    with transaction.atomic():
        rows = list(BankedHash.objects.select_for_update(of=("self",)).filter(pk__in=hash_ids)
                    .select_related("bank"))
        for bank in sorted({row.bank for row in rows}, key=lambda bank: bank.pk):
            gone = [row for row in rows if row.bank_id == bank.pk]
            record_audit(actor=actor, action="hashbank.remove_hashes", target_type="hash_bank",
                         target_id=str(bank.pk),
                         data={"bank": bank.name, "hashes": [[row.pk, row.hash_type, row.value] for row in gone]})
        removed, _ = BankedHash.objects.filter(pk__in=[row.pk for row in rows]).delete()
        if removed:
            bump_bank_version()
    return removed
