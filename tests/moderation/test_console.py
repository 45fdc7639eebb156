"""The moderator console: moderators only, CSP-ready pages, user text escaped, reads audited."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from moderation.services.report import file_report
from moderation.services.triage import triage_report
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def evil_case(make_user, adults_room, post):
    author = make_user(pseudonym="evil_author")
    message = post(author, adults_room, EVIL)
    report = file_report(reporter=make_user(pseudonym="evil_rep"), target={"message": str(message.pk)},
                         category="hate", details=EVIL, good_faith=True)
    triage_report(report_id=report.pk)
    return report.case


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+=", html.replace("onerror=alert(1)&gt;", "")), "inline handler"
    assert "style=" not in html


@pytest.mark.parametrize("path", ["/moderation/", "/moderation/cases/{id}/", "/moderation/transparency/"])
def test_console_pages_are_404_for_ordinary_users(evil_case, adult, path):
    assert _client(adult).get(path.format(id=evil_case.pk)).status_code == 404


@pytest.mark.parametrize("path", ["/moderation/", "/moderation/cases/{id}/", "/moderation/transparency/"])
def test_a_signed_out_visit_leads_to_the_log_in_and_back(evil_case, path):
    response = Client().get(path.format(id=evil_case.pk))
    assert response.status_code == 401
    html = response.content.decode()
    login = re.search(r'id="sign-in-link"[^>]*href="([^"]+)"', html)
    assert login and login.group(1).startswith("/?next=%2Fmoderation%2F")
    assert "evil_author" not in html and "data-case" not in html
    _no_inline_script(html)


def test_console_shows_labels_local_dates_and_pseudonyms(evil_case, moderator, make_user):
    from moderation.services.claim import claim_case

    claim_case(moderator=moderator, case_id=evil_case.pk)
    client = _client(moderator)
    english = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(rf'<tr data-case="{evil_case.pk}".*?</tr>', english, re.S).group(0)
    assert f">{moderator.pseudonym}<" in row  # not the account's id
    assert re.search(r'class="status"[^>]*>claimed<', row)
    assert not re.search(r">\s*\d{4}-\d\d-\d\dT", english), "an ISO date is shown as it is"
    french = client.get(f"/moderation/cases/{evil_case.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "haine" in french  # the category "hate", in French
    assert f">{moderator.pseudonym}<" in french
    assert not re.search(r">\s*\d{4}-\d\d-\d\dT", french)


def test_queue_page_lists_cases_without_inline_script(evil_case, moderator):
    response = _client(moderator).get("/moderation/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-case="{evil_case.pk}"' in html
    assert "moderation/console.js" in html
    _no_inline_script(html)


def test_case_page_escapes_user_text_blurs_images_and_audits_the_read(evil_case, moderator):
    response = _client(moderator).get(f"/moderation/cases/{evil_case.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert EVIL not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    _no_inline_script(html)
    assert AuditEntry.objects.filter(action="evidence.read", target_id=str(evil_case.pk), actor=moderator).exists()


def test_console_speaks_english_and_french(evil_case, moderator):
    client = _client(moderator)
    french = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Pending appeals" in english
    assert "Pending appeals" not in french


def test_console_script_never_assigns_html():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "moderation/static/moderation/console.js").read_text()
    assert "innerHTML" not in source and "outerHTML" not in source and "insertAdjacentHTML" not in source
