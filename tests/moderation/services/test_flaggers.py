"""Trusted flaggers: set by an operator in the admin, audited."""

from __future__ import annotations

import pytest

from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_operator_marks_a_trusted_flagger_in_the_admin_and_it_is_audited(make_user):
    from django.test import Client

    from moderation.models import TrustedFlagger

    operator = make_user(pseudonym="camille_admin", is_operator=True, is_staff=True)
    flagger = make_user(pseudonym="ngo_member")
    client = Client()
    client.force_login(operator)
    response = client.post("/admin/moderation/trustedflagger/add/",
                           {"user": flagger.pk, "organisation": "e-Enfance", "active": "on",
                            "created_at_0": "2026-01-01", "created_at_1": "00:00:00"})
    assert response.status_code == 302, response.content[:2000]
    assert TrustedFlagger.objects.get(user=flagger).organisation == "e-Enfance"
    assert AuditEntry.objects.filter(action="policy.trusted_flagger", target_id=str(flagger.pk)).exists()
