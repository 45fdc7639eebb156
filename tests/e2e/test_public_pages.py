"""The safety centre, the terms and the account page in a browser, in French and English, wide
and on a phone: styled from a static file under the strict CSP (the browser reports no
violation), nothing wider than the window, the safety centre's links lead to the controls it
describes, and deleting an account is confirmed in the page, never with a native dialog."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import audit
from tests.e2e.conftest import sign_up, unique
from tests.e2e.screens import LOCALES, SIZES, Watch, assert_in_view, assert_no_sideways_scroll

pytestmark = pytest.mark.e2e

WORDS = {
    "fr": {"account": "Ton compte", "delete": "Supprimer mon compte", "keep": "Garder mon compte",
           "yes": "Oui, supprimer mon compte", "controls": "Tes contrôles"},
    "en": {"account": "Your account", "delete": "Delete my account", "keep": "Keep my account",
           "yes": "Yes, delete my account", "controls": "Your controls"},
}
TOPBAR = "rgb(13, 34, 56)"  # ops/static/ops/pages.css: the page is styled only if the file applied


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
def test_safety_centre_terms_and_account_page(open_browser, phare_server, lang, size):
    words = WORDS[lang]
    person = open_browser(unique("acc"), locale=LOCALES[lang], viewport=SIZES[size])
    page = person.page
    watch = Watch(page)
    page.goto(phare_server.url + "/")  # the watch listens from this load on
    sign_up(person, age=30)

    for path, name in (("/terms/", "terms"), ("/terms/simple/", "terms-simple"), ("/safety/", "safety")):
        page.goto(phare_server.url + path)
        expect(page.locator("header.site")).to_have_css("background-color", TOPBAR)
        assert page.locator("html").get_attribute("lang") == lang
        assert_no_sideways_scroll(page)
        assert audit(page) == [], path
        person.shot(f"{name}-{lang}-{size}")

    # The safety centre's controls, each where it says, and the account page one link away.
    controls = page.locator("#controls + ul")
    for control in ("control-mute", "control-block", "control-requests", "control-account"):
        expect(controls.locator(f"#{control}")).to_be_visible()
    controls.get_by_role("link", name=words["account"]).click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator("#account-who")).to_contain_text(person.pseudonym)
    assert_no_sideways_scroll(page)
    assert audit(page) == [], "account page"
    person.shot(f"account-{lang}-{size}")

    # Deleting asks in the page; keeping the account undoes the question.
    page.get_by_role("button", name=words["delete"]).click()
    expect(page.locator("#delete-confirm")).to_be_visible()
    assert_in_view(page, "#delete-yes", "#delete-no")
    page.get_by_role("button", name=words["keep"]).click()
    expect(page.locator("#delete-confirm")).to_be_hidden()
    page.get_by_role("button", name=words["delete"]).click()
    page.get_by_role("button", name=words["yes"]).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#auth")).to_be_visible()
    page.goto(phare_server.url + "/account/")
    expect(page).to_have_url(re.compile(r"/\?next=%2Faccount%2F$"))
    watch.assert_clean()
    assert person.page_errors == []
