"""The console's queue in a browser: the total, the next page by its link (no inline script),
and a filtered view that keeps out the live cases its filters do not select."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_up, unique

pytestmark = pytest.mark.e2e

# Sixty open cases about made-up accounts: more than one console page (50).
MAKE_CASES = """
from moderation.models import Case
base = 7_000_000 + Case.objects.count() * 100
Case.objects.bulk_create([Case(subject_type="user", subject_id=base + i, category="other", priority=i % 5)
                          for i in range(60)])
"""

# Two cases told to the moderators' sockets as triage does: a hate case, then a spam case.
TELL_CASES = """
from django.db import transaction
from moderation.models import Case
from moderation.services.notify import tell_moderators
for category in ("hate", "spam"):
    with transaction.atomic():
        case = Case.objects.create(subject_type="user", subject_id=8_000_000 + Case.objects.count(),
                                   category=category, priority=90)
        tell_moderators(case)
    print(category, case.pk)
"""


def test_queue_pages_and_a_filtered_view_keeps_out_what_it_does_not_select(open_browser, phare_server):
    moderator = open_browser(unique("mod"))
    sign_up(moderator, age=40)
    phare_server.manage("grantrole", moderator.pseudonym, "moderator")
    phare_server.manage("shell", "-c", MAKE_CASES)
    page = moderator.page

    page.goto(phare_server.url + "/moderation/?status=open")
    total = int(page.locator("#queue-total").get_attribute("data-total"))
    assert total >= 60
    first = page.locator("#queue tr[data-case]").evaluate_all("rows => rows.map(r => r.dataset.case)")
    assert len(first) == 50
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"[?&]cursor="))
    second = page.locator("#queue tr[data-case]").evaluate_all("rows => rows.map(r => r.dataset.case)")
    assert second and not set(first) & set(second)
    expect(page.locator("#queue-total")).to_have_attribute("data-total", str(total))
    page.get_by_role("link", name="First page").click()
    assert page.locator("#queue tr[data-case]").evaluate_all("rows => rows.map(r => r.dataset.case)") == first

    # A view of spam cases: the live hate case stays out, the spam case told after it comes in.
    page.goto(phare_server.url + "/moderation/?category=spam")
    expect(page.locator("#live")).to_have_attribute("data-state", "on")
    told = dict(line.split() for line in phare_server.manage("shell", "-c", TELL_CASES).strip().splitlines()[-2:])
    expect(page.locator(f'#queue tr[data-case="{told["spam"]}"]')).to_be_visible()
    expect(page.locator(f'#queue tr[data-case="{told["hate"]}"]')).to_have_count(0)
    # Unfiltered, both are listed.
    page.goto(phare_server.url + "/moderation/")
    for case_id in told.values():
        expect(page.locator(f'#queue tr[data-case="{case_id}"]')).to_have_count(1)
