"""Accessibility pass: labels, keyboard use and contrast, in every state the client shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import audit, focused
from tests.e2e.conftest import PASSWORD, PHONE, birthdate, sign_up, unique
from tests.e2e.test_chat_journeys import message_in, open_room, send

pytestmark = pytest.mark.e2e


def tab_until(page, wanted, *, limit: int = 40) -> list[str]:
    """Press Tab until the focus is on `wanted` (an id or a text prefix); the stops passed."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focused(page)
        stops.append(stop)
        if stop == wanted or stop.startswith(wanted):
            return stops
    raise AssertionError(f"{wanted!r} never got the focus; stops: {stops}")


def test_sign_up_and_chat_with_the_keyboard_alone(open_browser):
    person = open_browser(unique("kim"), locale="en-US")
    page = person.page
    expect(page.locator("#auth")).to_be_visible()
    assert audit(page) == []

    # From the top: the skip link, the language switcher, the safety centre, then the sign-up form.
    stops = tab_until(page, "signup-pseudonym")
    assert stops == ["Skip to the conversation", "language-select", "Change", "safety-link", "signup-pseudonym"]
    page.keyboard.type(person.pseudonym)
    page.keyboard.press("Tab")
    assert focused(page) == "signup-password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page) == "signup-birthdate"
    year, month, day = birthdate(30).split("-")
    page.keyboard.type(month + day + year)  # en-US date fields: month, day, year
    page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_contain_text(person.pseudonym)

    # A room is reached by Tab and opened by Enter; the focus lands in the composer.
    tab_until(page, "Le café")
    page.keyboard.press("Enter")
    expect(page.locator("#pane-title")).to_have_text("Le café")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.type("Bonjour à tous, je tape au clavier")
    page.keyboard.press("Enter")
    expect(message_in(page, "je tape au clavier")).to_be_visible()
    expect(page.locator("#composer-input")).to_have_value("")

    # A dialog opens on Enter, takes the focus, closes on Escape and gives the focus back.
    tab_until(page, "new-dm")
    page.keyboard.press("Enter")
    expect(page.locator("#dm-dialog")).to_be_visible()
    expect(page.locator("#dm-to")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#dm-dialog")).to_be_hidden()
    expect(page.locator("#new-dm")).to_be_focused()
    assert audit(page) == []
    person.shot("keyboard-chat")


def test_every_state_has_names_and_readable_contrast(open_browser):
    """Blocked, held, slow mode, a request waiting, a dialog: each audited as shown."""
    teen = open_browser(unique("eva"), viewport=PHONE)
    sign_up(teen, age=16)
    open_room(teen.page, "Ados 13-17")
    send(teen.page, "mon numéro c'est 06 12 34 56 78")
    expect(teen.page.locator("#composer-feedback")).to_be_visible()
    assert audit(teen.page) == [], "blocked"

    adult = open_browser(unique("hugo"))
    sign_up(adult, age=31)
    open_room(adult.page, "Slow room")
    send(adult.page, "moi j ai 14 ans")  # an age statement in the wrong space is held
    held = adult.page.locator("#messages .message.held")
    expect(held).to_contain_text("Held for review")
    expect(adult.page.locator("#composer-feedback")).to_contain_text("held for review")
    expect(adult.page.locator("#composer-send")).to_be_disabled()  # and slow mode counts down
    assert audit(adult.page) == [], "held and slow mode"
    adult.shot("held-and-slow-mode")

    reader = open_browser(unique("ali"))
    sign_up(reader, age=45)
    open_room(reader.page, "Slow room")
    expect(message_in(reader.page, "moi j ai 14 ans")).to_have_count(0)  # held: nobody else sees it
    reader.page.get_by_role("button", name="New private message").click()
    expect(reader.page.locator("#dm-dialog")).to_be_visible()
    assert audit(reader.page) == [], "dialog"
