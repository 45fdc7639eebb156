"""X-Forwarded-For is believed only from PHARE_TRUSTED_PROXIES, over HTTP and WebSocket alike;
a malformed value is ignored, never a 500 (core/edge.py, docs/operations.md §2).

The HTTP and WebSocket tests drive the real ASGI application (config.asgi) with the TCP peer
in the scope, as uvicorn gives it with --no-proxy-headers; Django's test Client would skip the
ASGI edge altogether. tests/test_deployment.py checks that every server runs with that flag.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.test import Client

from accounts import throttling
from accounts.models import ConnectionLog, RateLimitRule
from core.edge import client_address, parse_ip, trusted_networks

PROXY = "198.51.100.7"       # the operator's reverse proxy
STRANGER = "192.0.2.44"      # a client connecting directly, spoofing the header
MALFORMED = ["not-an-ip", "", " , ", "203.0.113.9:443", "[2001:db8::1]:443", "fe80::1%eth0", "example.org",
             "203.0.113.9, garbage", "unknown", "1.2.3.4.5", "999.1.1.1", "\u00ff\u00fe", "-" * 3000]


# --- The rule itself --------------------------------------------------------------------------

@pytest.mark.parametrize("peer, header, trusted, expected", [
    # Nobody trusted (the default): the header is never read.
    ("192.0.2.44", "203.0.113.9", [], "192.0.2.44"),
    # A stranger is not a proxy: its header is its own invention.
    ("192.0.2.44", "203.0.113.9", ["198.51.100.7"], "192.0.2.44"),
    # The proxy's entry (the rightmost) is the client.
    ("198.51.100.7", "203.0.113.9", ["198.51.100.7"], "203.0.113.9"),
    # What the client wrote to the left is not believed past the first untrusted hop.
    ("198.51.100.7", "6.6.6.6, 203.0.113.9", ["198.51.100.7"], "203.0.113.9"),
    # Two trusted proxies in a row (a CDN in front of nginx).
    ("198.51.100.7", "203.0.113.9, 10.0.0.5", ["198.51.100.7", "10.0.0.0/8"], "203.0.113.9"),
    # Malformed entries end the walk at the last trusted hop, and are never used.
    ("198.51.100.7", "not-an-ip", ["198.51.100.7"], "198.51.100.7"),
    ("198.51.100.7", "203.0.113.9, not-an-ip", ["198.51.100.7"], "198.51.100.7"),
    ("198.51.100.7", "203.0.113.9:8080", ["198.51.100.7"], "198.51.100.7"),
    # IPv6, and an IPv4 peer seen on a dual-stack socket.
    ("2001:db8::7", "2001:db8:beef::1", ["2001:db8::/64"], "2001:db8:beef::1"),
    ("::ffff:198.51.100.7", "203.0.113.9", ["198.51.100.7"], "203.0.113.9"),
])
def test_the_client_is_the_rightmost_address_not_a_trusted_proxy(peer, header, trusted, expected):
    assert client_address(peer, [header], trusted_networks(tuple(trusted))) == expected


def test_odd_values_are_not_addresses():
    for value in MALFORMED:
        assert parse_ip(value) is None, value
    assert str(parse_ip(" 203.0.113.9 ")) == "203.0.113.9"


# --- Over HTTP, through the ASGI application -----------------------------------------------------

async def http(method: str, path: str, *, peer: str, headers: list[tuple[bytes, bytes]] = (),
               body: bytes = b"") -> dict:
    from config.asgi import application

    communicator = HttpCommunicator(application, method, path, body=body,
                                    headers=[(b"host", b"localhost"), *headers])
    communicator.scope["client"] = (peer, 51000)  # the TCP peer, as uvicorn sets it
    return await communicator.get_response(timeout=10)


async def sign_up(name: str, *, peer: str, forwarded_for: str | bytes | None) -> int:
    """A sign-up from `peer` (CSRF cookie first, as a browser does); returns the status."""
    extra = []
    if forwarded_for is not None:
        value = forwarded_for.encode("latin1") if isinstance(forwarded_for, str) else forwarded_for
        extra.append((b"x-forwarded-for", value))
    session = await http("GET", "/api/v1/session", peer=peer, headers=extra)
    assert session["status"] == 200
    cookie = next(v for k, v in session["headers"] if k == b"Set-Cookie" and v.startswith(b"csrftoken="))
    token = cookie.split(b";")[0].split(b"=", 1)[1]
    body = json.dumps({"pseudonym": name, "password": "correct horse battery", "birthdate": "1990-04-02"})
    response = await http("POST", "/api/v1/accounts/signup", peer=peer, body=body.encode(), headers=[
        *extra, (b"content-type", b"application/json"), (b"cookie", b"csrftoken=" + token), (b"x-csrftoken", token)])
    assert response["status"] < 500, response["body"][:500]
    return response["status"]


def _signup_ips() -> list[str | None]:
    return list(ConnectionLog.objects.filter(kind=ConnectionLog.Kind.SIGNUP).order_by("pk").values_list("ip", flat=True))


@pytest.fixture
def two_signups_per_ip(transactional_db):
    RateLimitRule.objects.update_or_create(name="signup_ip", defaults={"limit": 2, "period_seconds": 3600})
    throttling.bump_policy_version()
    throttling.reset_local_state()
    yield
    throttling.bump_policy_version()
    throttling.reset_local_state()


@pytest.mark.django_db(transaction=True)
async def test_a_spoofed_header_from_an_untrusted_peer_does_not_rotate_its_rate_limit(two_signups_per_ip, settings):
    settings.PHARE_TRUSTED_PROXIES = [PROXY]
    statuses = [await sign_up(f"spoofer{i}", peer=STRANGER, forwarded_for=f"203.0.113.{i}") for i in (1, 2, 3)]
    assert statuses == [201, 201, 429]
    # The connection records hold the address that actually connected.
    assert await sync_to_async(_signup_ips)() == [STRANGER, STRANGER]


@pytest.mark.django_db(transaction=True)
async def test_the_trusted_proxys_header_names_each_client(two_signups_per_ip, settings):
    settings.PHARE_TRUSTED_PROXIES = ["198.51.100.0/24"]
    statuses = [await sign_up(f"proxied{i}", peer=PROXY, forwarded_for=f"203.0.113.{i}") for i in (1, 2, 3)]
    # Three people behind one proxy: three addresses, none over its limit.
    assert statuses == [201, 201, 201]
    assert await sync_to_async(_signup_ips)() == ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    # The same person again is counted against their own address.
    assert [await sign_up(f"again{i}", peer=PROXY, forwarded_for="6.6.6.6, 203.0.113.1") for i in (1, 2)] == [201, 429]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trusted", [[], [PROXY]])
async def test_malformed_forwarded_for_is_ignored_never_a_500(settings, trusted):
    settings.PHARE_TRUSTED_PROXIES = trusted
    for i, value in enumerate(MALFORMED):
        assert await sign_up(f"odd{i}", peer=PROXY, forwarded_for=value) == 201, value
    assert await sign_up("oddbytes", peer=PROXY, forwarded_for=b"\xff\x00\x80") == 201
    # Each of them was recorded under the address that is known: the proxy's.
    assert set(await sync_to_async(_signup_ips)()) == {PROXY}


def _secure(response: dict) -> bool:
    # SecurityMiddleware sends HSTS only on a request it takes for HTTPS (request.is_secure()).
    return any(name.lower() == b"strict-transport-security" for name, _ in response["headers"])


@pytest.mark.django_db(transaction=True)
async def test_forwarded_proto_is_believed_from_the_trusted_proxy_only(settings):
    from django.conf import settings as live

    assert live.SECURE_PROXY_SSL_HEADER and live.SECURE_HSTS_SECONDS  # production settings
    settings.PHARE_TRUSTED_PROXIES = [PROXY]
    https = [(b"x-forwarded-proto", b"https")]
    # A stranger claiming HTTPS over plain HTTP is not believed...
    assert not _secure(await http("GET", "/api/v1/session", peer=STRANGER, headers=https))
    # ...the proxy that terminated TLS is, and only with a well-formed value.
    assert _secure(await http("GET", "/api/v1/session", peer=PROXY, headers=https))
    assert not _secure(await http("GET", "/api/v1/session", peer=PROXY, headers=[(b"x-forwarded-proto", b"gopher")]))
    assert not _secure(await http("GET", "/api/v1/session", peer=PROXY))


@pytest.mark.django_db
def test_nothing_past_the_edge_reads_x_forwarded_for(make_user):
    # Django's test Client skips the ASGI edge: REMOTE_ADDR is the address, whatever the header.
    client = Client(REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR="203.0.113.9")
    body = {"pseudonym": "clientonly", "password": "correct horse battery", "birthdate": "1990-04-02"}
    assert client.post("/api/v1/accounts/signup", body, content_type="application/json").status_code == 201
    assert _signup_ips() == [STRANGER]
    # An odd REMOTE_ADDR (a server that gives no address) is not stored and is not a 500.
    odd = Client(REMOTE_ADDR="unix:/run/phare.sock", HTTP_X_FORWARDED_FOR="not-an-ip")
    body["pseudonym"] = "clientodd"
    assert odd.post("/api/v1/accounts/signup", body, content_type="application/json").status_code < 500
    assert _signup_ips() == [STRANGER, None]


# --- Over WebSocket ---------------------------------------------------------------------------

async def open_socket(user, *, peer: str, forwarded_for: str | None) -> tuple[WebsocketCommunicator, bool]:
    from config.asgi import application
    from tests.conftest import session_cookie_for

    cookie = await sync_to_async(session_cookie_for)(user)
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", f"sessionid={cookie}".encode())]
    if forwarded_for is not None:
        headers.append((b"x-forwarded-for", forwarded_for.encode("latin1")))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    communicator.scope["client"] = (peer, 40000)  # read when the application starts, at connect
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def _refused_for_flooding(communicator: WebsocketCommunicator) -> bool:
    """The consumer accepts, sends `rate_limited` and closes when the address is over its limit."""
    frame = await communicator.receive_output(timeout=5)
    if frame["type"] == "websocket.send":
        frame = await communicator.receive_output(timeout=5)
    return frame["type"] == "websocket.close"


def _socket_ips() -> list[str | None]:
    return list(ConnectionLog.objects.filter(kind=ConnectionLog.Kind.WEBSOCKET).order_by("pk").values_list("ip", flat=True))


@pytest.mark.django_db(transaction=True)
async def test_websocket_records_the_decided_address(adult, settings):
    settings.PHARE_TRUSTED_PROXIES = [PROXY]
    opened = []
    for peer, header in [(PROXY, "203.0.113.50"), (STRANGER, "203.0.113.51"), (PROXY, "not-an-ip"),
                         (PROXY, "203.0.113.52, \u00ff"), (STRANGER, None)]:
        communicator, connected = await open_socket(adult, peer=peer, forwarded_for=header)
        assert connected, (peer, header)
        opened.append(communicator)
    for communicator in opened:
        await communicator.disconnect()
    assert await sync_to_async(_socket_ips)() == ["203.0.113.50", STRANGER, PROXY, PROXY, STRANGER]


@pytest.mark.django_db(transaction=True)
async def test_websocket_connection_limit_counts_the_decided_address(adult, settings):
    await sync_to_async(RateLimitRule.objects.update_or_create)(
        name="connect_ip", defaults={"limit": 2, "period_seconds": 60})
    await sync_to_async(throttling.bump_policy_version)()
    throttling.reset_local_state()
    settings.PHARE_TRUSTED_PROXIES = [PROXY]
    opened = []
    try:
        # A stranger rotating the header is still one address: the third attempt is refused.
        for i in (1, 2):
            communicator, connected = await open_socket(adult, peer=STRANGER, forwarded_for=f"203.0.113.{i}")
            assert connected
            opened.append(communicator)
        communicator, _ = await open_socket(adult, peer=STRANGER, forwarded_for="203.0.113.3")
        opened.append(communicator)
        assert await _refused_for_flooding(communicator)
        # Behind the proxy, three people are three addresses.
        for i in (4, 5, 6):
            communicator, connected = await open_socket(adult, peer=PROXY, forwarded_for=f"203.0.113.{i}")
            opened.append(communicator)
            assert connected and await communicator.receive_nothing(timeout=0.2)
    finally:
        for communicator in opened:
            await communicator.disconnect()
        await sync_to_async(throttling.bump_policy_version)()
        throttling.reset_local_state()


# --- A real server, started as the Dockerfile starts it --------------------------------------------

from tests.integration.conftest import (  # noqa: E402,F401  (fixtures re-exported)
    HttpUser,
    pg_database_url,
    redis_url,
    service_env,
    start_asgi_server,
)


@pytest.mark.integration
def test_a_real_server_believes_no_header_from_an_untrusted_localhost(service_env, tmp_path):
    """uvicorn with --no-proxy-headers, PHARE_TRUSTED_PROXIES unset: uvicorn's own default
    would have taken X-Forwarded-For from 127.0.0.1, which is where this test connects from."""
    import asyncio
    import urllib.request

    import psycopg
    import websockets

    server = start_asgi_server(service_env, tmp_path)
    try:
        for i, spoofed in enumerate(["203.0.113.77", "not-an-ip", "203.0.113.78, \u00ff"]):
            user = HttpUser(server.http)
            user.opener.open(server.http + "/api/v1/session").read()
            body = json.dumps({"pseudonym": f"realspoof{i}", "password": "tangerine-harbour-47-quietly",
                               "birthdate": "1990-04-02"}).encode()
            request = urllib.request.Request(server.http + "/api/v1/accounts/signup", data=body, method="POST", headers={
                "Content-Type": "application/json", "X-CSRFToken": user.cookie("csrftoken"),
                "X-Forwarded-For": spoofed})
            with user.opener.open(request) as response:
                assert response.status == 201

            async def socket() -> None:
                headers = {**user.ws_headers(), "X-Forwarded-For": spoofed}
                async with websockets.connect(server.ws, additional_headers=headers) as ws:
                    await ws.send(json.dumps({"type": "dm.list", "id": "1"}))
                    await asyncio.wait_for(ws.recv(), timeout=10)

            asyncio.run(socket())
    finally:
        server.stop()
    with psycopg.connect(service_env["DATABASE_URL"].replace("postgres://", "postgresql://")) as db:
        rows = db.execute("SELECT kind, host(ip) FROM accounts_connectionlog l JOIN accounts_user u ON u.id = l.user_id "
                          "WHERE u.pseudonym LIKE 'realspoof%' ORDER BY l.id").fetchall()
    assert sorted(kind for kind, _ in rows) == ["signup"] * 3 + ["websocket"] * 3
    assert {ip for _, ip in rows} == {"127.0.0.1"}
