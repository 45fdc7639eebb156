"""Report → case → removal → notice → appeal, with two chat windows, a moderator and a real
Celery worker triaging the report."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, birthdate, sign_up, unique
from tests.e2e.test_chat_journeys import message_in, open_room, send

pytestmark = pytest.mark.e2e


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def moderator_account(server) -> tuple[object, str]:
    pseudonym = unique("mod")
    moderator = server.api_user()
    status, body = moderator.call("POST", "/api/v1/accounts/signup",
                                  {"pseudonym": pseudonym, "password": PASSWORD, "birthdate": birthdate(40)})
    assert status == 201, body
    server.manage("grantrole", pseudonym, "moderator")
    return moderator, pseudonym


def test_report_removal_notice_and_appeal(open_browser, phare_server, celery_worker):
    author = open_browser(unique("paul"))
    reader = open_browser(unique("rose"))
    sign_up(author, age=33)
    sign_up(reader, age=29)
    open_room(author.page, "Cinéma")
    open_room(reader.page, "Cinéma")
    text = "Ton avis sur le cinéma ne vaut rien, arrête de parler"
    send(author.page, text)
    expect(message_in(reader.page, text)).to_be_visible()

    # The reader reports it from the message itself, by keyboard-friendly controls.
    item = reader.page.locator("#messages .message").filter(has_text=text)
    item.get_by_role("button", name=f"Report the message from {author.pseudonym}").click()
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

    # The worker triages the case; the moderator finds it in the queue, claims it, removes.
    moderator, _ = moderator_account(phare_server)
    message_id = item.get_attribute("data-id")

    def triaged_case():
        status, body = moderator.call("GET", "/api/v1/moderation/cases?status=open")
        assert status == 200, body
        found = [c for c in body["cases"] if str(c["subject"].get("id")) == message_id]
        return found[0] if found and found[0]["triaged"] else None

    case = wait_for(triaged_case)
    assert case["category"] == "harassment"
    assert moderator.call("POST", f"/api/v1/moderation/cases/{case['id']}/claim")[0] == 200
    status, body = moderator.call("POST", f"/api/v1/moderation/cases/{case['id']}/decide",
                                  {"action": "remove_message", "reason_code": "harassment",
                                   "note": "insulte"})
    assert status == 200, body

    # Both windows see it vanish, without reloading.
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
    expect(panel.locator("#notice-meta")).to_contain_text("You can appeal until")
    author.shot("notice-removed")
    panel.get_by_label("Why do you think this decision is wrong?").fill("C'était de l'ironie entre amis.")
    panel.get_by_role("button", name="Send my appeal").click()
    expect(panel.locator("#appeal-done")).to_have_text("Your appeal was sent. You will get a notice with the answer.")
    expect(panel.get_by_role("button", name="Send my appeal")).to_be_hidden()
    author.shot("appeal-sent")

    status, body = moderator.call("GET", "/api/v1/moderation/appeals")
    assert status == 200, body
    assert any(a["case"] == case["id"] for a in body["appeals"]), body
    assert author.page_errors == [] and reader.page_errors == []
