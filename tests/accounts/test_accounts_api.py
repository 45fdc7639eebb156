import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import services
from core.errors import PhareError
from accounts.models import AgeBand, ConnectionLog, User
from tests.conftest import birthdate_for_age

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body) -> "object":
    return client.post(path, data=json.dumps(body), content_type="application/json")


def signup(client: Client, pseudonym: str, years: int, password: str = "correct horse battery"):
    return post(client, "/api/v1/accounts/signup",
                {"pseudonym": pseudonym, "password": password, "birthdate": birthdate_for_age(years).isoformat()})


def test_signup_needs_only_pseudonym_password_birthdate_and_signs_in():
    client = Client()
    response = signup(client, "Lucie", 15)
    assert response.status_code == 201
    user = response.json()["user"]
    assert user["pseudonym"] == "Lucie"
    assert user["age_band"] == "13-15"
    assert user["assurance"] == "declared"
    assert user["dm_policy"] == "shared_rooms"
    assert user["roles"] == []
    assert client.get("/api/v1/me").json()["user"]["id"] == user["id"]


def test_adult_defaults_to_anyone_in_band():
    response = signup(Client(), "Marc", 40)
    assert response.json()["user"]["age_band"] == "18+"
    assert response.json()["user"]["dm_policy"] == "anyone_in_band"


def test_under_13_is_refused_and_nothing_is_stored():
    response = signup(Client(), "Petit", 12)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "age_below_minimum"
    assert not User.objects.filter(pseudonym_key="petit").exists()


def test_birthdate_is_not_stored_only_band_and_its_end():
    signup(Client(), "Nina", 16)
    user = User.objects.get(pseudonym_key="nina")
    field_names = {f.name for f in User._meta.get_fields()}
    assert "birthdate" not in field_names
    assert user.age_band == "16-17"
    assert user.band_until is not None and user.band_until > timezone.localdate()


def test_pseudonym_is_unique_whatever_the_case():
    assert signup(Client(), "Zoe", 20).status_code == 201
    response = signup(Client(), "ZOE", 20)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "pseudonym_taken"


@pytest.mark.parametrize("name", ["admin", "Moderateur", "phare_official", "a", "bad name!", "x" * 40])
def test_reserved_or_malformed_pseudonyms_are_refused(name):
    response = signup(Client(), name, 20)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "pseudonym_not_allowed"


def test_weak_password_is_refused_with_a_code():
    response = signup(Client(), "Paul", 20, password="123")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_password"


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"pseudonym": 5}', b'{"pseudonym":"a","password":"b","birthdate":"31/12/2000"}'])
def test_bad_input_is_a_400_with_a_code(body):
    response = Client().post("/api/v1/accounts/signup", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_login_logout_and_session():
    client = Client()
    signup(client, "Sam", 25)
    assert client.post("/api/v1/accounts/logout").status_code == 204
    assert client.get("/api/v1/session").json() == {"authenticated": False, "user": None}
    bad = post(client, "/api/v1/accounts/login", {"pseudonym": "sam", "password": "wrong password"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_credentials"
    good = post(client, "/api/v1/accounts/login", {"pseudonym": "SAM", "password": "correct horse battery"})
    assert good.status_code == 200 and good.json()["user"]["pseudonym"] == "Sam"
    assert client.get("/api/v1/session").json()["authenticated"] is True


def test_me_needs_sign_in():
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unsafe_methods_need_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    session = client.get("/api/v1/session")
    token = session.cookies["csrftoken"].value
    body = json.dumps({"pseudonym": "Cara", "password": "correct horse battery",
                       "birthdate": birthdate_for_age(30).isoformat()})
    refused = client.post("/api/v1/accounts/signup", data=body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    accepted = client.post("/api/v1/accounts/signup", data=body, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_dm_policy_setting():
    client = Client()
    signup(client, "Ines", 30)
    response = client.patch("/api/v1/me/settings", data=json.dumps({"dm_policy": "nobody"}),
                            content_type="application/json")
    assert response.json()["user"]["dm_policy"] == "nobody"
    bad = client.patch("/api/v1/me/settings", data=json.dumps({"dm_policy": "everyone"}),
                       content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


def test_delete_my_account_frees_the_pseudonym_and_signs_out():
    client = Client()
    signup(client, "Gone", 30)
    assert client.delete("/api/v1/me").status_code == 204
    assert client.get("/api/v1/session").json()["authenticated"] is False
    user = User.objects.get(pseudonym_key__startswith="deleted-")
    assert not user.has_usable_password() and not user.is_active
    assert signup(Client(), "Gone", 30).status_code == 201


def test_connection_log_records_ip_and_is_purged_after_retention(settings):
    client = Client(REMOTE_ADDR="203.0.113.7")
    signup(client, "Logged", 30)
    log = ConnectionLog.objects.get(kind="signup")
    assert log.ip == "203.0.113.7"
    settings.PHARE_CONNECTION_LOG_RETENTION_DAYS = 30
    assert services.purge_connection_logs(now=timezone.now() + dt.timedelta(days=10)) == 0
    assert services.purge_connection_logs(now=timezone.now() + dt.timedelta(days=31)) == 1


def test_band_moves_on_as_birthdays_pass(make_user):
    user = make_user(AgeBand.YOUNG_TEEN)
    sixteenth = user.band_until
    assert services.advance_age_bands(today=sixteenth - dt.timedelta(days=1)) == 0
    assert services.advance_age_bands(today=sixteenth) == 1
    user.refresh_from_db()
    assert user.age_band == "16-17"
    assert user.band_until == services.add_years(sixteenth, 2)
    services.refresh_age_band(user=user, today=user.band_until)
    assert user.age_band == "18+" and user.band_until is None


def test_band_for_birthdays_on_29_february():
    band, until = services.age_band_for(dt.date(2012, 2, 29), dt.date(2026, 3, 1))
    assert band == AgeBand.YOUNG_TEEN and until == dt.date(2028, 2, 29)
    with pytest.raises(PhareError) as raised:
        services.age_band_for(dt.date(2014, 3, 2), dt.date(2026, 3, 1))
    assert raised.value.code == "age_below_minimum"


def test_grantrole_command(make_user):
    make_user(AgeBand.ADULT, "Mod")
    call_command("grantrole", "mod", "moderator")
    call_command("grantrole", "Mod", "operator")
    user = User.objects.get(pseudonym="Mod")
    assert user.roles == ["moderator", "operator"] and user.is_staff
    assert user.has_perm("chat.change_room")
