"""Sending an image from the browser: the control only where the server takes images, the
"being checked" state, delivery blurred to the other person, and refusals in plain words.

A real Celery worker scans the images (chat.media.scan_upload); the pictures are generated
here with Pillow, nothing is read from disk.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Iterator

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.e2e.a11y import audit
from tests.e2e.conftest import PHONE, make_established, sign_up, unique
from tests.e2e.test_chat_journeys import open_room

pytestmark = pytest.mark.e2e


def png_picture(seed: int = 1) -> bytes:
    """A small picture with shapes (not a flat colour, so its PDQ hash is meaningful)."""
    image = Image.new("RGB", (320, 240), (30 + seed, 90, 160))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = (i * 53 + seed * 7) % 280, (i * 37 + seed * 11) % 200
        draw.ellipse([x, y, x + 40 + i, y + 30 + i], fill=((i * 40) % 256, (seed * 60 + i * 20) % 256, 200 - i * 10))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def media_room(phare_server) -> Iterator[str]:
    """An adults' room that takes images, for this module only: no seeded room does, and the
    other journeys count the adults' rooms. Hidden again (status rejected) afterwards."""
    slug = f"photos-{uuid.uuid4().hex[:6]}"
    name = f"Photos {slug[-6:]}"
    phare_server.manage("createroom", "--slug", slug, "--name", name, "--audience", "adults", "--media",
                        "--description", "Images allowed")
    yield name
    phare_server.manage("shell", "-c", f"from chat.models import Room; Room.objects.filter(slug={slug!r}).update(status='rejected')")


def record_upload_line(page) -> None:
    """Keep every text the "image on its way" line shows: the check of a small PNG can be over
    before an assertion would look at it."""
    page.evaluate("""() => {
        window.uploadTexts = [];
        const line = document.getElementById("composer-upload");
        new MutationObserver(() => { if (!line.hidden) window.uploadTexts.push(line.textContent); })
            .observe(line, {childList: true, characterData: true, subtree: true, attributes: true});
    }""")


def intercept_file_choosers(page) -> None:
    """Keep Playwright's file-chooser interception on for the page's whole life. Left to
    `expect_file_chooser` alone, it is switched on (without waiting for the browser) only
    when the wait starts, and a key pressed just after could open a real, unseen dialog."""
    page.on("filechooser", lambda chooser: None)
    page.evaluate("0")  # a round trip, so that the browser has switched it on


def choose_file(page, button_name: str, *, name: str, mime: str, data: bytes) -> None:
    """Press the button from the keyboard and pick a file in the chooser it opens."""
    button = page.get_by_role("button", name=button_name)
    button.focus()
    expect(button).to_be_focused()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_adult_sends_an_image_the_other_sees_it_blurred_and_reveals_it(open_browser, celery_worker, media_room):
    alice = open_browser(unique("ines"), viewport=PHONE)
    bob = open_browser(unique("yann"))
    sign_up(alice, age=31)
    sign_up(bob, age=44)
    open_room(alice.page, media_room)
    open_room(bob.page, media_room)
    intercept_file_choosers(alice.page)

    add = alice.page.get_by_role("button", name="Add image")
    expect(add).to_be_visible()
    alice.shot("image-upload-control-phone")
    assert audit(alice.page) == [], "composer with the image control at phone width"
    record_upload_line(alice.page)
    choose_file(alice.page, "Add image", name="sunset.png", mime="image/png", data=png_picture())

    # Alice was told it is being checked; once cleared it arrives like any message.
    mine = alice.page.locator("#messages .message figure.image img")
    expect(mine).to_have_count(1, timeout=30_000)
    expect(alice.page.locator("#composer-upload")).to_be_hidden()
    shown = alice.page.evaluate("window.uploadTexts")
    assert "Image being checked… It appears here once it is cleared." in shown, shown
    expect(add).to_be_focused()  # the keyboard user is where they were
    alice.shot("image-upload-sent-phone")

    # Bob sees it blurred, with a way to reveal this one image.
    figure = bob.page.locator("#messages .message figure.image")
    expect(figure).to_have_count(1, timeout=30_000)
    expect(figure).to_have_class(re.compile(r"\bblurred\b"))
    image = figure.locator("img")
    expect(image).to_have_attribute("alt", f"Image shared by {alice.pseudonym}")
    # Loaded for real from the protected endpoint (a member of the room may read it).
    bob.page.wait_for_function("(img) => img.complete && img.naturalWidth === 320", arg=image.element_handle())
    assert "blur" in image.evaluate("(img) => getComputedStyle(img).filter")
    bob.shot("image-received-blurred")
    reveal = figure.get_by_role("button", name="Show image")
    reveal.click()
    expect(figure).not_to_have_class(re.compile(r"\bblurred\b"))
    expect(figure.get_by_role("button", name="Blur image")).to_have_attribute("aria-pressed", "true")
    assert image.evaluate("(img) => getComputedStyle(img).filter") == "none"
    bob.shot("image-received-revealed")
    assert alice.page_errors == [] and bob.page_errors == []


def test_images_in_a_private_conversation_once_it_is_accepted(open_browser, celery_worker):
    asker = open_browser(unique("malo"))
    other = open_browser(unique("jade"))
    sign_up(asker, age=36)
    sign_up(other, age=34)
    make_established(asker)  # new accounts may not send private message requests
    intercept_file_choosers(asker.page)
    asker.page.locator("#new-dm").click()
    dialog = asker.page.locator("#dm-dialog")
    dialog.get_by_label("Pseudonym of the person").fill(other.pseudonym)
    dialog.get_by_label("Message").fill("Bonjour, on parle photo ?")
    dialog.get_by_role("button", name="Send request").click()
    # A request is not a conversation yet: nothing to write in, no image control.
    expect(asker.page.locator("#pending-text")).to_contain_text("waiting for an answer")
    expect(asker.page.get_by_role("button", name="Add image")).to_have_count(0)

    other.page.locator("#request-list").get_by_role("button", name=re.compile(f"From {asker.pseudonym}")).click()
    other.page.get_by_role("button", name="Accept").click()
    expect(other.page.get_by_role("button", name="Add image")).to_be_visible()
    add = asker.page.get_by_role("button", name="Add image")
    expect(add).to_be_visible()  # dm.accepted reopens the conversation with its composer

    choose_file(asker.page, "Add image", name="cadre.png", mime="image/png", data=png_picture(3))
    figure = other.page.locator("#messages .message figure.image")
    expect(figure).to_have_count(1, timeout=30_000)
    expect(figure).to_have_class(re.compile(r"\bblurred\b"))
    expect(asker.page.locator("#messages .message figure.image")).to_have_count(1)
    expect(asker.page.locator("#composer-upload")).to_be_hidden()
    other.shot("image-received-in-dm")
    assert asker.page_errors == [] and other.page_errors == []


def test_no_image_control_where_images_are_not_allowed(open_browser):
    teen = open_browser(unique("lou"), viewport=PHONE)
    sign_up(teen, age=15)
    open_room(teen.page, "Ados 13-17")
    expect(teen.page.get_by_role("button", name="Add image")).to_have_count(0)
    teen.shot("image-no-control-minors-phone")
    # The server is the authority: a hand-made upload from the teenager is refused anyway.
    answer = teen.page.evaluate("""async () => {
        const form = new FormData();
        form.append("image", new Blob([new Uint8Array([137, 80, 78, 71])], {type: "image/png"}), "x.png");
        form.append("room", "ados");
        const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const response = await fetch("/api/v1/uploads", {method: "POST", body: form, headers: {"X-CSRFToken": token}});
        return {status: response.status, body: await response.json()};
    }""")
    assert answer["status"] == 403 and answer["body"]["error"]["code"] == "media_not_allowed", answer

    # An adults' room that does not take images shows no control either.
    adult = open_browser(unique("remi"))
    sign_up(adult, age=38)
    open_room(adult.page, "Le café")
    expect(adult.page.get_by_role("button", name="Add image")).to_have_count(0)
    assert teen.page_errors == [] and adult.page_errors == []


def test_refused_and_damaged_images_are_explained_in_french(open_browser, celery_worker, media_room):
    person = open_browser(unique("chloe"), locale="fr-FR")
    sign_up(person, age=27)
    open_room(person.page, media_room)
    page = person.page
    intercept_file_choosers(page)
    feedback = page.locator("#composer-feedback")

    # Refused at once by the server (415 unsupported_media): a sentence, never the JSON.
    choose_file(page, "Ajouter une image", name="notes.txt", mime="text/plain", data=b"pas une image\n")
    expect(feedback).to_have_text(
        "Ce fichier n'est pas une image acceptée par Phare : choisis une image JPEG, PNG, WebP ou GIF.")
    text = feedback.inner_text()
    assert "unsupported_media" not in text and "{" not in text
    person.shot("image-refused-unsupported-fr")
    assert audit(page) == [], "refusal under the composer"

    # Accepted from its header, then rejected by the scan (truncated pixels): first "being
    # checked", then why it was not sent (upload.failed, or the poll of the upload).
    record_upload_line(page)
    damaged = png_picture(2)
    choose_file(page, "Ajouter une image", name="abimee.png", mime="image/png", data=damaged[: len(damaged) // 2])
    expect(feedback).to_contain_text("Ton image n'a pas été envoyée.", timeout=30_000)
    expect(feedback).to_contain_text("abîmée")
    expect(page.locator("#composer-upload")).to_be_hidden()
    assert "Image en cours de vérification… Elle apparaîtra ici une fois validée." in page.evaluate("window.uploadTexts")
    # No image of theirs reached the room (the room's history may hold others' images).
    expect(page.locator("#messages .message").filter(has=page.locator(".author.me")).locator("figure.image")).to_have_count(0)
    person.shot("image-rejected-damaged-fr")
    assert person.page_errors == []
    # Nothing technical anywhere on the page.
    assert not re.search(r'"code"|unsupported_media|\{"error"', page.locator("body").inner_text())
