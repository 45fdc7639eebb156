"""A person sees their strikes on the account page: the rule broken, its weight, when it was
given and until when it counts, and the next step of the escalation ladder; someone without a
strike is told they have none. A moderator confirms the step strikes reached from the
console's case page. The strikes come from moderators' real decisions."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import audit
from tests.e2e.conftest import PASSWORD, sign_up, unique
from tests.e2e.screens import LOCALES, Watch, assert_no_sideways_scroll

pytestmark = pytest.mark.e2e

# The rule as the notices state it (rules.REASON_GROUNDS), in each language.
HARASSMENT = {"en": "Harassing, insulting or intimidating people is forbidden.",
              "fr": "Harceler, insulter ou intimider est interdit."}


def decide_a_strike_against(server, pseudonym: str) -> None:
    """A reporter files a harassment report about `pseudonym` and a moderator warns them,
    through the services the console and the API call (a warning records a strike)."""
    moderator, reporter = unique("mod"), unique("rep")
    server.manage("shell", "-c", "\n".join([
        "import datetime as dt",
        "from accounts.models import User",
        "from accounts.services import grant_role, sign_up",
        "from moderation.services.decide import decide_case",
        "from moderation.services.report import file_report",
        f"for name in ({moderator!r}, {reporter!r}):",
        f"    sign_up(pseudonym=name, password={PASSWORD!r}, birthdate=dt.date(1980, 1, 1), ip=None)",
        f"grant_role(pseudonym={moderator!r}, role='moderator')",
        f"subject = User.objects.get(pseudonym={pseudonym!r})",
        f"report = file_report(reporter=User.objects.get(pseudonym={reporter!r}),",
        "                     target={'user': str(subject.pk)}, category='harassment', details='',",
        "                     good_faith=True)",
        f"decide_case(moderator=User.objects.get(pseudonym={moderator!r}), case_id=report.case_id,",
        "            action='warn', reason_code='harassment')",
    ]))


@pytest.mark.parametrize("lang", LOCALES)
def test_a_person_sees_their_strike_with_its_reason_and_expiry(open_browser, phare_server, lang):
    person = open_browser(unique("str"), locale=LOCALES[lang])
    page = person.page
    watch = Watch(page)
    page.goto(phare_server.url + "/")
    sign_up(person, age=30)

    page.goto(phare_server.url + "/account/")
    expect(page.locator("#strikes-none")).to_be_visible()
    expect(page.locator("#strikes-list")).to_be_hidden()
    expect(page.locator("#strikes-next")).to_be_hidden()  # no next step shown to someone without strikes

    decide_a_strike_against(phare_server, person.pseudonym)
    page.reload()
    strike = page.locator("#strikes-list li")
    expect(strike).to_have_count(1)
    expect(page.locator("#strikes-none")).to_be_hidden()
    expect(strike.locator(".reason")).to_have_text(HARASSMENT[lang])
    expect(strike.locator(".weight")).to_have_text("2")
    # The dates are the API's, written in the page's language.
    record = json.loads(page.evaluate("fetch('/api/v1/me/strikes').then((r) => r.text())"))
    expires = strike.locator("time.expires")
    expect(expires).to_have_attribute("datetime", record["strikes"][0]["expires_at"])
    expect(expires).to_contain_text(record["strikes"][0]["expires_at"][:4])
    expect(strike.locator("time.created")).to_have_attribute("datetime", record["strikes"][0]["created_at"])
    expect(page.locator("#strikes-total .value")).to_have_text("2")
    # Harassment weighs 2, the warning's threshold: the next step is the 24-hour mute at 4.
    expect(page.locator("#strikes-next .threshold")).to_have_text("4")
    expect(page.locator("#strikes-next .step")).to_have_text(record["next_step"]["text"])
    expect(page.locator("#strikes-error")).to_be_hidden()
    assert_no_sideways_scroll(page)
    assert audit(page) == [], "account page with a strike"
    person.shot(f"account-strikes-{lang}")
    watch.assert_clean()
    assert person.page_errors == []


def test_a_moderator_confirms_the_step_strikes_reached_from_the_case_page(open_browser, phare_server):
    subject = unique("sub")
    phare_server.manage("shell", "-c", "import datetime as dt; from accounts.services import sign_up; "
                        f"sign_up(pseudonym={subject!r}, password={PASSWORD!r}, birthdate=dt.date(1990, 1, 1), ip=None)")
    decide_a_strike_against(phare_server, subject)
    decide_a_strike_against(phare_server, subject)  # harassment twice: 4, the 24-hour mute's step
    case_id = phare_server.manage("shell", "-c", "from moderation.models import Escalation; "
                                  f"print(Escalation.objects.get(user__pseudonym={subject!r}).case_id)").split()[-1]

    moderator = open_browser(unique("mod"))
    sign_up(moderator, age=40)
    phare_server.manage("grantrole", moderator.pseudonym, "moderator")
    page = moderator.page
    watch = Watch(page)
    page.goto(f"{phare_server.url}/moderation/cases/{case_id}/")
    step = page.locator("section.escalation")
    expect(step).to_contain_text("Proposed step of the escalation ladder")
    expect(page.locator("section.subject-strikes li")).to_have_count(2)
    # One click brings the sanction's confirmation, its reason and note already filled in.
    step.get_by_role("button", name="Confirm: mute for 1 day(s)").click()
    form = page.locator("#confirm-sanction")
    expect(form).to_be_visible()
    expect(form.locator("textarea[name=note]")).to_have_value("Escalation ladder: the step for a weight of 4.")
    expect(form.locator("select[name=reason_code]")).to_have_value("harassment")
    assert audit(page) == [], "console: a proposed step"
    moderator.shot("console-strike-step")
    form.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#decide-result")).to_contain_text("muted")
    muted = phare_server.manage("shell", "-c", "from accounts.models import User; "
                                f"print(User.objects.get(pseudonym={subject!r}).is_muted())").split()[-1]
    assert muted == "True"
    watch.assert_clean()
    assert moderator.page_errors == []
