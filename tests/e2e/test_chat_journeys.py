"""What people do in the chat client, in a real Chromium against a live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import audit
from tests.e2e.conftest import PASSWORD, PHONE, birthdate, make_established, message_action, sign_up, unique

pytestmark = pytest.mark.e2e

MINORS_ROOMS = ["Ados 13-17", "Devoirs & révisions", "Jeux vidéo (ados)"]
ADULTS_ROOMS = ["Après minuit", "Cinéma", "Le café", "Slow room"]


def room_button(page, name: str):
    return page.locator("#room-list").get_by_role("button", name=re.compile(re.escape(name)))


def open_room(page, name: str) -> None:
    room_button(page, name).click()
    expect(page.locator("#pane-title")).to_have_text(name)
    expect(page.locator("#composer")).to_be_visible()


def send(page, text: str) -> None:
    page.locator("#composer").get_by_label("Message").fill(text)
    page.keyboard.press("Enter")


def message_in(page, text: str):
    return page.locator("#messages .message .body", has_text=text)


def test_two_people_sign_up_and_chat_in_a_room(open_browser):
    """The README's promise: two browsers, two sign-ups, one room, messages both ways."""
    alice = open_browser(unique("alice"))
    bob = open_browser(unique("bob"))
    sign_up(alice, age=30)
    sign_up(bob, age=41)
    open_room(alice.page, "Le café")
    open_room(bob.page, "Le café")

    send(alice.page, "Bonjour Bob, tu as vu le film d'hier ?")
    expect(message_in(bob.page, "tu as vu le film")).to_be_visible()
    send(bob.page, "Oui, très beau !")
    expect(message_in(alice.page, "très beau")).to_be_visible()
    # Each sees the other's pseudonym on the message, and their own is not a link.
    expect(bob.page.locator("#messages .message").filter(has_text="tu as vu le film").locator(".author")).to_have_text(alice.pseudonym)
    expect(alice.page.locator("#messages .message .author.me").first).to_have_text(alice.pseudonym)
    alice.shot("chat-two-people-alice")
    bob.shot("chat-two-people-bob")
    assert alice.page_errors == [] and bob.page_errors == []


def test_teenager_signs_up_sees_only_minors_rooms_chats_and_declines_a_request(open_browser, phare_server):
    teen = open_browser(unique("lea"), viewport=PHONE)
    teen.shot("signup-phone")
    sign_up(teen, age=14)
    rooms = teen.page.locator("#room-list button .label")
    expect(rooms).to_have_count(len(MINORS_ROOMS))
    assert sorted(rooms.all_inner_texts()) == sorted(MINORS_ROOMS)
    for name in ADULTS_ROOMS:
        expect(room_button(teen.page, name)).to_have_count(0)
    # A room that needs a stronger age check says so before anyone tries it.
    expect(room_button(teen.page, "Jeux vidéo (ados)")).to_contain_text("age check needed")
    teen.shot("teen-rooms-phone")

    open_room(teen.page, "Ados 13-17")
    send(teen.page, "Salut tout le monde, qui révise les maths ?")
    expect(message_in(teen.page, "qui révise les maths")).to_be_visible()

    friend = open_browser(unique("noa"))
    sign_up(friend, age=15)
    make_established(friend)
    open_room(friend.page, "Ados 13-17")
    expect(message_in(friend.page, "qui révise les maths")).to_be_visible()
    friend.page.get_by_role("button", name=f"Send a private message to {teen.pseudonym}").first.click()
    dialog = friend.page.locator("#dm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Message").fill("Moi aussi ! Tu en es où ?")
    dialog.get_by_role("button", name="Send request").click()
    expect(dialog).to_be_hidden()
    expect(friend.page.locator("#pending-text")).to_contain_text("waiting for an answer")
    friend.shot("dm-request-pending")

    # The teenager is told, opens the request, reads it and declines.
    expect(teen.page.locator("#status-text")).to_contain_text(f"{friend.pseudonym} sent you a message request")
    # On a phone the list and the conversation take turns: the list comes back with its button.
    teen.page.get_by_role("button", name="Rooms and conversations").click()
    request = teen.page.locator("#request-list").get_by_role("button", name=re.compile(f"From {friend.pseudonym}"))
    expect(request).to_be_visible()
    request.click()
    expect(teen.page.locator("#request-panel")).to_be_visible()
    expect(teen.page.locator("#composer")).to_be_hidden()
    # A minor is told who writes and how to stay safe before reading, with a way to the
    # safety centre; the text waits behind a button.
    expect(teen.page.locator("#safety-prompt")).to_contain_text("never agree to meet")
    expect(teen.page.locator("#safety-prompt")).to_contain_text("This account was created")
    expect(message_in(teen.page, "Tu en es où")).to_be_hidden()
    teen.page.get_by_role("button", name="Show the message").click()
    expect(message_in(teen.page, "Tu en es où")).to_be_visible()
    expect(teen.page.locator("#safety-prompt-link")).to_have_attribute("href", "/safety/")
    teen.shot("teen-dm-request-phone")
    assert audit(teen.page) == [], "request panel at phone width"
    teen.page.get_by_role("button", name="Decline").click()
    expect(teen.page.locator("#request-list button")).to_have_count(0)
    expect(teen.page.locator("#status-text")).to_contain_text(f"You declined the request from {friend.pseudonym}")
    teen.shot("teen-declined-phone")

    # The sender learns the answer, and the request is gone from their list too.
    expect(friend.page.locator("#status-text")).to_contain_text(f"{teen.pseudonym} did not accept your request")
    expect(friend.page.locator("#request-list button")).to_have_count(0)
    assert teen.page_errors == [] and friend.page_errors == []


def test_adult_can_neither_find_nor_contact_a_teenager(open_browser, phare_server):
    teen_pseudonym = unique("sami")
    teen = phare_server.api_user()
    status, _ = teen.call("POST", "/api/v1/accounts/signup",
                          {"pseudonym": teen_pseudonym, "password": PASSWORD, "birthdate": birthdate(13)})
    assert status == 201

    adult = open_browser(unique("marc"))
    sign_up(adult, age=35)
    # An established account, so that only the age rule can stand in its way.
    make_established(adult)
    rooms = adult.page.locator("#room-list button .label")
    expect(rooms).to_have_count(len(ADULTS_ROOMS))
    assert sorted(rooms.all_inner_texts()) == sorted(ADULTS_ROOMS)
    for name in MINORS_ROOMS:
        expect(room_button(adult.page, name)).to_have_count(0)

    # Joining a minors' room by its slug answers as if it did not exist.
    answer = adult.page.evaluate(
        """() => new Promise((resolve) => {
            const ws = new WebSocket("ws://" + location.host + "/ws/");
            ws.onopen = () => ws.send(JSON.stringify({type: "room.join", id: "x1", room: "ados"}));
            ws.onmessage = (event) => { const f = JSON.parse(event.data); if (f.id === "x1") { ws.close(); resolve(f); } };
        })"""
    )
    assert answer["type"] == "error" and answer["error"]["code"] == "not_found"

    # Writing to the teenager by pseudonym is refused with a plain sentence, nothing technical,
    # and the same as for a pseudonym nobody has (no telling who is a minor).
    adult.page.get_by_role("button", name="New private message").click()
    dialog = adult.page.locator("#dm-dialog")
    dialog.get_by_label("Pseudonym of the person").fill(teen_pseudonym)
    dialog.get_by_label("Message").fill("Bonjour, on peut discuter ?")
    dialog.get_by_role("button", name="Send request").click()
    error = dialog.locator("#dm-error")
    expect(error).to_have_text("Not found. It may not exist, or it is not open to you.")
    adult.shot("adult-cannot-contact-teen")
    dialog.get_by_role("button", name="Cancel").click()
    expect(adult.page.locator("#request-list button")).to_have_count(0)
    assert "{" not in error.inner_text()


def test_rate_limited_user_sees_the_wait(open_browser):
    person = open_browser(unique("zoe"), viewport=PHONE)
    sign_up(person, age=28)
    expect(room_button(person.page, "Slow room")).to_contain_text("slow mode: one message every 30 seconds")
    open_room(person.page, "Slow room")
    send(person.page, "Premier message")
    expect(message_in(person.page, "Premier message")).to_be_visible()
    send_button = person.page.locator("#composer-send")
    expect(send_button).to_be_disabled()
    expect(send_button).to_have_text(re.compile(r"^Wait (2\d|30) s$"))
    expect(person.page.locator("#composer-wait")).to_contain_text("Slow mode: you can send your next message in")
    expect(person.page.locator("#announcer")).to_contain_text("Slow mode: you can send your next message in")
    person.shot("slow-mode-wait-phone")

    # A fresh page knows nothing of the wait: the server refuses, and the client shows how long.
    person.page.reload()
    open_room(person.page, "Slow room")
    send(person.page, "Deuxième message")
    expect(send_button).to_be_disabled()
    expect(person.page.locator("#composer-wait")).to_have_text(re.compile(r"Slow mode: you can send your next message in \d+ seconds?\."))
    expect(message_in(person.page, "Deuxième message")).to_have_count(0)
    assert person.page.locator("#composer").get_by_label("Message").input_value() == "Deuxième message"
    person.shot("slow-mode-refused-phone")


def test_blocked_message_says_why_and_keeps_the_draft(open_browser):
    person = open_browser(unique("ines"))
    sign_up(person, age=15)
    open_room(person.page, "Ados 13-17")
    send(person.page, "appelle moi au 06 12 34 56 78")
    feedback = person.page.locator("#composer-feedback")
    expect(feedback).to_be_visible()
    expect(feedback).to_have_text("Phone numbers cannot be shared here.")
    expect(message_in(person.page, "06 12 34 56 78")).to_have_count(0)
    assert person.page.locator("#composer").get_by_label("Message").input_value() == "appelle moi au 06 12 34 56 78"
    person.shot("blocked-with-reason")


def test_adult_sharing_contact_details_is_warned_then_asked_before_sharing_again(open_browser):
    person = open_browser(unique("theo"))
    sign_up(person, age=38)
    open_room(person.page, "Le café")
    send(person.page, "Appelle-moi au 06 12 34 56 78")
    expect(message_in(person.page, "06 12 34 56 78")).to_be_visible()
    feedback = person.page.locator("#composer-feedback")
    expect(feedback).to_contain_text("You are sharing contact details")
    # The next number is not sent at once: it takes a second, deliberate Send.
    send(person.page, "ou au 07 11 22 33 44")
    expect(feedback).to_contain_text("Press Send again to share it anyway")
    expect(message_in(person.page, "07 11 22 33 44")).to_have_count(0)
    person.shot("contact-details-confirm")
    person.page.keyboard.press("Enter")
    expect(message_in(person.page, "07 11 22 33 44")).to_be_visible()


def test_muting_someone_from_the_report_dialog_hides_their_messages(open_browser):
    loud, quiet, third = (open_browser(unique(name)) for name in ("max", "ida", "ugo"))
    for person, age in ((loud, 27), (quiet, 34), (third, 52)):
        sign_up(person, age=age)
        open_room(person.page, "Le café")
    send(loud.page, "Premier message bruyant")
    item = quiet.page.locator("#messages .message").filter(has_text="Premier message bruyant")
    message_action(item, f"Report the message from {loud.pseudonym}")
    quiet.page.locator("#report-dialog").get_by_role("button", name=f"Mute {loud.pseudonym}").click()
    expect(quiet.page.locator("#report-dialog")).to_be_hidden()
    expect(quiet.page.locator("#status-text")).to_contain_text(f"You muted {loud.pseudonym}")
    expect(item).to_have_count(0)

    # Their next message reaches the room (the third person sees it) but not the one who muted.
    send(loud.page, "Deuxième message bruyant")
    expect(message_in(third.page, "Deuxième message bruyant")).to_be_visible()
    send(third.page, "Et moi je parle après")
    expect(message_in(quiet.page, "Et moi je parle après")).to_be_visible()
    expect(message_in(quiet.page, "bruyant")).to_have_count(0)
    quiet.shot("muted-someone")
