"""The whole UI in French and in English, switched from the top of the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, birthdate, unique
from tests.e2e.test_translations import CATALOGUES, read_po

pytestmark = pytest.mark.e2e


def english_left_over(page) -> list[str]:
    """UI strings of the client (templates and scripts) still in English on a French page.

    Only strings whose French differs and that are long enough to be unambiguous are
    looked for, so that "Message" or "OK" (the same in both languages) do not count.
    """
    text = page.locator("body").inner_text()
    leftovers = []
    for po in (CATALOGUES[0], CATALOGUES[2]):
        for entry in read_po(po):
            if entry.msgid_plural or entry.msgstr.get(0) == entry.msgid or len(entry.msgid) < 8:
                continue
            fixed = re.split(r"%\(?\w*\)?s", entry.msgid)  # the parts around placeholders
            longest = max(fixed, key=len).strip()
            if len(longest) >= 8 and re.search(r"(?<!\w)" + re.escape(longest) + r"(?!\w)", text):
                leftovers.append(entry.msgid)
    return leftovers


def test_whole_ui_in_french_then_english(open_browser, phare_server):
    person = open_browser(unique("jules"), locale="fr-FR")
    page = person.page
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Créer un compte")).to_be_visible()
    assert english_left_over(page) == []
    person.shot("fr-signup")

    # Sign-up in French, and a refusal in French (the pseudonym is taken).
    taken = phare_server.api_user()
    taken_name = unique("pris")
    assert taken.call("POST", "/api/v1/accounts/signup",
                      {"pseudonym": taken_name, "password": PASSWORD, "birthdate": birthdate(30)})[0] == 201
    page.get_by_label("Pseudonyme").first.fill(taken_name)
    page.get_by_label("Mot de passe").first.fill(PASSWORD)
    page.get_by_label("Date de naissance").fill(birthdate(30))
    page.get_by_role("button", name="S'inscrire").click()
    expect(page.locator("#signup-error")).to_have_text("Ce pseudonyme est déjà pris. Essaie-en un autre.")
    page.get_by_label("Pseudonyme").first.fill(person.pseudonym)
    page.get_by_role("button", name="S'inscrire").click()
    expect(page.locator("#whoami")).to_have_text(person.pseudonym)
    expect(page.get_by_role("link", name=f"Ton compte: {person.pseudonym}")).to_be_visible()

    # The chat screen: sidebar, room states, slow mode, the composer, a dialog.
    expect(page.get_by_role("heading", name="Salons")).to_be_visible()
    expect(page.locator("#room-list")).to_contain_text("mode lent : un message toutes les 30 secondes")
    page.locator("#room-list").get_by_role("button", name=re.compile("Slow room")).click()
    page.locator("#composer").get_by_label("Message").fill("Bonsoir")
    page.keyboard.press("Enter")
    expect(page.locator("#composer-send")).to_have_text(re.compile(r"^Attends \d+ s$"))
    expect(page.locator("#composer-wait")).to_contain_text("Mode lent : tu pourras envoyer ton prochain message dans")
    page.get_by_role("button", name="Nouveau message privé").click()
    dialog = page.locator("#dm-dialog")
    dialog.get_by_label("Pseudonyme de la personne").fill("personne_inconnue")
    dialog.get_by_label("Message").fill("Bonjour")
    dialog.get_by_role("button", name="Envoyer la demande").click()
    expect(dialog.locator("#dm-error")).not_to_be_empty()
    assert english_left_over(page) == []
    person.shot("fr-chat")
    dialog.get_by_role("button", name="Annuler").click()

    # Switch to English at the top: everything follows, including the script's strings.
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#whoami")).to_have_text(person.pseudonym)
    expect(page.get_by_role("heading", name="Rooms")).to_be_visible()
    expect(page.locator("#room-list")).to_contain_text("slow mode: one message every 30 seconds")
    expect(page.get_by_role("button", name="New private message")).to_be_visible()
    person.shot("en-chat")

    # And back to French: the choice sticks across pages.
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("#whoami")).to_have_text(person.pseudonym)
    expect(page.get_by_role("link", name=f"Ton compte: {person.pseudonym}")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Salons")).to_be_visible()
    assert english_left_over(page) == []
    assert person.page_errors == []
