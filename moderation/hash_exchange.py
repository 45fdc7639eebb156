"""Hash-list exchange: Phare's PDQ banks in and out of the formats hash-sharing programmes use.

Formats (docs/images.md, "Sharing hash lists"), written from the `threatexchange` library's
own readers and writers (tests/moderation/test_hash_exchange.py checks both directions
against it):

- `signals`: one `signal_type signal` per line (`pdq <64 hex digits>`), the file exchange of
  `threatexchange` (LocalFileSignalExchangeAPI; Hasher-Matcher-Actioner is built on the same
  library);
- `dataset_csv`: `threatexchange dataset --csv`: `signal_type,signal_str,collab,category,tags`;
- `te_csv` / `te_jsonl` (import only): ThreatExchange descriptors as written by
  `threatexchange api fb_threatexchange query` (`id,indicator,type,status,...`), PDQ rows
  (`HASH_PDQ`) taken with their descriptor id.

Only positive opinions are banked: a row marked NEGATIVE_CLASS, DISPUTED or
INVESTIGATION_SEED (dataset), or NON_MALICIOUS (descriptors), is a programme saying "not
known abuse" and is skipped. Imported hashes keep their provenance (source, original id,
imported_at) and are ordinary BankedHash rows: a match against them takes the same path as
Phare's own (hashbanks.match_image, then triage.escalate_image_match: legal hold, critical
case, referral). Only PDQ is exchanged: threatexchange's SHA-256 signal is for videos, and
Phare's SHA-256 hashes are of image files.

The library itself is not a runtime dependency: its PDQ signal type pulls in FAISS (tens of
megabytes per image) to validate a 64-digit hex string.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import PhareError
from moderation import hashbanks, outbound
from moderation.audit import record_audit
from moderation.models import BankedHash, HashBank

logger = logging.getLogger(__name__)

IMPORT_FORMATS = ("signals", "dataset_csv", "te_csv", "te_jsonl")
EXPORT_FORMATS = ("signals", "dataset_csv")
PDQ_SIGNAL = "pdq"  # threatexchange's PdqSignal.get_name()
PDQ_INDICATOR = "HASH_PDQ"  # its ThreatExchange indicator type
DATASET_COLUMNS = ["signal_type", "signal_str", "collab", "category", "tags"]
POSITIVE = "POSITIVE_CLASS"
NOT_ABUSE_STATUSES = frozenset({"NON_MALICIOUS"})
NOT_POSITIVE_CATEGORIES = frozenset({"NEGATIVE_CLASS", "DISPUTED", "INVESTIGATION_SEED"})


@dataclass(frozen=True)
class SharedSignal:
    value: str
    external_id: str = ""
    # What the programme says about it (tags, its collaboration), kept as the hash's note.
    note: str = ""


@dataclass
class Parsed:
    signals: list[SharedSignal] = field(default_factory=list)
    invalid_lines: list[int] = field(default_factory=list)
    other_types: int = 0  # signals of types Phare does not bank (video MD5, text, ...)
    not_positive: int = 0  # rows a programme marks as not known abuse


@dataclass
class ExchangeResult:
    added: int = 0
    already_present: int = 0
    removed: int = 0
    invalid_lines: list[int] = field(default_factory=list)
    other_types: int = 0
    not_positive: int = 0


class SyncError(Exception):
    """The configured list could not be fetched or read; nothing was changed."""


def _pdq(value: str) -> str | None:
    try:
        return hashbanks.normalise_hash(value, BankedHash.HashType.PDQ)
    except PhareError:
        return None


def _take(parsed: Parsed, number: int, signal_type: str, value: str, **extra: str) -> None:
    if signal_type != PDQ_SIGNAL:
        parsed.other_types += 1
        return
    clean = _pdq(value)
    if clean is None:
        parsed.invalid_lines.append(number)
    else:
        parsed.signals.append(SharedSignal(value=clean, **extra))


def _parse_signals(lines: Iterable[str], parsed: Parsed) -> None:
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        signal_type, _space, value = line.partition(" ")
        if not value:
            parsed.invalid_lines.append(number)
            continue
        _take(parsed, number, signal_type.strip().lower(), value.strip())


def _csv_rows(text: str, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    if not required <= set(reader.fieldnames or []):
        raise PhareError("bad_request", extra={"reason": "missing_columns",
                                               "columns": sorted(required - set(reader.fieldnames or []))})
    for row in reader:
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}


def _parse_dataset_csv(text: str, parsed: Parsed) -> None:
    for number, row in _csv_rows(text, {"signal_type", "signal_str"}):
        if row.get("category", "").upper() in NOT_POSITIVE_CATEGORIES:
            parsed.not_positive += 1
            continue
        note = " ".join(part for part in (row.get("collab", ""), row.get("tags", "")) if part)
        _take(parsed, number, row["signal_type"].lower(), row["signal_str"], note=note)


def _descriptor(parsed: Parsed, number: int, row: dict[str, str]) -> None:
    if str(row.get("status") or "").upper() in NOT_ABUSE_STATUSES:
        parsed.not_positive += 1
        return
    signal_type = PDQ_SIGNAL if str(row.get("type") or "").upper() == PDQ_INDICATOR else "other"
    tags = row.get("tags") or ""
    _take(parsed, number, signal_type, str(row.get("indicator") or ""), external_id=str(row.get("id") or ""),
          note=" ".join(tags) if isinstance(tags, list) else str(tags))


def _parse_te_jsonl(lines: Iterable[str], parsed: Parsed) -> None:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            parsed.invalid_lines.append(number)
            continue
        if not isinstance(row, dict):
            parsed.invalid_lines.append(number)
            continue
        _descriptor(parsed, number, row)


def parse_shared_list(text: str, fmt: str) -> Parsed:
    """The PDQ signals in `text` (format `fmt`, one of IMPORT_FORMATS), with what was left
    out and why. `bad_request` for an unknown format or a CSV without its columns."""
    parsed = Parsed()
    if fmt == "signals":
        _parse_signals(text.splitlines(), parsed)
    elif fmt == "dataset_csv":
        _parse_dataset_csv(text, parsed)
    elif fmt == "te_csv":
        for number, row in _csv_rows(text, {"id", "indicator", "type"}):
            _descriptor(parsed, number, row)
    elif fmt == "te_jsonl":
        _parse_te_jsonl(text.splitlines(), parsed)
    else:
        raise PhareError("bad_request", extra={"field": "format", "allowed": list(IMPORT_FORMATS)})
    return parsed


def import_shared_list(*, text: str, fmt: str, bank_name: str, source: str, category: str | None = None,
                       actor: User | None = None, remove_missing: bool = False) -> ExchangeResult:
    """Bank the PDQ signals of a shared list in `bank_name` (created if new), each with its
    provenance: `source` (the programme or list), its id there, imported_at now.

    With `remove_missing` (a sync), hashes this bank took earlier from the same `source` and
    no longer on the list are removed (a programme withdrew them: false positives); never
    when the list holds no valid PDQ signal at all (an empty or broken answer must not empty
    the bank). Side effects: audit entries (`hashbank.exchange_import`, and
    `hashbank.remove_hashes` for removals); PDQ index reloaded after commit.
    """
    parsed = parse_shared_list(text, fmt)
    now = timezone.now()
    result = ExchangeResult(invalid_lines=parsed.invalid_lines, other_types=parsed.other_types,
                            not_positive=parsed.not_positive)
    hashes = [hashbanks.NewHash(hash_type=BankedHash.HashType.PDQ, value=s.value, source=source,
                                note=s.note, external_id=s.external_id, imported_at=now)
              for s in parsed.signals]
    with transaction.atomic():
        bank, result.added, result.already_present = hashbanks.bank_hashes(
            bank_name=bank_name, category=category, hashes=hashes, actor=actor,
            audit_action="hashbank.exchange_import",
            audit_data={"format": fmt, "source": source, "invalid_lines": len(parsed.invalid_lines),
                        "other_types": parsed.other_types, "not_positive": parsed.not_positive})
        if remove_missing and parsed.signals:
            listed = {s.value for s in parsed.signals}
            gone = [pk for pk, value in BankedHash.objects.filter(
                bank=bank, hash_type=BankedHash.HashType.PDQ, source=source[:64], imported_at__isnull=False,
            ).values_list("pk", "value") if value not in listed]
            if gone:
                result.removed = hashbanks.remove_banked_hashes(actor=actor, hash_ids=gone)
    logger.info("shared list %s into bank %s: %d added, %d already present, %d removed, %d invalid lines",
                source, bank_name, result.added, result.already_present, result.removed, len(result.invalid_lines))
    return result


def export_bank(*, bank_name: str, fmt: str, actor: User | None = None) -> str:
    """The bank's PDQ hashes in `fmt` (one of EXPORT_FORMATS), for a peer or a programme.
    `not_found` for an unknown bank. Side effect: an audit entry (`hashbank.export`)."""
    if fmt not in EXPORT_FORMATS:
        raise PhareError("bad_request", extra={"field": "format", "allowed": list(EXPORT_FORMATS)})
    bank = HashBank.objects.filter(name=bank_name).first()
    if bank is None:
        raise PhareError("not_found")
    values = list(BankedHash.objects.filter(bank=bank, hash_type=BankedHash.HashType.PDQ)
                  .order_by("pk").values_list("value", flat=True))
    out = io.StringIO()
    if fmt == "signals":
        out.writelines(f"{PDQ_SIGNAL} {value}\n" for value in values)
    else:
        writer = csv.DictWriter(out, DATASET_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for value in values:
            writer.writerow({"signal_type": PDQ_SIGNAL, "signal_str": value, "collab": bank.name,
                             "category": POSITIVE, "tags": bank.category})
    record_audit(actor=actor, action="hashbank.export", target_type="hash_bank", target_id=str(bank.pk),
                 data={"bank": bank.name, "format": fmt, "hashes": len(values)})
    return out.getvalue()


def sync_configured_list() -> ExchangeResult:
    """Fetch PHARE_HASH_SYNC_URL and bring PHARE_HASH_SYNC_BANK in step with it (additions
    and withdrawals, see import_shared_list). Nothing while the URL is empty. Raises
    SyncError when the list cannot be fetched or read; the bank is then left as it was."""
    url = settings.PHARE_HASH_SYNC_URL
    if not url:
        return ExchangeResult()
    source = (urllib.parse.urlsplit(url).hostname or url)[:64]
    try:
        answer = outbound.get(url, token=settings.PHARE_HASH_SYNC_TOKEN)
    except outbound.OutboundError as error:
        raise SyncError(f"{source}: {error}") from error
    if answer.status != 200:
        raise SyncError(f"{source} answered {answer.status}")
    try:
        text = answer.body.decode("utf-8-sig")
        return import_shared_list(text=text, fmt=settings.PHARE_HASH_SYNC_FORMAT,
                                  bank_name=settings.PHARE_HASH_SYNC_BANK, category=settings.PHARE_HASH_SYNC_CATEGORY,
                                  source=source, remove_missing=True)
    except (UnicodeDecodeError, PhareError) as error:
        raise SyncError(f"{source}: unreadable list ({error})") from error
