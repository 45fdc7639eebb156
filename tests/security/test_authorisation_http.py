"""The HTTP authorisation matrix: every route (read from the URL resolver) tried as a visitor,
a minor, an adult, a muted user, a suspended user, a moderator and an operator, with other
people's ids and with garbage ids. What is not allowed answers 401, 403 or 404 and leaks
nothing; nothing ever answers 500.

Adding an endpoint without an entry here fails `test_every_route_has_a_matrix_entry`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from accounts.age_assurance.testing import make_issuer_keypair
from tests.security.routes import all_routes
from tests.security.world import ROLES, SIGNED_IN, World, build_world

pytestmark = pytest.mark.django_db

DENIED = {401, 403, 404}
ALL = frozenset(ROLES)
EVERYONE_BUT_MODERATORS = ALL - {"moderator"}
# Ids that exist nowhere or cannot be ids at all: never a success, never a 500.
GARBAGE_IDS = ["999999999", "0", "-1", "abc", "²", "1 OR 1=1", "9" * 30, "%00", "..%2F..%2Fetc"]


@dataclass(frozen=True)
class Entry:
    """How one route must answer. `deny`: roles refused whatever the ids. `foreign`: for a
    route with a parameter, which world id (someone else's thing) to try, and `may_see_foreign`
    the roles allowed to reach it (everyone else must be refused)."""

    methods: tuple[str, ...]
    deny: frozenset[str] = frozenset()
    foreign: dict[str, str] = field(default_factory=dict)
    may_see_foreign: frozenset[str] = frozenset()
    body: dict | None = None
    ok_statuses: frozenset[int] = frozenset()  # for allowed roles, when not any status < 500
    only_as: frozenset[str] | None = None  # destructive: try only as these roles
    # An HTML page for signed-in people sends a visitor to sign in (302 to the chat page, which
    # comes back here) instead of refusing: never the page itself.
    visitor_signs_in: bool = False


VISITOR = frozenset({"visitor"})
MODERATORS_ONLY = EVERYONE_BUT_MODERATORS

MATRIX: dict[str, Entry] = {
    # Public: anyone, signed in or not.
    "": Entry(("GET",)),
    "api/v1/session": Entry(("GET",)),
    "api/v1/accounts/signup": Entry(("POST",), body={"pseudonym": "newcomer_x", "password": "correct horse battery",
                                                      "birthdate": "1990-01-01"}),
    "api/v1/accounts/login": Entry(("POST",), body={"pseudonym": "zq_otter_ann", "password": "wrong password!"}),
    "api/v1/accounts/logout": Entry(("POST",)),
    "healthz": Entry(("GET",)),
    "readyz": Entry(("GET",)),
    # Off unless the operator set PHARE_METRICS_TOKEN (none here), then for that token only.
    "metrics": Entry(("GET",), deny=ALL),
    "safety/": Entry(("GET",)),
    "terms/": Entry(("GET",)),
    "terms/simple/": Entry(("GET",)),
    "api/v1/terms": Entry(("GET",)),
    "i18n/setlang/": Entry(("POST",)),
    "jsi18n/": Entry(("GET",)),
    # Reports: visitors see nothing, so they may report nothing (401); a report is readable by
    # its reporter only.
    "api/v1/reports": Entry(("POST",), body={"target": {"user": "{adult_user}"}, "category": "spam",
                                            "details": "x", "good_faith": True}),
    "api/v1/reports/{report_id}": Entry(("GET",), foreign={"report_id": "report"}),
    # Signed-in users only.
    "api/v1/me": Entry(("GET",), deny=VISITOR),
    "api/v1/me/settings": Entry(("PATCH",), deny=VISITOR, body={"dm_policy": "shared_rooms"}),
    "api/v1/me/blocks": Entry(("GET", "POST"), deny=VISITOR, body={"user": "{adult_user}"}),
    "api/v1/me/blocks/{user_id}": Entry(("DELETE",), deny=VISITOR, foreign={"user_id": "adult_user"},
                                        may_see_foreign=SIGNED_IN),
    "api/v1/me/mutes": Entry(("GET", "POST"), deny=VISITOR, body={"user": "{adult_user}"}),
    "api/v1/me/mutes/{user_id}": Entry(("DELETE",), deny=VISITOR, foreign={"user_id": "adult_user"},
                                       may_see_foreign=SIGNED_IN),
    "api/v1/me/export": Entry(("GET",), deny=VISITOR),
    # One's own strikes (docs/protocol.md): there is no way to name anyone else's.
    "api/v1/me/strikes": Entry(("GET",), deny=VISITOR),
    # Trusted connections across age bands: each person's own; anyone else's is not found.
    "api/v1/me/trusted": Entry(("GET", "POST"), deny=VISITOR, body={"user": "{adult_user}"}),
    "api/v1/me/trusted/{connection_id}": Entry(("DELETE",), deny=VISITOR,
                                               foreign={"connection_id": "trusted_connection"}),
    "api/v1/me/trusted/{connection_id}/accept": Entry(("POST",), deny=VISITOR,
                                                      foreign={"connection_id": "trusted_connection"}),
    "api/v1/age-assurance/nonce": Entry(("POST",), deny=VISITOR),
    # OpenID4VP (docs/age-assurance.md): the browser asks for a wallet request and polls its
    # transaction, which belongs to the session that made it (anyone else: not found). Like
    # every API route not marked while_suspended, refused to a suspended account.
    "api/v1/age-assurance/openid4vp/requests": Entry(("POST",), deny=VISITOR | {"suspended"}, body={},
                                                     ok_statuses=frozenset({201})),
    "api/v1/age-assurance/openid4vp/requests/{transaction}": Entry(
        ("GET",), deny=VISITOR | {"suspended"}, foreign={"transaction": "openid4vp_transaction"}),
    # The wallet's direct_post: the wallet has no session, so anyone may post; `state` (the
    # transaction) and the nonce bind the answer. A state nobody issued is not found.
    "api/v1/age-assurance/openid4vp/response": Entry(("POST",), body={"state": "A" * 43, "vp_token": "{}"}),
    "api/v1/age-assurance/{provider}": Entry(("POST",), deny=VISITOR, foreign={"provider": "provider"},
                                             may_see_foreign=SIGNED_IN, body={"token": "x"}),
    "api/v1/rooms": Entry(("GET",), deny=VISITOR),
    "api/v1/rooms/proposals": Entry(("POST",), deny=VISITOR, body={"name": "Jardinage", "description": "",
                                                                 "audience": "adults"}),
    "api/v1/notices": Entry(("GET",), deny=VISITOR),
    "api/v1/appeals": Entry(("POST",), deny=VISITOR, body={"notice": "{notice}", "reason": "I disagree"}),
    # Images: only the uploader (and the people of its room, once cleared) see one.
    "api/v1/uploads": Entry(("POST",), deny=VISITOR),
    "api/v1/uploads/{upload_id}": Entry(("GET",), deny=VISITOR, foreign={"upload_id": "upload"}),
    "api/v1/uploads/{upload_id}/image": Entry(("GET",), deny=VISITOR, foreign={"upload_id": "upload"}),
    # Moderators only: the moderation API does not exist for anyone else (404).
    "api/v1/moderation/uploads/{upload_id}/image": Entry(("GET",), deny=MODERATORS_ONLY,
                                                        foreign={"upload_id": "upload"},
                                                        may_see_foreign=frozenset({"moderator"})),
    # Hash banks: moderators and operators (moderation/hashbanks.py).
    "api/v1/moderation/uploads/{upload_id}/bank": Entry(("POST",), deny=ALL - {"moderator", "operator"},
                                                       foreign={"upload_id": "upload"},
                                                       may_see_foreign=frozenset({"moderator", "operator"}),
                                                       body={}),
    "api/v1/moderation/cases": Entry(("GET",), deny=MODERATORS_ONLY),
    "api/v1/moderation/cases/bulk": Entry(("POST",), deny=MODERATORS_ONLY,
                                          body={"cases": ["{case}"], "action": "dismiss", "reason_code": "no_violation"}),
    "api/v1/moderation/cases/{case_id}": Entry(("GET",), deny=MODERATORS_ONLY, foreign={"case_id": "case"},
                                               may_see_foreign=frozenset({"moderator"})),
    "api/v1/moderation/cases/{case_id}/claim": Entry(("POST",), deny=MODERATORS_ONLY, foreign={"case_id": "case"},
                                                     may_see_foreign=frozenset({"moderator"})),
    "api/v1/moderation/cases/{case_id}/release": Entry(("POST",), deny=MODERATORS_ONLY,
                                                       foreign={"case_id": "case"},
                                                       may_see_foreign=frozenset({"moderator"})),
    "api/v1/moderation/cases/{case_id}/decide": Entry(("POST",), deny=MODERATORS_ONLY, foreign={"case_id": "case"},
                                                      may_see_foreign=frozenset({"moderator"}),
                                                      body={"action": "ban", "reason_code": "harassment",
                                                            "note": "x"}),
    "api/v1/moderation/appeals": Entry(("GET",), deny=MODERATORS_ONLY),
    "api/v1/moderation/appeals/{appeal_id}/decide": Entry(("POST",), deny=MODERATORS_ONLY,
                                                          foreign={"appeal_id": "appeal"},
                                                          may_see_foreign=frozenset({"moderator"}),
                                                          body={"outcome": "upheld", "note": "x"}),
    # The moderator console (HTML).
    "moderation/": Entry(("GET",), deny=MODERATORS_ONLY),
    "moderation/overview/": Entry(("GET",), deny=MODERATORS_ONLY, ok_statuses=frozenset({200})),
    "moderation/cases/{case_id}/": Entry(("GET",), deny=MODERATORS_ONLY, foreign={"case_id": "case"},
                                        may_see_foreign=frozenset({"moderator"})),
    "moderation/transparency/": Entry(("GET",), deny=ALL - {"moderator", "operator"}),
    "moderation/rooms/": Entry(("GET",), deny=MODERATORS_ONLY),
    "moderation/rooms/{slug}/lift/": Entry(("POST",), deny=MODERATORS_ONLY),
    # The account page (download my data, log out, delete): each signed-in person's own, the
    # suspended included (their data and the deletion stay theirs).
    "account/": Entry(("GET",), visitor_signs_in=True, ok_statuses=frozenset({200})),
}
# Probed only as a visitor: as anyone else it would delete the account under test.
DESTRUCTIVE = {("api/v1/me", "DELETE"): VISITOR}


@pytest.fixture
def world(make_user, generous_limits, settings, tmp_path) -> World:
    # Nine accounts per test: a fast hasher keeps the matrix quick (hashing is not under test).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world(make_user)
    _add_wallet_transaction(world, settings, tmp_path)
    return world


def _add_wallet_transaction(world: World, settings, tmp_path) -> None:
    """A trusted wallet issuer, so that the OpenID4VP routes are served (without one the
    provider is off and every answer is the same 404), and a pending transaction of someone
    else's session."""
    _key, public_jwk = make_issuer_keypair("ES256", kid="matrix-1")
    trust_list = tmp_path / "trust-list.json"
    trust_list.write_text(json.dumps({"issuers": [{"issuer": "https://av-issuer.example", "name": "Test AV",
                                                   "vcts": ["urn:example:age-attestation:1"],
                                                   "keys": [public_jwk]}]}))
    settings.PHARE_OPENID4VP_TRUST_LIST = str(trust_list)
    owner = Client()
    owner.force_login(world.other_adult)
    response = call(owner, "POST", "/api/v1/age-assurance/openid4vp/requests", {})
    assert response.status_code == 201, response.content
    world.ids["openid4vp_transaction"] = response.json()["transaction"]


def client_for(world: World, role: str) -> Client:
    client = Client()
    if role != "visitor":
        # From the database: the matrix's own log-out (api/v1/accounts/logout) ended every
        # session of the account by raising its session epoch, and a session made from the
        # stale object would be dropped at once, trying every later route as a visitor.
        user = world.users[role]
        user.refresh_from_db()
        client.force_login(user)
    return client


def fill(value, world: World):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return world.ids.get(value[1:-1], "999999999")
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    return value


def call(client: Client, method: str, path: str, body: dict | None):
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, path, data=data, content_type="application/json")


def assert_refused_without_leak(response, world: World, what: str) -> None:
    assert response.status_code in DENIED, f"{what}: {response.status_code} {response.content[:300]!r}"
    text = response.content.decode("utf-8", "replace")
    for secret in world.secrets():
        assert secret not in text, f"{what} leaked {secret!r}"
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        assert set(body) == {"error"}, f"{what}: a refusal carries only an error: {body}"


def assert_sent_to_sign_in(response, world: World, what: str) -> None:
    assert response.status_code == 302, f"{what}: {response.status_code} {response.content[:300]!r}"
    location = response["Location"]
    assert location.startswith("/?") and "next=" in location, f"{what}: sent to {location}"
    text = response.content.decode("utf-8", "replace")
    for secret in world.secrets():
        assert secret not in text, f"{what} leaked {secret!r}"


def assert_no_server_error(response, what: str) -> None:
    assert response.status_code < 500 or response.status_code == 503, (
        f"{what}: {response.status_code} {response.content[:500]!r}")
    # (/readyz answers 503 with its checks when a dependency is down: not an error body.)
    if 400 <= response.status_code < 500 and response.get("Content-Type", "").startswith("application/json"):
        assert "error" in response.json(), what


def test_every_route_has_a_matrix_entry():
    keys = {route.key for route in all_routes()}
    missing = sorted(keys - MATRIX.keys())
    assert missing == [], f"routes without an authorisation entry in {__name__}: {missing}"
    # (An entry for a route not served yet is harmless: endpoints land one engineer at a time.)


def _ids_for(entry: Entry, route, world: World) -> list[tuple[dict[str, str], bool]]:
    """(path values, foreign?) to try: someone else's real id when there is one, then garbage."""
    if not route.parameters:
        return [({}, False)]
    if route.parameters == ["provider"]:
        return [({"provider": "declared"}, True), ({"provider": "no-such-provider"}, False)]
    tries = []
    foreign = {name: world.ids.get(kind) for name, kind in entry.foreign.items()}
    if foreign and all(foreign.values()):
        tries.append((foreign, True))
    for garbage in GARBAGE_IDS:
        tries.append(({name: garbage for name in route.parameters}, False))
    return tries


@pytest.mark.parametrize("role", ROLES)
def test_http_matrix(world, role):
    routes = {route.key: route for route in all_routes()}
    checked = 0
    for key, route in sorted(routes.items()):
        entry = MATRIX.get(key)
        if entry is None:
            continue  # reported by test_every_route_has_a_matrix_entry
        methods = [m for m in entry.methods] + [m for (k, m), roles in DESTRUCTIVE.items() if k == key and role in roles]
        for method in methods:
            for values, foreign in _ids_for(entry, route, world):
                path = route.path(**values)
                what = f"{role} {method} /{route.route} as {path}"
                response = call(client_for(world, role), method, path, fill(entry.body, world))
                checked += 1
                if role in entry.deny:
                    assert_refused_without_leak(response, world, what)
                elif role == "visitor" and entry.visitor_signs_in:
                    assert_sent_to_sign_in(response, world, what)
                elif route.parameters and foreign and role not in entry.may_see_foreign:
                    assert_refused_without_leak(response, world, what + " (someone else's)")
                elif route.parameters and not foreign and route.parameters != ["provider"]:
                    # Garbage never succeeds, and fails as "not found" or "bad request".
                    assert response.status_code in DENIED | {400, 405, 409}, (
                        f"{what}: {response.status_code} {response.content[:300]!r}")
                else:
                    assert_no_server_error(response, what)
                    if entry.ok_statuses:
                        assert response.status_code in entry.ok_statuses, (
                            f"{what}: {response.status_code} {response.content[:300]!r}")
        # A method the route does not take is refused, never a crash.
        response = call(client_for(world, role), "PUT", route.path(**{p: "1" for p in route.parameters}), {})
        assert_no_server_error(response, f"{role} PUT /{route.route}")
        if role in entry.deny and response.status_code != 405:
            # 405 says only that the route exists, which its open source says too.
            assert_refused_without_leak(response, world, f"{role} PUT /{route.route}")
    assert checked > len(routes)


def test_room_lists_show_only_your_own_audience(world):
    minor_rooms = client_for(world, "minor").get("/api/v1/rooms").json()["rooms"]
    adult_rooms = client_for(world, "adult").get("/api/v1/rooms").json()["rooms"]
    assert world.minors_room.slug in {r["slug"] for r in minor_rooms}
    assert world.adults_room.slug not in {r["slug"] for r in minor_rooms}
    assert world.adults_room.slug in {r["slug"] for r in adult_rooms}
    assert world.minors_room.slug not in {r["slug"] for r in adult_rooms}
    assert all(r["audience"] == "minors" for r in minor_rooms)
    assert all(r["audience"] == "adults" for r in adult_rooms)


@pytest.mark.parametrize("role", sorted(SIGNED_IN))
def test_own_data_answers_carry_nobody_elses_secrets(world, role):
    client = client_for(world, role)
    for path in ["/api/v1/me", "/api/v1/notices", "/api/v1/me/export", "/api/v1/rooms", "/api/v1/me/blocks",
                 "/api/v1/me/mutes", "/api/v1/me/strikes"]:
        response = client.get(path)
        text = response.content.decode("utf-8", "replace")
        for secret in world.secrets():
            if secret == "zq_otter_ann" and path == "/api/v1/rooms":
                continue
            assert secret not in text, f"{role} GET {path} leaked {secret!r}"


def test_own_user_record_shows_no_one_else(world):
    body = client_for(world, "adult").get("/api/v1/me").json()
    assert body["user"]["pseudonym"] == "kestrel_ad"


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_operators_only(world, role):
    client = client_for(world, role)
    # Messages have no admin page (tests/security/test_admin_write_paths.py).
    for path in ["/admin/", "/admin/accounts/user/", "/admin/chat/room/", "/admin/moderation/case/"]:
        response = client.get(path)
        if role == "operator":
            assert response.status_code == 200, (path, response.status_code)
        else:
            assert response.status_code in {302} | DENIED, (role, path, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/login/"), response["Location"]
            assert "zqsecret" not in response.content.decode("utf-8", "replace")


def test_connection_records_are_not_for_operators(world):
    """IPs are read by the legal role only (docs/decisions.md), not by every operator."""
    response = client_for(world, "operator").get("/admin/accounts/connectionlog/")
    assert response.status_code in {302, 403, 404}, response.status_code
