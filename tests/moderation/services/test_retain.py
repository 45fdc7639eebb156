"""Retention: old messages purged, except what an open case or a legal hold keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chat.models import Message
from moderation.models import AuditEntry
from moderation.services.report import file_report
from moderation.services.retain import purge_past_retention

pytestmark = pytest.mark.django_db


def test_retention_purges_old_messages_except_open_cases_and_legal_hold(make_user, adults_room, post, settings):
    settings.PHARE_MESSAGE_RETENTION_DAYS = 30
    author = make_user(pseudonym="old_author")
    old_plain, old_open, old_held, recent = (post(author, adults_room, f"m{i}") for i in range(4))
    Message.objects.filter(pk__in=[old_plain.pk, old_open.pk, old_held.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=40))
    file_report(reporter=make_user(pseudonym="ret_rep1"), target={"message": str(old_open.pk)},
                category="spam", details="", good_faith=True)
    held_report = file_report(reporter=make_user(pseudonym="ret_rep2"), target={"message": str(old_held.pk)},
                              category="threat", details="", good_faith=True)
    held_case = held_report.case
    held_case.status, held_case.legal_hold = "decided", True
    held_case.save()
    assert purge_past_retention() == 1
    assert set(Message.objects.values_list("pk", flat=True)) == {old_open.pk, old_held.pk, recent.pk}
    assert AuditEntry.objects.filter(action="retention.purged").exists()
