"""The append-only, hash-chained audit log.

Each entry's hash is SHA-256 over a canonical JSON of its fields and the previous entry's
hash. Appends lock the single chain-head row, so concurrent appends (several workers, several
ASGI processes) serialise and never fork the chain. Callers may be inside their own
transaction: the entry then commits or rolls back with the action it records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from moderation.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64
HEAD_PK = 1


def _canonical_data(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so that what is hashed is exactly what the database stores
    # (datetimes, UUIDs, decimals become strings once and for all).
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(*, seq: int, created_at: dt.datetime, actor_id: int | None, actor_label: str, action: str,
               target_type: str, target_id: str, data: dict[str, Any], prev_hash: str) -> str:
    payload = json.dumps(
        [seq, _time(created_at), actor_id, actor_label, action, target_type, target_id, data, prev_hash],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_head() -> AuditChainHead:
    # The head row may not exist yet (fresh database, flushed test database).
    AuditChainHead.objects.bulk_create([AuditChainHead(pk=HEAD_PK)], ignore_conflicts=True)
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)


def record_audit(*, actor, action: str, target_type: str, target_id: str, data: dict[str, Any] | None = None,
                 actor_label: str = "") -> AuditEntry:
    """Append one entry. `actor` is a User or None (the system: a task, the gate).

    Safe inside a transaction (the entry commits with it); holds the chain-head row lock
    until that transaction ends, so keep audited transactions short.
    """
    actor_id = getattr(actor, "pk", None)
    if not actor_label:
        actor_label = getattr(actor, "pseudonym", "") if actor is not None else "system"
    clean = _canonical_data(data or {})
    with transaction.atomic():
        head = _lock_head()
        seq = head.seq + 1
        created_at = timezone.now()
        digest = entry_hash(seq=seq, created_at=created_at, actor_id=actor_id, actor_label=actor_label,
                            action=action, target_type=target_type, target_id=str(target_id),
                            data=clean, prev_hash=head.hash)
        entry = AuditEntry.objects.create(
            seq=seq, created_at=created_at, actor_id=actor_id, actor_label=actor_label[:64], action=action,
            target_type=target_type, target_id=str(target_id), data=clean, prev_hash=head.hash, hash=digest,
        )
        head.seq, head.hash = seq, digest
        head.save(update_fields=["seq", "hash"])
    return entry


@dataclass(frozen=True)
class AuditProblem:
    seq: int | None
    problem: str  # "edited", "broken_link", "missing", "head_mismatch"

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}" if self.seq is not None else self.problem


def verify_chain(entries: Iterable[AuditEntry] | None = None) -> list[AuditProblem]:
    """Recompute the whole chain. Returns the problems found (empty list: intact).

    Detects an edited entry (its hash no longer matches its content), a deleted one (a gap
    in `seq`, or a head that points past the last entry), and reordering (a `prev_hash`
    that is not its predecessor's hash).
    """
    problems: list[AuditProblem] = []
    rows = entries if entries is not None else AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in rows:
        if entry.seq != expected_seq:
            problems.append(AuditProblem(entry.seq, "missing"))
        recomputed = entry_hash(
            seq=entry.seq, created_at=entry.created_at, actor_id=entry.actor_id, actor_label=entry.actor_label,
            action=entry.action, target_type=entry.target_type, target_id=entry.target_id,
            data=entry.data, prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            problems.append(AuditProblem(entry.seq, "edited"))
        if entry.prev_hash != expected_prev:
            problems.append(AuditProblem(entry.seq, "broken_link"))
        expected_prev = entry.hash
        expected_seq = entry.seq + 1
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != expected_prev:
        problems.append(AuditProblem(None, "head_mismatch"))
    return problems
