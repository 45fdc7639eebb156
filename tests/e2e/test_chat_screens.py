"""The chat at every width from 360 px, in French and English: the conversation, the composer
and the latest feedback (a refusal's reason, a slow-mode wait, a lost connection) stay in view;
each message's actions are one menu; a banner goes when its cause does; on a phone the room list
and the conversation take turns; no CSP violation, no native dialog, no sideways scroll."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import audit
from tests.e2e.conftest import sign_up, unique
from tests.e2e.screens import LOCALES, PHONE, WIDE, Watch, assert_in_view, assert_no_sideways_scroll

pytestmark = pytest.mark.e2e

SIZES = {"wide": WIDE, "phone": PHONE, "small": {"width": 360, "height": 640}}

# Every socket the page opens is kept, and while __offline is set a new one cannot connect:
# the test can cut the connection and keep it cut until it chooses to let it come back.
SOCKETS = """
const NativeSocket = window.WebSocket;
window.__sockets = [];
window.__offline = false;
window.WebSocket = class extends NativeSocket {
  constructor(url, protocols) {
    super(window.__offline ? "ws://127.0.0.1:9/" : url, protocols);
    window.__sockets.push(this);
  }
};
"""

WORDS = {
    "fr": {"mute": "Masquer", "report": "Signaler le message de", "actions": "Actions pour le message de",
           "list": "Salons et conversations", "blocked": "Les numéros de téléphone ne peuvent pas être partagés ici."},
    "en": {"mute": "Mute", "report": "Report the message from", "actions": "Actions for the message from",
           "list": "Rooms and conversations", "blocked": "Phone numbers cannot be shared here."},
}
COMPOSER = ("#composer-input", "#composer-send")


def open_room(page, name: str) -> None:
    if page.locator("#sidebar-toggle").is_visible() and page.locator("#sidebar").is_hidden():
        page.locator("#sidebar-toggle").click()
    page.locator("#room-list").get_by_role("button", name=re.compile(re.escape(name))).click()
    expect(page.locator("#pane-title")).to_have_text(name)
    expect(page.locator("#composer")).to_be_visible()


def send(page, text: str) -> None:
    page.locator("#composer-input").fill(text)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
def test_chat_keeps_the_conversation_composer_and_feedback_in_view(open_browser, lang, size):
    words = WORDS[lang]
    viewport = SIZES[size]
    other = open_browser(unique("nina"), locale=LOCALES[lang], viewport=viewport)
    sign_up(other, age=15)
    open_room(other.page, "Ados 13-17")
    for n in range(1, 4):
        send(other.page, f"Salut tout le monde, message {n} de {other.pseudonym}")
        expect(other.page.locator("#messages .message", has_text=f"message {n} de {other.pseudonym}")).to_be_visible()

    person = open_browser(unique("lou"), locale=LOCALES[lang], viewport=viewport)
    page = person.page
    watch = Watch(page)
    page.add_init_script(SOCKETS)
    page.goto(person.server.url + "/")
    sign_up(person, age=14)
    if size != "wide":  # a phone starts on the list, the conversation hidden
        expect(page.locator("#sidebar")).to_be_visible()
        expect(page.locator("#main-pane")).to_be_hidden()
    open_room(page, "Ados 13-17")
    latest = page.locator("#messages .message", has_text=f"message 3 de {other.pseudonym}")
    expect(latest).to_be_visible()
    assert_in_view(page, *COMPOSER)
    expect(latest).to_be_in_viewport(ratio=0.95)  # not clipped by the list's scrolling either
    assert_no_sideways_scroll(page)

    # A refusal's reason, under the composer, with the composer itself, in view.
    send(page, "appelle moi au 06 12 34 56 78")
    expect(page.locator("#composer-feedback")).to_have_text(words["blocked"])
    assert_in_view(page, "#composer-feedback", *COMPOSER)
    expect(latest).to_be_in_viewport(ratio=0.95)  # the list shrank, the latest message stays in view
    person.shot(f"chat-blocked-{lang}-{size}")

    # One menu per message: report, reply, mute, block, trusted connection; Escape closes it
    # and gives the focus back.
    item = page.locator("#messages .message", has_text=f"message 3 de {other.pseudonym}")
    expect(item.locator("button")).to_have_count(2)  # the author's name and the menu, nothing else
    menu_button = item.get_by_role("button", name=f"{words['actions']} {other.pseudonym}")
    menu_button.click()
    menu = item.get_by_role("menu")
    expect(menu.get_by_role("menuitem")).to_have_count(5)
    expect(menu.get_by_role("menuitem", name=f"{words['report']} {other.pseudonym}")).to_be_focused()
    assert_in_view(page, ".message-menu")
    assert audit(page) == [], "message menu"
    person.shot(f"chat-message-menu-{lang}-{size}")
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(menu_button).to_be_focused()

    # Muting says so in a banner that goes by itself; the name is the same word everywhere.
    menu_button.click()
    item.get_by_role("menuitem", name=f"{words['mute']} {other.pseudonym}").click()
    expect(page.locator("#messages .message", has_text="de " + other.pseudonym)).to_have_count(0)
    expect(page.locator("#status")).to_be_visible()
    expect(page.locator("#status")).to_be_hidden(timeout=12_000)

    # A lost connection is said in view, and the banner goes once the connection is back.
    page.evaluate("window.__offline = true; window.__sockets[window.__sockets.length - 1].close()")
    expect(page.locator("#status.error")).to_be_visible()
    assert_in_view(page, "#status", *COMPOSER)
    person.shot(f"chat-reconnecting-{lang}-{size}")
    page.evaluate("window.__offline = false")
    expect(page.locator("body")).to_have_attribute("data-connected", "true", timeout=15_000)
    expect(page.locator("#status")).to_be_hidden()

    if size != "wide":  # the list comes back with its button, and goes when a room is chosen
        page.get_by_role("button", name=words["list"]).click()
        expect(page.locator("#sidebar")).to_be_visible()
        assert_in_view(page, "#sidebar-toggle")
        open_room(page, "Ados 13-17")
        expect(page.locator("#sidebar")).to_be_hidden()
    assert_no_sideways_scroll(page)
    watch.assert_clean()
    assert person.page_errors == []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
def test_slow_mode_wait_stays_in_view(open_browser, lang, size):
    person = open_browser(unique("sam"), locale=LOCALES[lang], viewport=SIZES[size])
    watch = Watch(person.page)
    person.page.goto(person.server.url + "/")
    sign_up(person, age=33)
    open_room(person.page, "Slow room")
    send(person.page, "Premier message")
    expect(person.page.locator("#composer-send")).to_be_disabled()
    expect(person.page.locator("#composer-wait")).to_be_visible()
    assert_in_view(person.page, "#composer-wait", *COMPOSER, "#messages .message:last-child")
    assert_no_sideways_scroll(person.page)
    person.shot(f"chat-slow-mode-{lang}-{size}")
    watch.assert_clean()
