"""Trusted connections in the web client: a 17-year-old proposes one from the menu of a
15-year-old's message in a minors' room, the 15-year-old accepts it from their list, and
either ends it; both lists follow live."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Person, message_action, sign_up, unique
from tests.e2e.test_chat_journeys import open_room, send


def estimated(person: Person) -> None:
    """Raise the account to the `estimated` level (as an age-estimation provider would: the
    default level a trusted connection needs), and come back to the page."""
    person.server.manage(
        "shell", "-c",
        "from accounts.models import User; "
        f"n = User.objects.filter(pseudonym={person.pseudonym!r}).update(assurance_level='estimated'); assert n == 1",
    )
    person.page.reload()
    expect(person.page.locator("#whoami")).to_contain_text(person.pseudonym)
    expect(person.page.locator("body")).to_have_attribute("data-connected", "true")


def test_two_teenagers_propose_accept_and_end_a_trusted_connection(open_browser):
    younger, older = open_browser(unique("ines")), open_browser(unique("theo"))
    for person, age in ((younger, 15), (older, 17)):
        sign_up(person, age=age)
        estimated(person)
        open_room(person.page, "Ados 13-17")
        expect(person.page.locator("#trusted-empty")).to_be_visible()

    send(younger.page, "Quelqu'un fait le devoir de maths ?")
    item = older.page.locator("#messages .message").filter(has_text="devoir de maths")
    message_action(item, f"Propose a trusted connection to {younger.pseudonym}")
    expect(older.page.locator("#status-text")).to_contain_text(f"Trusted connection proposed to {younger.pseudonym}")
    mine = older.page.locator("#trusted-list li")
    expect(mine).to_have_attribute("data-state", "proposed")

    theirs = younger.page.locator("#trusted-list li")
    expect(theirs).to_contain_text(f"{older.pseudonym} proposes a trusted connection")
    younger.shot("trusted-connection-proposed")
    theirs.get_by_role("button", name=f"Accept the trusted connection with {older.pseudonym}").click()
    expect(theirs).to_have_attribute("data-state", "active")
    expect(mine).to_have_attribute("data-state", "active")
    expect(mine).to_contain_text(f"{younger.pseudonym}: you may write to each other")
    expect(older.page.locator("#status-text")).to_contain_text(f"{younger.pseudonym} accepted your trusted connection")

    mine.get_by_role("button", name=f"End the trusted connection with {younger.pseudonym}").click()
    expect(older.page.locator("#trusted-list li")).to_have_count(0)
    expect(younger.page.locator("#trusted-list li")).to_have_count(0)
    expect(younger.page.locator("#trusted-empty")).to_be_visible()
    status = older.page.request.get(older.server.url + "/api/v1/me/trusted").json()
    assert status["connections"] == []
