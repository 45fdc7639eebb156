"""The WebSocket Origin must match an allowed origin in scheme, host and port (core/edge.py,
docs/operations.md §2): CSRF_TRUSTED_ORIGINS, https://<ALLOWED_HOSTS> on 443, or the socket's
own origin (an ALLOWED_HOSTS name, the connection's scheme, the Host header's port)."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "198.51.100.7"


async def handshake(origin: str | list[str] | None, *, host: str = "localhost", scheme: str | None = None,
                    peer: str | None = None, extra: list[tuple[bytes, bytes]] = ()) -> bool:
    """True when the handshake gets past the Origin check (the consumer then accepts: it
    closes a visitor's socket itself, with its own code, after accepting)."""
    from config.asgi import application

    origins = [origin] if isinstance(origin, str) else (origin or [])
    headers = [(b"host", host.encode()), *[(b"origin", o.encode("latin1")) for o in origins], *extra]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    if scheme is not None:
        communicator.scope["scheme"] = scheme
    if peer is not None:
        communicator.scope["client"] = (peer, 40000)
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


@pytest.fixture(autouse=True)
def site(settings):
    # The autouse fixture of tests/conftest.py already serves plain HTTP (no SSL redirect).
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.org:8443"]


async def test_the_right_origin_is_accepted():
    assert await handshake("http://localhost")            # the page this ws:// server served
    assert await handshake("HTTP://LocalHost:80")          # default port and case normalised
    assert await handshake("https://localhost")           # https://<ALLOWED_HOSTS> on 443
    assert await handshake("https://localhost:443")
    assert await handshake("https://chat.example.org:8443")  # CSRF_TRUSTED_ORIGINS, exactly


async def test_the_right_host_with_the_wrong_scheme_is_refused():
    assert not await handshake("https://localhost:80")      # the page was http on port 80
    assert not await handshake("http://localhost", scheme="wss")  # a wss socket's page is https
    assert not await handshake("http://chat.example.org:8443")
    assert not await handshake("ws://localhost")
    assert not await handshake("ftp://localhost")


async def test_the_right_host_on_the_wrong_port_is_refused():
    assert not await handshake("http://localhost:8080")
    assert not await handshake("https://localhost:8443")
    assert not await handshake("https://chat.example.org")   # listed with :8443 only
    # The socket's own port comes from its Host header.
    assert await handshake("http://localhost:8000", host="localhost:8000")
    assert not await handshake("http://localhost", host="localhost:8000")


async def test_foreign_and_malformed_origins_are_refused_never_an_error():
    for origin in ["https://evil.example", "http://localhost.evil.example", "https://evil.example/localhost",
                   "http://evil.example:80@localhost", "null", "", "http://localhost/", "http://localhost:99999",
                   "http://localhost:abc", "http://localhost:", "http://[::1", "http://local host", "\u00ff",
                   "http://" + "a" * 5000]:
        assert not await handshake(origin), origin
    assert not await handshake(None)
    assert not await handshake(["http://localhost", "http://localhost"])  # one Origin, not two
    assert not await handshake("http://localhost", host="evil.example")    # not one of our names


async def test_plain_http_is_not_our_origin_when_every_page_is_served_over_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    assert not await handshake("http://localhost")
    assert await handshake("https://localhost")


async def test_a_wildcard_host_is_never_an_origin(settings):
    settings.ALLOWED_HOSTS = ["*"]
    assert not await handshake("https://evil.example", host="evil.example")
    assert not await handshake("http://evil.example", host="evil.example")


async def test_subdomain_patterns_follow_django(settings):
    settings.ALLOWED_HOSTS = [".example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.net"]
    assert await handshake("https://chat.example.org", host="chat.example.org")
    assert await handshake("https://eu.example.net", host="chat.example.org")
    assert not await handshake("https://example.org.evil.example", host="chat.example.org")
    assert not await handshake("http://eu.example.net", host="chat.example.org")


async def test_behind_a_trusted_tls_proxy_the_connection_scheme_is_https(settings):
    settings.PHARE_TRUSTED_PROXIES = [PROXY]
    https = [(b"x-forwarded-proto", b"https")]
    # Served as https://localhost:8443 by the proxy: that page, and not its http twin.
    assert await handshake("https://localhost:8443", host="localhost:8443", peer=PROXY, extra=https)
    assert not await handshake("http://localhost:8443", host="localhost:8443", peer=PROXY, extra=https)
    # A client claiming the header itself is not believed: its connection is plain ws.
    assert not await handshake("https://localhost:8443", host="localhost:8443", peer="192.0.2.44", extra=https)
