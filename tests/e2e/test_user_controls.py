"""User controls in the client: one-click mute, the safety centre, my data, deleting my account."""

from __future__ import annotations

import json

import pytest

from playwright.sync_api import expect

from tests.e2e.conftest import message_action, sign_up, unique
from tests.e2e.test_chat_journeys import message_in, open_room, send


def _hidden_from_the_message_menu(open_browser, action: str, done: str, text: str):
    """Two adults in a room; the second chooses `action` from the menu of the first's message:
    the message goes, and the banner says `done`."""
    author, reader = (open_browser(unique(name)) for name in ("lou", "zoe"))
    for person, age in ((author, 31), (reader, 33)):
        sign_up(person, age=age)
        open_room(person.page, "Le café")
    send(author.page, text)
    item = reader.page.locator("#messages .message").filter(has_text=text)
    message_action(item, f"{action} {author.pseudonym}")
    expect(reader.page.locator("#status-text")).to_contain_text(f"{done} {author.pseudonym}")
    expect(message_in(reader.page, text)).to_have_count(0)
    return author, reader


def test_one_click_mute_from_a_message(open_browser):
    _, quiet = _hidden_from_the_message_menu(open_browser, "Mute", "You muted", "Un message qui dérange")
    quiet.shot("muted-in-one-click")


def test_a_teenager_sees_the_safety_centre_first_and_can_reach_it(open_browser):
    teen = open_browser(unique("lina"))
    sign_up(teen, age=14)
    link = teen.page.locator("#safety-link")
    expect(link).to_be_visible()
    expect(link).to_have_class("safety-link prominent")
    link.click()
    expect(teen.page.get_by_text("3018").first).to_be_visible()
    teen.shot("safety-centre-from-the-client")


def test_download_my_data_then_delete_my_account(open_browser):
    person = open_browser(unique("noa"))
    sign_up(person, age=29)
    # Both live on the account page, one link from the chat; deletion is confirmed in the page.
    person.page.locator("#account-link").click()
    with person.page.expect_download() as download_info:
        person.page.locator("#export-link").click()
    exported = json.loads(open(download_info.value.path(), encoding="utf-8").read())
    assert person.pseudonym in json.dumps(exported, ensure_ascii=False)
    person.page.once("dialog", lambda dialog: pytest.fail(f"a native dialog opened: {dialog.message}"))
    person.page.locator("#delete-start").click()
    person.page.locator("#delete-yes").click()
    expect(person.page.locator("#auth")).to_be_visible()
    status = person.page.request.get(person.server.url + "/api/v1/session").json()
    assert status["authenticated"] is False


def test_one_click_block_from_a_message(open_browser):
    rude, target = _hidden_from_the_message_menu(open_browser, "Block", "You blocked", "Un message grossier")
    send(rude.page, "Encore un")
    expect(message_in(rude.page, "Encore un")).to_be_visible()
    expect(message_in(target.page, "Encore un")).to_have_count(0)
