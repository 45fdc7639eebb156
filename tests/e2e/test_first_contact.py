"""A teenager answered in a room by someone new sees who writes before the text."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import make_established, message_action, sign_up, unique
from tests.e2e.test_chat_journeys import message_in, open_room, send


def test_a_teen_sees_the_first_contact_notice_before_a_reply(open_browser):
    young, older = open_browser(unique("ines")), open_browser(unique("theo"))
    sign_up(young, age=14)
    sign_up(older, age=16)
    make_established(older)
    for person in (young, older):
        open_room(person.page, "Ados 13-17")
    send(young.page, "Quelqu'un a compris l'exercice 3 ?")
    asked = older.page.locator("#messages .message").filter(has_text="exercice 3")
    message_action(asked, "Reply")
    expect(older.page.locator("#reply-bar")).to_contain_text(young.pseudonym)
    send(older.page, "Oui, il faut factoriser")
    expect(message_in(older.page, "il faut factoriser")).to_be_visible()

    # The notice first: created when, the room shared, older than you; the text behind a button.
    card = young.page.locator("#messages .first-contact")
    expect(card).to_be_visible()
    expect(card).to_contain_text("older than you")
    expect(card).to_contain_text("Ados 13-17")
    expect(message_in(young.page, "il faut factoriser")).to_be_hidden()
    card.get_by_role("button", name="Tips").click()
    expect(card).to_contain_text("never agree to meet")
    young.shot("first-contact-notice")
    card.get_by_role("button", name="Show the message").click()
    expect(message_in(young.page, "il faut factoriser")).to_be_visible()
    card.get_by_role("button", name="Block and report").click()
    expect(young.page.locator("#status-text")).to_contain_text(f"You blocked and reported {older.pseudonym}")
    assert young.page_errors == [] and older.page_errors == []
