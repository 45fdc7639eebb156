"""Report → case → removal → notice → appeal, with two chat windows, a moderator and a real
Celery worker triaging the report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import audit
from tests.e2e.conftest import PASSWORD, message_action, sign_up, unique
from tests.e2e.test_chat_journeys import message_in, open_room, send
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.e2e


def test_report_removal_notice_and_appeal(open_browser, phare_server, celery_worker):
    author = open_browser(unique("paul"))
    reader = open_browser(unique("rose"))
    sign_up(author, age=33)
    sign_up(reader, age=29)

    # The moderator works in the console, which updates live over the moderators' socket.
    moderator = open_browser(unique("mod"))
    sign_up(moderator, age=40)
    phare_server.manage("grantrole", moderator.pseudonym, "moderator")
    moderator.page.goto(phare_server.url + "/moderation/")
    expect(moderator.page.locator("#live")).to_have_attribute("data-state", "on")

    open_room(author.page, "Cinéma")
    open_room(reader.page, "Cinéma")
    text = "Ton avis sur le cinéma ne vaut rien, arrête de parler"
    send(author.page, text)
    expect(message_in(reader.page, text)).to_be_visible()

    # The reader reports it from the message itself.
    item = reader.page.locator("#messages .message").filter(has_text=text)
    message_id = item.get_attribute("data-id")
    message_action(item, f"Report the message from {author.pseudonym}")
    dialog = reader.page.locator("#report-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#report-quote")).to_contain_text(text)
    dialog.get_by_label("What is wrong?").select_option("harassment")
    dialog.get_by_label("Details (optional)").fill("Il s'en prend à moi depuis ce matin.")
    dialog.get_by_role("button", name="Send report").click()
    # Good faith must be confirmed first: said plainly, nothing sent yet.
    expect(dialog.locator("#report-error")).to_have_text("Please confirm that you are reporting in good faith.")
    dialog.get_by_label("I am reporting this in good faith.").check()
    reader.shot("report-dialog")
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog).to_be_hidden()
    expect(reader.page.locator("#status-text")).to_contain_text("Thank you. Your report was received")
    reader.shot("report-acknowledged")

    # The case arrives in the open queue without a reload, and the worker triages it.
    row = moderator.page.locator("#queue tr[data-case]").filter(has_text=re.compile(rf"message {message_id}\b"))
    expect(row).to_be_visible()
    expect(row.locator("td.category")).to_contain_text("harassment")
    case_id = row.get_attribute("data-case")
    api = phare_server.api_user()
    assert api.call("POST", "/api/v1/accounts/login",
                    {"pseudonym": moderator.pseudonym, "password": PASSWORD})[0] == 200
    wait_for(lambda: api.call("GET", f"/api/v1/moderation/cases/{case_id}")[1]["case"]["triaged"])
    moderator.shot("console-case-arrived")

    row.get_by_role("button", name="Claim").click()
    expect(row.locator("td.assigned")).not_to_have_text("–")
    row.get_by_role("link", name="Open").click()
    expect(moderator.page.locator("#case")).to_have_attribute("data-case", case_id)
    expect(moderator.page.locator("#case .thread")).to_contain_text(text)
    moderator.page.get_by_role("button", name="Remove message").click()
    expect(moderator.page.locator("#decide-result")).to_contain_text("message removed")
    moderator.shot("console-case-decided")
    assert audit(moderator.page) == [], "console: case page"

    # Both chat windows see it vanish, without reloading.
    for person in (author, reader):
        expect(message_in(person.page, text)).to_have_count(0)
        expect(person.page.locator(f'#messages [data-id="{message_id}"]')).to_have_text(
            "This message was removed by the moderators.")
    reader.shot("message-removed-reader")

    # The author is told, reads the statement of reasons and appeals.
    expect(author.page.locator("#status-text")).to_contain_text("You have a new notice")
    notice = author.page.locator("#notice-list").get_by_role("button", name=re.compile("A message of yours was removed"))
    notice.click()
    panel = author.page.locator("#notice-panel")
    expect(panel).to_be_visible()
    # The statement of reasons, in the page's language: what, where, why, and by whom.
    expect(panel.locator("#notice-text")).to_contain_text("Decision: message removed.")
    expect(panel.locator("#notice-text")).to_contain_text(text)
    expect(panel.locator("#notice-text")).to_contain_text("You can appeal until")
    author.shot("notice-removed")
    assert audit(author.page) == [], "notice and appeal form"
    panel.get_by_label("Why do you think this decision is wrong?").fill("C'était de l'ironie entre amis.")
    panel.get_by_role("button", name="Send my appeal").click()
    expect(panel.locator("#appeal-done")).to_have_text("Your appeal was sent. You will get a notice with the answer.")
    expect(panel.get_by_role("button", name="Send my appeal")).to_be_hidden()
    author.shot("appeal-sent")

    # The appeal reaches the console's list of pending appeals: for the moderator who decided,
    # as assigned to another moderator (nobody decides an appeal of their own decision); for a
    # colleague, with its text.
    moderator.page.goto(phare_server.url + "/moderation/")
    appeals = moderator.page.locator("#appeals")
    expect(appeals).to_contain_text("Assigned to another moderator")
    expect(appeals).not_to_contain_text("ironie entre amis")
    colleague = open_browser(unique("mod2"))
    sign_up(colleague, age=45)
    phare_server.manage("grantrole", colleague.pseudonym, "moderator")
    colleague.page.goto(phare_server.url + "/moderation/")
    expect(colleague.page.locator("#appeals li").filter(has_text="ironie entre amis")).to_be_visible()
    colleague.shot("console-appeal-pending")
    assert audit(colleague.page) == [], "console: queue and appeals"
    assert author.page_errors == [] and reader.page_errors == [] and moderator.page_errors == []
    assert colleague.page_errors == []
