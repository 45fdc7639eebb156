"""Moderation records in a user's personal data export (accounts' `personal_data_requested`).

Read-only, and tolerant of a moderation app without reports or notices yet, so that the export
never fails because one section is missing. What a moderator wrote about the person (internal
notes) and other people's reports about them are not included: the first is given on request
after review, the second would expose reporters.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from accounts import signals as account_signals


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _model(name: str):
    try:
        return apps.get_model("moderation", name)
    except LookupError:
        return None


def export_moderation_records(*, user) -> dict[str, Any]:
    data: dict[str, Any] = {}
    Flag = _model("Flag")
    if Flag is not None:
        data["automated_flags_about_you"] = [
            {"decision": f.decision, "reasons": f.reasons, "created_at": _iso(f.created_at)}
            for f in Flag.objects.filter(subject_id_snapshot=user.pk).order_by("created_at")
        ]
    Report = _model("Report")
    if Report is not None:
        data["reports_you_filed"] = [
            {"id": str(r.pk), "category": r.category, "details": r.details, "status": r.status,
             "created_at": _iso(r.created_at)}
            for r in Report.objects.filter(reporter=user).order_by("created_at")
        ]
    Notice = _model("Notice")
    if Notice is not None:
        data["notices"] = [
            {"id": str(n.pk), "kind": n.kind, "action": n.action, "reason_code": n.reason_code,
             "automated": n.automated, "appealable_until": _iso(n.appealable_until),
             "created_at": _iso(n.created_at)}
            for n in Notice.objects.filter(recipient=user).order_by("created_at")
        ]
    Appeal = _model("Appeal")
    if Appeal is not None:
        data["appeals"] = [
            {"notice": str(a.notice_id), "reason": a.reason, "status": a.status,
             "created_at": _iso(a.created_at), "decided_at": _iso(a.decided_at)}
            for a in Appeal.objects.filter(appellant=user).order_by("created_at")
        ]
    return data


def _export_moderation_records(sender: Any, *, user, **kwargs: Any) -> dict[str, Any]:
    return export_moderation_records(user=user)


def connect() -> None:
    """Called once by `OpsConfig.ready`."""
    account_signals.personal_data_requested.connect(
        _export_moderation_records, dispatch_uid="ops.export_moderation_records")
