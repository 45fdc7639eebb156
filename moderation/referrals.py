"""Referral to the authorities: evidence frozen under legal hold, and an export package
(JSON files plus a SHA-256 manifest) an operator hands over through the proper channel."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from chat import services as chat_services
from moderation.audit import record_audit
from moderation.models import Case, Evidence, Referral
from moderation.representations import case_repr


def referral_root() -> Path:
    return Path(getattr(settings, "PHARE_REFERRAL_DIR", "") or Path(settings.DATA_DIR) / "referrals")


def _write(path: Path, data) -> str:
    raw = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    path.write_bytes(raw)
    return hashlib.sha256(raw).hexdigest()


def refer_case(*, case: Case, actor=None) -> Referral:
    """Put the case's evidence under legal hold and write the export package.

    Precondition: `case` is locked by the caller. Side effects: files under the referral
    directory, `legal_hold` on the case and its evidence, an audit entry.
    """
    case.legal_hold = True
    case.save(update_fields=["legal_hold"])
    Evidence.objects.filter(reports__case=case).update(legal_hold=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    folder = referral_root() / f"case-{case.pk}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    hashes["case.json"] = _write(folder / "case.json", case_repr(case))
    for evidence in Evidence.objects.filter(reports__case=case).distinct():
        name = f"evidence-{evidence.pk}.json"
        hashes[name] = _write(folder / name, {"id": evidence.pk, "captured_sha256": evidence.content_hash,
                                              "data": evidence.data})
    upload_ids = sorted({int(item["image"]["id"]) for evidence in Evidence.objects.filter(reports__case=case)
                         for item in [evidence.data.get("message") or {}] + list(evidence.data.get("context") or [])
                         if (item.get("image") or {}).get("id")})
    for name, raw in chat_services.hold_message_images(upload_ids=upload_ids):
        (folder / name).write_bytes(raw)
        hashes[name] = hashlib.sha256(raw).hexdigest()
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(hashes.items()))
    (folder / "MANIFEST.sha256").write_text(lines, encoding="utf-8")
    manifest_sha = hashlib.sha256(lines.encode("utf-8")).hexdigest()
    referral = Referral.objects.create(case=case, created_by=actor, path=str(folder), manifest_sha256=manifest_sha)
    record_audit(actor=actor, action="case.referred", target_type="case", target_id=str(case.pk),
                 data={"referral": referral.pk, "manifest_sha256": manifest_sha, "files": sorted(hashes)})
    return referral
