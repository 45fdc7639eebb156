"""The edge of the ASGI application, for HTTP and WebSocket alike: who the client is, and which
pages may open a socket.

Client address (`ProxyHeadersMiddleware`, outermost in config.asgi): the one place that
decides it. uvicorn runs with `--no-proxy-headers` everywhere (Dockerfile, compose, README,
Makefile, the tests' servers), so the scope's `client` is the TCP peer when it arrives here.
`X-Forwarded-For` and `X-Forwarded-Proto` are believed only when that peer is one of
PHARE_TRUSTED_PROXIES (IP addresses or networks; empty: nobody). The address is then found by
walking `X-Forwarded-For` from the right past trusted proxies; an entry that is not a bare IP
address ends the walk (the last trusted hop is kept), so a malformed value is never used and
never fails a request. From any other peer both headers are removed from the scope, so nothing
further in (Django's SECURE_PROXY_SSL_HEADER included) can read a value a client made up.
What comes out is `scope["client"]`, which Django gives as REMOTE_ADDR and the chat consumer
reads: rate limits, the connection records and the exemptions all see the same address.

WebSocket Origin (`OriginValidator`): scheme, host and port must match exactly (default
ports normalised) one of:
- an entry of CSRF_TRUSTED_ORIGINS (`*.` subdomain entries as Django's CSRF check reads them);
- `https://<host>` on port 443 for each ALLOWED_HOSTS entry (`.example.org` covers its
  subdomains; `*` is never taken as an origin);
- the socket's own origin: an ALLOWED_HOSTS name on the scheme the connection uses (ws → http,
  wss → https, the latter from a trusted proxy's X-Forwarded-Proto) and the port of its Host
  header. Plain http is only this server's origin when it serves pages over http, that is when
  SECURE_SSL_REDIRECT is off (DEBUG, local trials, the tests' servers).
Settings are read on each request and handshake, never at import.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any, Iterable

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http.request import split_domain_port
from django.utils.http import is_same_domain

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_FORWARDED_FOR = b"x-forwarded-for"
_FORWARDED_PROTO = b"x-forwarded-proto"
_DEFAULT_PORTS = {"http": 80, "https": 443}


# --- Client address ---------------------------------------------------------------------------

def parse_ip(value: str) -> IPAddress | None:
    """A bare IPv4 or IPv6 address, or None for anything else (ports, names, zone ids, junk).
    IPv4-mapped IPv6 addresses (a dual-stack socket's view of an IPv4 peer) become IPv4."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:  # "fe80::1%eth0": PostgreSQL's inet cannot store it
            return None
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """PHARE_TRUSTED_PROXIES parsed. Refuses what is not an address or network, and "*" or a
    /0 (which would let any client choose its own address)."""
    networks = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"PHARE_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                "(list the reverse proxy's own addresses; '*' is not accepted)"
            ) from exc
        if network.prefixlen == 0:
            raise ImproperlyConfigured(f"PHARE_TRUSTED_PROXIES: {entry!r} would trust every address")
        networks.append(network)
    return tuple(networks)


def _is_trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def client_address(peer: str | None, forwarded_for: list[str], networks: tuple[IPNetwork, ...]) -> str | None:
    """The client's address: `peer` unless it is a trusted proxy, then the rightmost entry of
    `forwarded_for` (header values in order) that is not a trusted proxy. A malformed entry
    stops the walk at the last trusted hop. None when the peer itself is not an address."""
    current = parse_ip(peer) if peer else None
    if current is None:
        return None
    entries = [entry for value in forwarded_for for entry in value.split(",")]
    for entry in reversed(entries):
        if not _is_trusted(current, networks):
            break
        hop = parse_ip(entry)
        if hop is None:
            break
        current = hop
    return str(current)


class ProxyHeadersMiddleware:
    """Outermost ASGI middleware: sets `scope["client"]` (and the scheme behind a trusted
    TLS proxy) by the rule in this module's docstring."""

    def __init__(self, application) -> None:
        self.application = application
        # Fail at start-up, not on the first request, on a malformed PHARE_TRUSTED_PROXIES.
        trusted_networks(tuple(settings.PHARE_TRUSTED_PROXIES))

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = resolve_scope(scope, trusted_networks(tuple(settings.PHARE_TRUSTED_PROXIES)))
        return await self.application(scope, receive, send)


def resolve_scope(scope: dict[str, Any], networks: tuple[IPNetwork, ...]) -> dict[str, Any]:
    """A copy of `scope` with the decided client. X-Forwarded-For is always removed (the
    address is in `client` now); X-Forwarded-Proto stays only as a trusted proxy's single
    well-formed value, which Django's SECURE_PROXY_SSL_HEADER then reads."""
    headers = scope.get("headers") or []
    forwarded_for = [value.decode("latin1") for name, value in headers if name == _FORWARDED_FOR]
    forwarded_proto = [value.decode("latin1") for name, value in headers if name == _FORWARDED_PROTO]
    kept = [(name, value) for name, value in headers if name not in (_FORWARDED_FOR, _FORWARDED_PROTO)]
    peer = (scope.get("client") or (None, None))[0]
    peer_ip = parse_ip(peer) if isinstance(peer, str) else None
    resolved = dict(scope, headers=kept)
    if peer_ip is None:
        # Not an address (a Unix socket, a test scope without one): nobody to trust, and
        # nothing odd is passed on to the rate limits or the connection records.
        resolved["client"] = None
        return resolved
    if not _is_trusted(peer_ip, networks):
        resolved["client"] = (str(peer_ip), scope["client"][1])
        return resolved
    address = client_address(str(peer_ip), forwarded_for, networks)
    resolved["client"] = (address, 0) if address != str(peer_ip) else (address, scope["client"][1])
    # The scheme the proxy received: its own entry is the rightmost one.
    proto = ",".join(forwarded_proto).rsplit(",", 1)[-1].strip().lower() if forwarded_proto else ""
    if proto in ("http", "https"):
        kept.append((_FORWARDED_PROTO, proto.encode("latin1")))
        if scope["type"] == "websocket":
            resolved["scheme"] = "wss" if proto == "https" else "ws"
        else:
            resolved["scheme"] = proto
    return resolved


# --- WebSocket Origin -------------------------------------------------------------------------

_ORIGIN_RE = re.compile(r"(https?)://([^/?#@\s]+)")


def _endpoint(scheme: str, netloc: str, *, wildcard: bool = False) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in, or None if malformed. With
    `wildcard`, a leading `*.` becomes Django's `.example.org` subdomain pattern."""
    if wildcard and netloc.startswith("*."):
        netloc = netloc[1:]
    domain, port = split_domain_port(netloc)
    if not domain or (domain.startswith(".") and not wildcard):
        return None
    if not port:
        return scheme, domain, _DEFAULT_PORTS[scheme]
    number = int(port)
    return (scheme, domain, number) if 0 < number < 65536 else None


def parse_origin(value: str, *, wildcard: bool = False) -> tuple[str, str, int] | None:
    """`scheme://host[:port]` (http or https, nothing after the host) as (scheme, host, port)."""
    match = _ORIGIN_RE.fullmatch(value.strip().lower())
    if match is None:
        return None
    return _endpoint(match.group(1), match.group(2), wildcard=wildcard)


def _allowed_host(domain: str) -> bool:
    return any(pattern != "*" and is_same_domain(domain, pattern) for pattern in settings.ALLOWED_HOSTS)


def _own_origin(scope: dict[str, Any]) -> tuple[str, int] | None:
    """(scheme, port) of the page that opened this socket if it came from this server."""
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    if scheme == "http" and settings.SECURE_SSL_REDIRECT:
        return None  # every page is served over https: an http page is not ours
    hosts = [value for name, value in scope.get("headers") or [] if name == b"host"]
    if len(hosts) != 1:
        return None
    endpoint = _endpoint(scheme, hosts[0].decode("latin1").strip().lower())
    if endpoint is None or not _allowed_host(endpoint[1]):
        return None
    return scheme, endpoint[2]


def origin_allowed(origin: str | None, scope: dict[str, Any]) -> bool:
    parsed = parse_origin(origin) if origin is not None else None
    if parsed is None:
        return False
    scheme, domain, port = parsed
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        trusted = parse_origin(entry, wildcard=True)
        if trusted and trusted[0] == scheme and trusted[2] == port and is_same_domain(domain, trusted[1]):
            return True
    if not _allowed_host(domain):
        return False
    return (scheme, port) == ("https", 443) or (scheme, port) == _own_origin(scope)


class OriginValidator:
    """Refuse (403 at the handshake) a WebSocket whose Origin is not exactly an allowed one."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        origins = [value for name, value in scope.get("headers") or [] if name == b"origin"]
        origin = origins[0].decode("latin1") if len(origins) == 1 else None
        if origin_allowed(origin, scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
