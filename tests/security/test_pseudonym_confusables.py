"""Pseudonyms are compared by their Unicode confusable skeleton (UTS #39, accounts/pseudonyms.py):
look-alikes of reserved names and of existing pseudonyms are refused (until 2026-12-04 "аdmin" and
"pоlice" with Cyrillic letters, and "bоb" beside "bob", were accepted), ordinary names with
accents still pass, and every lookup by pseudonym keeps finding the account."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.test import Client

from accounts import services
from core.errors import PhareError
from accounts.models import AgeBand, User
from accounts.pseudonyms import pseudonym_key
from chat import services as chat_services
from moderation.models import Report
from tests.conftest import birthdate_for_age

pytestmark = pytest.mark.django_db

CYRILLIC_A, CYRILLIC_O, GREEK_ALPHA, GREEK_OMICRON = "\u0430", "\u043e", "\u03b1", "\u03bf"


def sign_up(pseudonym: str) -> User:
    return services.sign_up(pseudonym=pseudonym, password="correct horse battery",
                            birthdate=birthdate_for_age(30), ip="127.0.0.1")


def refusal(pseudonym: str) -> PhareError:
    with pytest.raises(PhareError) as refused:
        sign_up(pseudonym)
    return refused.value


@pytest.mark.parametrize("pseudonym", [
    f"{CYRILLIC_A}dmin",                 # once accepted
    f"p{CYRILLIC_O}lice",                # once accepted
    f"{GREEK_ALPHA}dmin",                # Greek alpha
    f"m{GREEK_OMICRON}derateur_42",      # a reserved prefix with a Greek omicron
    "adrnin",                            # "rn" reads as "m"
    f"R{CYRILLIC_O}{CYRILLIC_O}t",       # capitals and look-alikes together
    "ＡＤＭＩＮ",                          # fullwidth letters
])
def test_look_alikes_of_reserved_names_are_refused(pseudonym):
    error = refusal(pseudonym)
    assert error.code == "pseudonym_not_allowed" and error.extra["reason"] in {"reserved", "format"}
    assert not User.objects.exists()


def test_the_issues_look_alike_of_an_existing_pseudonym_is_refused():
    sign_up("bob")
    error = refusal(f"b{CYRILLIC_O}b")
    assert error.code in {"pseudonym_taken", "pseudonym_not_allowed"}
    assert User.objects.count() == 1


@pytest.mark.parametrize("existing, look_alike", [
    ("coco", "\u0441\u043e\u0441\u043e"),   # all Cyrillic: single script, same skeleton
    ("ace", "\u0430\u0441\u0435"),
    ("marie_b", "rnarie_b"),                 # Latin only: "rn" for "m"
    ("bob", "B0B"),                          # digit zero for the letter, any case
    ("lola", "1ola"),                        # digit one for the letter l
])
def test_a_look_alike_of_an_existing_pseudonym_is_taken(existing, look_alike):
    sign_up(existing)
    assert refusal(look_alike).code == "pseudonym_taken"
    assert User.objects.count() == 1


def test_names_mixing_latin_with_cyrillic_or_greek_are_refused():
    for pseudonym in (f"b{CYRILLIC_O}b_smith", f"Jean{GREEK_ALPHA}"):
        error = refusal(pseudonym)
        assert error.code == "pseudonym_not_allowed" and error.extra["reason"] == "mixed_script"


@pytest.mark.parametrize("pseudonym", [
    "Élodie", "François_92", "Zoé.b", "Anaïs", "Jérôme-Noël", "Cécile", "Gaëlle", "Maëlys",
    "Œdipe_roi", "Ça_va", "Мария",  # and a name in one other script
])
def test_ordinary_accented_names_are_accepted(pseudonym):
    user = sign_up(pseudonym)
    assert user.pseudonym == pseudonym


def test_accents_still_make_a_different_name():
    sign_up("Élodie")
    assert sign_up("Elodie").pseudonym == "Elodie"


def test_login_by_the_existing_name_still_works():
    sign_up("Bob_92")
    for typed in ("Bob_92", "bob_92", "BOB_92", f"B{CYRILLIC_O}b_92"):
        response = Client().post("/api/v1/accounts/login",
                                 json.dumps({"pseudonym": typed, "password": "correct horse battery"}),
                                 content_type="application/json", REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 200, typed
        assert response.json()["user"]["pseudonym"] == "Bob_92"


def test_every_lookup_by_pseudonym_finds_the_account(make_user):
    owner = make_user(AgeBand.ADULT, "Marcel")
    asker = make_user(AgeBand.ADULT, "asker_ad")
    # grantrole
    assert services.grant_role(pseudonym="marcel", role="moderator").pk == owner.pk
    # a DM request by pseudonym
    assert chat_services.open_conversation(sender=asker, to="MARCEL", body="salut")["with"]["id"] == str(owner.pk)
    # a report's target
    client = Client()
    client.force_login(asker)
    response = client.post("/api/v1/reports", json.dumps(
        {"target": {"user": "marcel"}, "category": "spam", "good_faith": True}),
        content_type="application/json")
    assert response.status_code == 201, response.content
    assert Report.objects.get().target_id == owner.pk
    # Django's own lookup (the admin's log-in)
    assert User.objects.get_by_natural_key("Marcel").pk == owner.pk


def test_the_migration_keeps_accounts_that_already_collide():
    """Accounts made before skeletons, whose names are look-alikes of each other: the oldest
    gets the skeleton key, the others keep theirs, and each still signs in by its name."""
    first = User.objects.create(pseudonym="bob", pseudonym_key="bob", age_band=AgeBand.ADULT)
    look_alike = f"b{CYRILLIC_O}b"
    second = User.objects.create(pseudonym=look_alike, pseudonym_key=look_alike, age_band=AgeBand.ADULT)
    third = User.objects.create(pseudonym="Marie", pseudonym_key="marie", age_band=AgeBand.ADULT)
    for user in (first, second, third):
        user.set_password("correct horse battery")
        user.save()
    migration = importlib.import_module("accounts.migrations.0001_squashed_0008_pseudonym_skeleton_key")
    migration._use_skeleton_keys(apps, None)
    keys = dict(User.objects.values_list("pseudonym", "pseudonym_key"))
    assert keys == {"bob": "bob", look_alike: look_alike, "Marie": pseudonym_key("Marie")}
    assert User.objects.get_by_natural_key("bob").pk == first.pk
    assert User.objects.get_by_natural_key(look_alike).pk == second.pk
    assert services.check_credentials(pseudonym=look_alike, password="correct horse battery").pk == second.pk
    assert services.check_credentials(pseudonym="marie", password="correct horse battery").pk == third.pk
    # Reversible: back to case-folded names.
    migration._use_casefolded_keys(apps, None)
    assert dict(User.objects.values_list("pseudonym", "pseudonym_key"))["Marie"] == "marie"
