"""Evidence integrity: a snapshot's content hash, taken when the snapshot is stored
(moderation.services.snapshot.snapshot_evidence) and checked whenever a moderator reads it
(moderation.representations.case_repr)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from moderation.models import Evidence


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def evidence_intact(evidence: Evidence) -> bool:
    return content_hash(evidence.data) == evidence.content_hash
