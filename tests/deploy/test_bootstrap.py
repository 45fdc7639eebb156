"""The first operator, on the command line: `createsuperuser` and `bootstrap`."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from accounts.models import AgeBand, User
from chat.models import Room
from moderation.models import AuditEntry
from ops.bootstrap import DEFAULT_ROOMS

PASSWORD = "correct horse battery staple"


def _run(command: str, *args: str, stdin: str = "", monkeypatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_createsuperuser_is_phares_own():
    # accounts is listed before django.contrib.auth: its command is the one manage.py runs.
    assert get_commands()["createsuperuser"] == "accounts"


@pytest.mark.django_db
def test_createsuperuser_makes_an_audited_adult_operator_who_can_sign_in(monkeypatch):
    out = _run("createsuperuser", "--pseudonym", "Lea_ops", "--password-stdin", stdin=PASSWORD + "\n",
               monkeypatch=monkeypatch)
    assert "Lea_ops" in out
    user = User.objects.get(pseudonym="Lea_ops")
    assert (user.is_superuser, user.is_operator, user.is_staff, user.age_band) == (True, True, True, AgeBand.ADULT)
    assert user.check_password(PASSWORD)
    entries = AuditEntry.objects.filter(target_type="user", target_id=str(user.pk)).order_by("seq")
    assert [(e.action, e.data) for e in entries] == [
        ("account.created", {"by": "command_line"}),
        ("role.granted", {"role": "operator"}),
        ("role.granted", {"role": "superuser"}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("pseudonym, password, code", [
    ("admin", PASSWORD, "pseudonym_not_allowed, reserved"),
    ("Marc_ops", "short", "invalid_password"),
])
def test_createsuperuser_refuses_what_sign_up_refuses(monkeypatch, pseudonym, password, code):
    with pytest.raises(CommandError, match=rf"\[{code}\]"):
        _run("createsuperuser", "--pseudonym", pseudonym, "--password-stdin", stdin=password + "\n",
             monkeypatch=monkeypatch)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createsuperuser_refuses_a_look_alike_of_a_taken_pseudonym(monkeypatch, adult):
    with pytest.raises(CommandError, match=r"\[pseudonym_taken\]"):
        _run("createsuperuser", "--pseudonym", adult.pseudonym.upper(), "--password-stdin",
             stdin=PASSWORD + "\n", monkeypatch=monkeypatch)


def test_createsuperuser_without_a_terminal_asks_for_password_stdin(monkeypatch):
    with pytest.raises(CommandError, match="--password-stdin"):
        _run("createsuperuser", "--pseudonym", "Lea_ops", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="--noinput needs"):
        _run("createsuperuser", "--noinput", monkeypatch=monkeypatch)


@pytest.mark.django_db
def test_bootstrap_creates_the_operator_and_default_rooms_once(monkeypatch):
    first = _run("bootstrap", "--operator", "Noa_ops", "--password-stdin", stdin=PASSWORD + "\n",
                 monkeypatch=monkeypatch)
    assert "Operator Noa_ops: created." in first
    slugs = [spec["slug"] for spec in DEFAULT_ROOMS]
    assert set(Room.objects.values_list("slug", flat=True)) == set(slugs)
    for spec in DEFAULT_ROOMS:
        room = Room.objects.get(slug=spec["slug"])
        assert (room.audience, room.min_assurance) == (spec["audience"], spec.get("min_assurance", "declared"))
    assert "screening policy: the safe defaults in code" in first
    audit_count = AuditEntry.objects.count()

    # Again, without a password: nothing is created, asked or written.
    second = _run("bootstrap", "--operator", "noa_ops", monkeypatch=monkeypatch)
    assert "already there, roles checked" in second and "Default rooms created: none" in second
    assert AuditEntry.objects.count() == audit_count
    assert User.objects.count() == 1 and Room.objects.count() == len(DEFAULT_ROOMS)
    assert AuditEntry.objects.filter(action="room.created").count() == len(DEFAULT_ROOMS)


@pytest.mark.django_db
def test_bootstrap_gives_an_existing_account_the_operator_roles_and_leaves_edited_rooms(monkeypatch, adult):
    Room.objects.filter(slug=DEFAULT_ROOMS[0]["slug"]).delete()
    call_command("createroom", "--slug", DEFAULT_ROOMS[0]["slug"], "--name", "Renamed", "--audience", "adults",
                 stdout=io.StringIO())
    password_before = User.objects.get(pk=adult.pk).password
    out = _run("bootstrap", "--operator", adult.pseudonym, monkeypatch=monkeypatch)
    adult.refresh_from_db()
    assert adult.is_operator and adult.is_superuser and adult.password == password_before
    assert "already there" in out
    assert Room.objects.get(slug=DEFAULT_ROOMS[0]["slug"]).name == "Renamed"
