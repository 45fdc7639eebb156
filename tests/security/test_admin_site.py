"""The admin's door follows the same rules as the rest of Phare: an account that is
suspended, banned or deleted does not get in, superuser or not, and its logout ends every
session of the account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from accounts.admin_site import PhareAdminSite
from accounts.models import AgeBand, User

pytestmark = pytest.mark.django_db


def test_the_admin_is_phares_site():
    assert isinstance(admin.site, PhareAdminSite)


@pytest.mark.parametrize("sanction", [
    {"banned": True},
    {"suspended_until": timezone.now() + dt.timedelta(days=3)},
])
def test_a_sanctioned_superuser_does_not_get_into_the_admin(make_user, sanction):
    boss = make_user(AgeBand.ADULT, "boss_admin", is_superuser=True, is_staff=True, is_operator=True)
    client = Client()
    client.force_login(boss)
    assert client.get("/admin/").status_code == 200
    User.objects.filter(pk=boss.pk).update(**sanction)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/admin/accounts/user/").status_code == 302


def test_admin_logout_ends_every_session_of_the_account(make_user):
    operator = make_user(AgeBand.ADULT, "op_logout", is_staff=True, is_operator=True)
    here, there = Client(), Client()
    here.force_login(operator)
    there.force_login(operator)
    assert there.get("/admin/").status_code == 200
    assert here.post("/admin/logout/").status_code == 200
    response = there.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
