"""Web security edges: CSP and headers, no inline script, CSRF, the WebSocket Origin, cookies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from core.security import DEFAULT_CONTENT_SECURITY_POLICY
from tests.conftest import connect_ws

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "k" * 20 + "-production-like-key-0123456789"


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class ScriptAudit(HTMLParser):
    """Collects what a strict CSP would block: inline scripts and event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.javascript_urls: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.javascript_urls.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not attributes.get("src"):
            # JSON data islands are not executed; anything else inline would be blocked.
            self._in_inline_script = attributes.get("type") not in {"application/json", "application/ld+json"}

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.inline_scripts.append(data.strip()[:80])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def audit(html: str) -> ScriptAudit:
    parser = ScriptAudit()
    parser.feed(html)
    return parser


def test_policy_forbids_inline_scripts_and_framing():
    directives = csp_directives(DEFAULT_CONTENT_SECURITY_POLICY)
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in DEFAULT_CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in DEFAULT_CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v1/session", "/admin/login/", "/api/v1/does-not-exist", "/jsi18n/"])
def test_every_response_carries_the_security_headers(path):
    response = Client().get(path)
    assert response["Content-Security-Policy"] == DEFAULT_CONTENT_SECURITY_POLICY
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_client_page_has_no_inline_script_or_handler():
    html = Client().get("/").content.decode()
    found = audit(html)
    assert found.inline_scripts == [] and found.handlers == [] and found.javascript_urls == []
    assert "<script src=" in html  # the audit did see the page's scripts


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/admin/", "/admin/accounts/user/", "/admin/chat/room/add/",
                                  "/admin/password_change/"])
def test_admin_pages_have_no_inline_script_or_handler(make_user, path):
    """Django 5.2's admin passes its data in data-* attributes and JSON islands, so the CSP
    costs it nothing; this keeps it that way as Phare's admin customisations grow."""
    operator = make_user(pseudonym="op_csp", is_operator=True, is_staff=True)
    client = Client()
    if path != "/admin/login/":
        client.force_login(operator)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    found = audit(response.content.decode())
    assert found.inline_scripts == [], found.inline_scripts
    assert found.handlers == [], found.handlers
    assert found.javascript_urls == [], found.javascript_urls


# --- CSRF ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_unsafe_request_without_csrf_token_is_refused_with_json(adult):
    client = Client(enforce_csrf_checks=True)
    client.force_login(adult)
    response = client.patch("/api/v1/me/settings", {"dm_policy": "nobody"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert response.json()["error"]["reason"] == "csrf"
    adult.refresh_from_db()
    assert adult.dm_policy != "nobody"


@pytest.mark.django_db
def test_cross_site_request_with_a_stolen_looking_token_is_refused(adult):
    client = Client(enforce_csrf_checks=True)
    client.force_login(adult)
    token = client.get("/api/v1/session").cookies["csrftoken"].value
    response = client.patch("/api/v1/me/settings", {"dm_policy": "nobody"}, content_type="application/json",
                            headers={"X-CSRFToken": "x" * 32})
    assert response.status_code == 403
    ok = client.patch("/api/v1/me/settings", {"dm_policy": "nobody"}, content_type="application/json",
                      headers={"X-CSRFToken": token})
    assert ok.status_code == 200
    adult.refresh_from_db()
    assert adult.dm_policy == "nobody"


@pytest.mark.django_db
def test_login_needs_the_csrf_token_too(adult):
    """Login CSRF would sign a victim into an attacker's account."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/accounts/login", {"pseudonym": adult.pseudonym, "password": "correct horse battery"},
                           content_type="application/json")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# --- WebSocket Origin --------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost.evil.example",
                                    "http://evil.example/localhost"])
async def test_websocket_from_a_foreign_origin_is_refused(adult, origin):
    communicator, connected = await connect_ws(adult, origin=origin)
    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_the_site_origin_is_accepted(adult):
    communicator, connected = await connect_ws(adult, origin="http://localhost")
    assert connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_without_origin_is_refused(adult):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from config.asgi import application
    from tests.conftest import session_cookie_for

    cookie = await sync_to_async(session_cookie_for)(adult)
    communicator = WebsocketCommunicator(application, "/ws/", headers=[(b"host", b"localhost"),
                                                                       (b"cookie", f"sessionid={cookie}".encode())])
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


# --- Production settings -------------------------------------------------------------------------

def production_settings() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL",
                                                          "SECURE_COOKIES", "SECURE_SSL_REDIRECT"}}
    env.update({"DEBUG": "0", "SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "phare.example"})
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n, None) for n in "
        "['SESSION_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','SESSION_COOKIE_SAMESITE','CSRF_COOKIE_SECURE',"
        "'CSRF_COOKIE_SAMESITE','SECURE_SSL_REDIRECT','SECURE_HSTS_SECONDS','SECURE_CONTENT_TYPE_NOSNIFF',"
        "'X_FRAME_OPTIONS','DEBUG','MIDDLEWARE','SECURE_REFERRER_POLICY']}))"
    )
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_and_transport_are_locked_down():
    s = production_settings()
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"} and s["CSRF_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert "core.security.SecurityHeadersMiddleware" in s["MIDDLEWARE"]
    assert "django.middleware.csrf.CsrfViewMiddleware" in s["MIDDLEWARE"]


@pytest.mark.django_db
def test_session_cookie_is_http_only(adult):
    client = Client()
    response = client.post("/api/v1/accounts/login", {"pseudonym": adult.pseudonym, "password": "correct horse battery"},
                           content_type="application/json")
    assert response.status_code == 200
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
