"""XSS payloads stay inert in a real browser (Chromium): in messages, room names and report
texts, in the chat client and in the moderator console. Inert means: no payload runs (no
marker set, no dialog), none becomes an element, each is shown as the text it is, and the
page never needed the CSP to stop one (no CSP violation reported)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, message_action, sign_up, unique

pytestmark = pytest.mark.e2e

# Each sets window.__xss if it ever runs, however it gets in.
PAYLOADS = [
    "<img src=x onerror=window.__xss=1>",
    "<script>window.__xss=2</script>",
    '"><svg onload=window.__xss=3>',
    "<iframe srcdoc='<script>parent.__xss=4</script>'></iframe>",
    "<details open ontoggle=window.__xss=5>",
    "{{constructor.constructor('window.__xss=6')()}}",
    "</textarea><style onload=window.__xss=7>",
]
ROOM_NAME = "<b onmouseover=window.__xss=8>Salon</b>"


def watch(page) -> dict:
    """Record dialogs and CSP violations on a page from now on."""
    seen: dict = {"dialogs": [], "csp": []}
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("console", lambda msg: seen["csp"].append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def assert_inert(page, seen: dict) -> None:
    assert page.evaluate("window.__xss") is None, "a payload ran"
    assert seen["dialogs"] == []
    assert seen["csp"] == [], seen["csp"]  # nothing even tried to run and needed the CSP to stop it
    # No payload turned into an element.
    assert page.locator("img[src='x'], svg[onload], iframe[srcdoc], details[ontoggle], b[onmouseover]").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_payloads_stay_inert_in_the_client_and_the_console(open_browser, phare_server, celery_worker):
    slug = f"x{unique('s').lower()}"
    # An operator creates a room whose name is a payload (operators are trusted, not their input).
    phare_server.manage("createroom", "--slug", slug[:30], "--name", ROOM_NAME, "--audience", "adults")
    author, reader, moderator = (open_browser(unique(p)) for p in ("ada", "ben", "cyd"))
    watched = {name: watch(person.page) for name, person in (("author", author), ("reader", reader),
                                                             ("moderator", moderator))}
    for person in (author, reader, moderator):
        sign_up(person, age=35)
    phare_server.manage("grantrole", moderator.pseudonym, "moderator")

    for person in (author, reader):
        person.page.locator("#room-list").get_by_role("button", name=re.compile(re.escape("Salon"))).click()
        expect(person.page.locator("#pane-title")).to_have_text(ROOM_NAME)  # shown as text
    delivered = []
    for payload in PAYLOADS:
        author.page.locator("#composer-input").fill(payload)
        author.page.keyboard.press("Enter")
    for payload in PAYLOADS:
        body = reader.page.locator("#messages .message .body", has_text=payload)
        try:
            expect(body).to_have_count(1, timeout=5000)
            delivered.append(payload)
        except AssertionError:
            pass  # refused by the safety gate: also fine, nothing to render
    assert len(delivered) >= 4, f"too few payloads got through the gate to test rendering: {delivered}"
    for payload in delivered:
        assert reader.page.locator("#messages .message .body", has_text=payload).inner_text() == payload

    # The reader reports one of them, with a payload as the report's text.
    item = reader.page.locator("#messages .message").filter(has_text=delivered[0])
    message_id = item.get_attribute("data-id")
    message_action(item, re.compile("^Report the message"))
    dialog = reader.page.locator("#report-dialog")
    dialog.get_by_label("What is wrong?").select_option("harassment")
    dialog.get_by_label("Details (optional)").fill(PAYLOADS[1] + " " + PAYLOADS[2])
    dialog.get_by_label("I am reporting this in good faith.").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog).to_be_hidden()

    # The moderator opens the queue and the case: the evidence and the report text are text.
    moderator.page.goto(phare_server.url + "/moderation/")
    row = moderator.page.locator("#queue tr[data-case]").filter(has_text=re.compile(rf"message {message_id}\b"))
    expect(row).to_be_visible(timeout=15000)
    case_id = row.get_attribute("data-case")
    moderator.page.goto(f"{phare_server.url}/moderation/cases/{case_id}/")
    expect(moderator.page.locator("body")).to_contain_text(PAYLOADS[1])
    expect(moderator.page.locator("body")).to_contain_text(delivered[0])
    moderator.page.wait_for_timeout(500)

    for name, person in (("author", author), ("reader", reader), ("moderator", moderator)):
        assert_inert(person.page, watched[name])
        assert person.page_errors == [], (name, person.page_errors)
    reader.shot("xss-client")
    moderator.shot("xss-console")


def test_a_pseudonym_cannot_carry_markup(phare_server):
    """Pseudonyms are letters, digits, `_`, `.` and `-`: markup never gets that far."""
    api = phare_server.api_user()
    for name in ("<img/src=x>", "a\"onmouseover=1", "x'y", "j&#x3c;s"):
        status, body = api.call("POST", "/api/v1/accounts/signup",
                                {"pseudonym": name, "password": PASSWORD, "birthdate": "1990-01-01"})
        assert status == 400 and body["error"]["code"] == "pseudonym_not_allowed", (name, status, body)
