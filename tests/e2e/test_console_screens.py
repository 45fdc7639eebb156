"""The moderator console as a moderator uses it, in French and English, on a wide screen and
on a phone: a signed-out visit leads to the log-in and back; the queue and the case speak in
labels, local dates and pseudonyms; a sanction asks for a reason and a confirmation in the
page; a case the moderator is part of offers no control; nothing overflows sideways, nothing is
refused by the CSP, no native dialog opens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import audit
from tests.e2e.conftest import PASSWORD, sign_up, unique
from tests.e2e.screens import LOCALES, SIZES, Watch, assert_no_sideways_scroll, assert_within_width

pytestmark = pytest.mark.e2e

# Two open cases near the top of the queue: one about a new account, one about the moderator.
MAKE_CASES = """
import datetime as dt
from django.utils import timezone
from accounts.models import User
from accounts.services import sign_up
from moderation.models import Case
moderator = User.objects.get(pseudonym={moderator!r})
author = sign_up(pseudonym={author!r}, password="correct horse battery", birthdate=dt.date(1990, 1, 1), ip=None)
due = timezone.now() + dt.timedelta(hours=4)
case = Case.objects.create(subject_type="user", subject_id=author.pk, subject_user=author, category="harassment",
                           priority=119, sla_due_at=due)
own = Case.objects.create(subject_type="user", subject_id=moderator.pk, subject_user=moderator, category="hate",
                          priority=119, sla_due_at=due)
print(case.pk, own.pk)
"""

WORDS = {
    "fr": {"login": "Se connecter", "claim": "Prendre", "open": "Ouvrir", "ban": "Bannir",
           "harassment": "harcèlement", "hate": "haine", "recused": "Attribué à un autre modérateur", "banned": "compte banni"},
    "en": {"login": "Log in", "claim": "Claim", "open": "Open", "ban": "Ban",
           "harassment": "harassment", "hate": "hate", "recused": "Assigned to another moderator", "banned": "account banned"},
}
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
def test_console_in_the_moderators_language_on_every_width(open_browser, phare_server, lang, size):
    words = WORDS[lang]
    account = open_browser(unique("mod"), locale=LOCALES[lang], viewport=SIZES[size])
    sign_up(account, age=40)
    phare_server.manage("grantrole", account.pseudonym, "moderator")
    author = unique("subj")
    case_id, own_id = phare_server.manage(
        "shell", "-c", MAKE_CASES.format(moderator=account.pseudonym, author=author)).split()[-2:]

    # Signed out, the console leads to the log-in, and the log-in back to the console.
    visitor = open_browser(account.pseudonym, locale=LOCALES[lang], viewport=SIZES[size])
    page = visitor.page
    watch = Watch(page)
    page.goto(phare_server.url + "/moderation/?status=open")
    page.get_by_role("link", name=words["login"]).click()
    page.locator("#login-pseudonym").fill(account.pseudonym)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/moderation/\?status=open$"))
    expect(page.locator("#live")).to_have_attribute("data-state", "on")

    # The queue: labels, not codes; the moderator's own case shown with no control at all.
    row = page.locator(f'#queue tr[data-case="{case_id}"]')
    expect(row.locator("td.category")).to_have_text(words["harassment"])
    own = page.locator(f'#queue tr[data-case="{own_id}"]')
    expect(own.locator("td.assigned")).to_have_text(words["recused"])
    expect(own.locator("input, button, a")).to_have_count(0)
    row.get_by_role("button", name=words["claim"]).click()
    expect(row.locator("td.assigned")).to_have_text(account.pseudonym)  # a name, not an id
    assert not ISO_DATE.search(page.locator("main").inner_text())
    assert_no_sideways_scroll(page)
    assert_within_width(page, "#queue tr[data-case]", "#bulk", ".bar")
    visitor.shot(f"console-queue-{lang}-{size}")

    # A ban asks for a reason and a confirmation in the page; nothing is decided before.
    row.get_by_role("link", name=words["open"]).click()
    expect(page.locator("#case")).to_have_attribute("data-case", case_id)
    expect(page.locator(".assigned")).to_have_text(account.pseudonym)
    page.get_by_role("button", name=words["ban"], exact=True).click()
    confirm = page.locator("#confirm-sanction")
    expect(confirm).to_be_visible()
    expect(confirm.locator("#confirm-sanction-summary")).to_contain_text(words["banned"])
    confirm.locator("button[type=submit]").click()
    expect(confirm.locator("#confirm-sanction-error")).not_to_be_empty()
    expect(page.locator("#case .status")).to_have_attribute("data-status", "claimed")
    assert audit(page) == [], "sanction confirmation"
    visitor.shot(f"console-confirm-ban-{lang}-{size}")
    confirm.locator("textarea[name=note]").fill("Insultes répétées / repeated insults")
    confirm.locator("button[type=submit]").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#case .status")).to_have_attribute("data-status", "decided")
    expect(page.locator("#decide-result")).to_contain_text(words["banned"])
    assert not ISO_DATE.search(page.locator("main").inner_text())
    assert_no_sideways_scroll(page)

    # The overview and the transparency report: charts drawn on the server, inside the width.
    for path, name in (("/moderation/overview/", "console-overview"), ("/moderation/transparency/", "console-transparency")):
        page.goto(phare_server.url + path)
        expect(page.locator("figure.chart svg").first).to_be_visible()
        assert_no_sideways_scroll(page)
        assert_within_width(page, "figure.chart")
        assert audit(page) == [], path
        visitor.shot(f"{name}-{lang}-{size}")
    page.goto(phare_server.url + "/moderation/overview/")
    hate = page.locator("figure.chart").first.locator(f'g.bar[data-label="{words["hate"]}"]')
    assert int(hate.get_attribute("data-count")) >= 1  # the moderator's own case, still open

    # The moderator's own case: the page says someone else handles it, with nothing to press.
    page.goto(phare_server.url + f"/moderation/cases/{own_id}/")
    expect(page.locator("article.recused")).to_be_visible()
    expect(page.locator("main button")).to_have_count(0)
    assert_no_sideways_scroll(page)
    watch.assert_clean()
    assert visitor.page_errors == []
