"""Property-based fuzzing of the HTTP API: every route (from the URL resolver), every method,
bodies that are invalid JSON, invalid UTF-8, wrong types, huge or deeply nested values, and
garbage path parameters. The answer is always an error or a success, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from tests.security.routes import all_routes

pytestmark = pytest.mark.django_db

any_text = st.text(st.characters(codec=None), max_size=30)
json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
             | st.floats(allow_nan=False, allow_infinity=False) | any_text)
json_value = st.recursive(json_leaf, lambda c: st.lists(c, max_size=4) | st.dictionaries(any_text, c, max_size=4),
                          max_leaves=12)
FIELDS = ["pseudonym", "password", "birthdate", "dm_policy", "target", "category", "details", "good_faith",
          "notice", "reason", "name", "description", "audience", "action", "reason_code", "note",
          "duration_seconds", "outcome", "cases", "user", "token", "nonce", "bank", "language", "next"]
tricky = st.sampled_from(["²", "-1", "0", "1e9", "9" * 40, "", " ", "\x00", "\ud800", "1990-02-30", "0000-00-00",
                          "9999-12-31", "adults", "minors", "ban", "dismiss", "child_safety", "anyone_in_band"])
field_value = st.one_of(json_value, tricky, st.dictionaries(st.sampled_from(["message", "user", "room"]),
                                                            json_value | tricky, max_size=2))
objects = st.fixed_dictionaries({}, optional={name: field_value for name in FIELDS})
bodies = st.one_of(
    objects.map(lambda d: json.dumps(d, ensure_ascii=True).encode()),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.sampled_from([b"[" * 100_000, b'{"a":' * 100_000, b"\xff\xfe\xfd", b'{"pseudonym": "\xc3\x28"}',
                     b"{" + b'"a":1,' * 20_000 + b'"b":2}', b'{"details": "' + b"x" * 70_000 + b'"}',
                     b"null", b"", b"NaN", b'{"target": {"message": "\\u0000"}}',
                     b'{"target": {"user": ' + b"9" * 5000 + b'}}',
                     b'{"target": {"user": "' + b"9" * 5000 + b'"}, "category": "spam", "good_faith": true}',
                     b'{"target": {"message": "' + b"9" * 5000 + b'"}, "category": "spam", "good_faith": true}',
                     b'{"notice": "' + b"9" * 5000 + b'", "reason": "x"}',
                     b'{"user": "' + b"9" * 5000 + b'"}']),
)
path_values = st.one_of(st.sampled_from(["1", "0", "²", "abc", "9" * 30, "-1", "%00", "%ff", "..", "1;2", "%E2%80%AE"]),
                        st.from_regex(r"[A-Za-z0-9_%.-]{1,40}", fullmatch=True))
methods = st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"])
content_types = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/json; charset=latin-1"])


@pytest.fixture
def fuzz_clients(make_user, generous_limits, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from chat import services as chat_services

    chat_services.create_room(slug="cafe", name="Café", audience="adults")
    adult = make_user(pseudonym="fuzz_http")
    moderator = make_user(pseudonym="fuzz_mod", is_moderator=True)
    clients = {"visitor": Client()}
    for name, user in (("adult", adult), ("moderator", moderator)):
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients


def test_no_body_path_or_method_makes_a_server_error(fuzz_clients):
    routes = [r for r in all_routes() if r.key not in {"api/v1/me"}]  # DELETE /me would end the session
    assert len(routes) > 10
    seen: set[int] = set()

    @hsettings(max_examples=500, deadline=None, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(route=st.sampled_from(routes), method=methods, body=bodies, values=st.data(),
           who=st.sampled_from(sorted(fuzz_clients)), content_type=content_types)
    def check(route, method, body, values, who, content_type):
        path = route.path(**{name: values.draw(path_values, label=name) for name in route.parameters})
        client = fuzz_clients[who]
        if who != "visitor":  # a fuzzed log-out or sign-up may have changed the session
            client.force_login(_user_of(who))
        response = client.generic(method, path, data=body, content_type=content_type)
        seen.add(response.status_code)
        assert response.status_code < 500 or response.status_code == 503 and route.key == "readyz", (
            who, method, path, body[:200], response.status_code, response.content[:300])
        if path.startswith("/api/") and response.status_code >= 400 and method != "HEAD":
            assert response["Content-Type"].startswith("application/json"), (path, response.status_code)
            assert "error" in response.json()

    _users = {}

    def _user_of(who):
        from accounts.models import User

        if who not in _users:
            _users[who] = User.objects.get(pseudonym={"adult": "fuzz_http", "moderator": "fuzz_mod"}[who])
        return _users[who]

    check()
    assert {200, 400} <= seen or {201, 400} <= seen, seen


HUGE_DECIMAL = "9" * 5000  # int() refuses more than 4300 digits: a ValueError if unguarded


@pytest.mark.parametrize("path,body", [
    ("/api/v1/reports", {"target": {"user": HUGE_DECIMAL}, "category": "spam", "good_faith": True}),
    ("/api/v1/reports", {"target": {"message": HUGE_DECIMAL}, "category": "spam", "good_faith": True}),
    ("/api/v1/reports", {"target": {"message": "²"}, "category": "spam", "good_faith": True}),
    ("/api/v1/appeals", {"notice": HUGE_DECIMAL, "reason": "x"}),
    ("/api/v1/me/blocks", {"user": HUGE_DECIMAL}),
    ("/api/v1/me/mutes", {"user": HUGE_DECIMAL}),
    ("/api/v1/moderation/cases/bulk", {"cases": [HUGE_DECIMAL], "action": "dismiss", "reason_code": "x"}),
    ("/api/v1/moderation/cases/" + HUGE_DECIMAL + "/claim", {}),
    ("/api/v1/moderation/appeals/" + HUGE_DECIMAL + "/decide", {"outcome": "upheld"}),
    ("/api/v1/reports/" + HUGE_DECIMAL, None),
    ("/api/v1/uploads/" + HUGE_DECIMAL, None),
])
def test_huge_decimal_ids_are_refused_not_crashed(fuzz_clients, path, body):
    client = fuzz_clients["moderator"]
    if body is None:
        response = client.get(path)
    else:
        response = client.post(path, json.dumps(body), content_type="application/json")
    if path.endswith("/bulk") and response.status_code == 200:
        assert response.json()["decided"] == []  # bulk answers item by item
        return
    assert response.status_code in {400, 403, 404, 409, 413}, (response.status_code, response.content[:300])
    assert "error" in response.json()
