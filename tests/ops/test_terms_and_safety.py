"""Public terms generated from the enabled policies, and the safety centre."""

import re

import pytest
from django.apps import apps
from django.test import Client

from moderation import gate
from moderation.models import ScreeningTerm
from moderation.policy import REASON_CODES
from moderation.policy.screening import CATEGORY_REASON, SIGNAL_CATEGORY
from moderation.seeds import load_seed_terms
from ops import terms

pytestmark = [pytest.mark.django_db]


def codes_on(path: str) -> set[str]:
    html = Client().get(path).content.decode()
    return set(re.findall(r'data-code="([a-z_]+)"', html))


def enabled_detectors() -> set[str]:
    """Computed here from the gate itself, not from ops.terms, so that the test can fail."""
    snapshot = gate.current_snapshot()
    categories = {t.category for t in snapshot.terms if t.enabled and not t.observe_only}
    codes = set(SIGNAL_CATEGORY)  # detectors in code: contact, meeting, solicitation, ages
    codes |= {reason for category, reason in CATEGORY_REASON.items() if category in categories}
    codes |= {"name_not_allowed", "grooming_risk"}
    try:  # the image pipeline, when installed, matches every upload against hash banks
        apps.get_model("moderation", "HashBank")
        codes.add("image_hash_match")
    except LookupError:
        pass
    return codes


@pytest.mark.parametrize("path", ["/terms/", "/terms/simple/"])
def test_every_enabled_detector_is_listed_in_the_terms(path):
    listed = codes_on(path)
    missing = enabled_detectors() - listed
    assert not missing, f"enabled detectors missing from {path}: {sorted(missing)}"
    # The conversation score's own signals are listed under it.
    assert set(terms.GROOMING_SIGNALS) <= listed


def test_every_reason_code_of_the_gate_has_a_public_description():
    assert terms.undescribed_reason_codes() == set()
    assert set(terms.DESCRIPTIONS) <= set(REASON_CODES), "terms describe codes the gate lost"


def test_image_matching_names_the_active_fingerprint_banks():
    HashBank = apps.get_model("moderation", "HashBank")
    HashBank.objects.create(name="csam-programme", category="child_safety")
    HashBank.objects.create(name="old-bank", category="terrorism", active=False)
    image = {m.code: m for m in terms.automated_measures()}["image_hash_match"]
    assert str(HashBank.Category("child_safety").label) in str(image.note)
    assert str(HashBank.Category("terrorism").label) not in str(image.note)


def test_a_term_category_switched_off_by_operators_leaves_the_terms():
    assert "drugs" in codes_on("/terms/")
    for entry in load_seed_terms():
        if entry.category == "drugs":
            ScreeningTerm.objects.get_or_create(term=entry.term, category="drugs", kind=entry.kind,
                                                defaults={"enabled": False})
    gate.bump_policy_version()
    assert "drugs" not in codes_on("/terms/")
    assert "drugs" not in codes_on("/terms/simple/")


def test_terms_state_what_each_measure_does_where_from_the_gates_decisions():
    measures = {m.code: m for m in terms.automated_measures()}
    phone = measures["contact_phone"].decisions
    assert phone["minors"] == "block" and phone["dm_request"] == "block"
    # Between adults contact details are delivered, and a moderator sees them.
    assert phone["adults_dm"] == "flag"
    assert measures["sexual_content_minor"].decisions["adults_room"] == "escalate"
    api = Client().get("/api/v1/terms").json()
    assert {m["code"] for m in api["automated_measures"]} == set(measures)
    assert len(api["human_review"]) >= 4


def test_terms_list_the_human_review_steps_and_appeals():
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/terms/").content.decode()
    assert 'id="human-review"' in html
    assert "different moderator" in html


def test_safety_centre_shows_helplines_first_and_prominently_to_minors(make_user):
    from accounts.models import AgeBand

    client = Client()
    client.force_login(make_user(AgeBand.YOUNG_TEEN, "tom_k"))
    html = client.get("/safety/").content.decode()
    for number in ("3018", "119", "internet-signalement.gouv.fr"):
        assert number in html
    assert "helplines prominent" in html
    assert html.index('id="help"') < html.index('id="report"')


def test_safety_centre_for_adults_has_the_helplines_after_the_reporting_guide(make_user):
    client = Client()
    client.force_login(make_user(pseudonym="alice"))
    html = client.get("/safety/").content.decode()
    assert html.index('id="report"') < html.index('id="help"') and "3018" in html
    assert 'data-category="child_safety"' in html and 'id="next"' in html


def test_safety_centre_is_in_french_by_default_and_in_english_on_request():
    french = Client().get("/safety/").content.decode()
    assert "Signaler" in french or "signaler" in french
    english = Client()
    english.cookies["django_language"] = "en"
    assert "How to report" in english.get("/safety/").content.decode()


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle=|\son[a-z]+=", re.I)


@pytest.mark.parametrize("path", ["/safety/", "/terms/", "/terms/simple/"])
def test_public_pages_have_no_inline_style_or_script(path):
    html = Client().get(path).content.decode()
    assert not INLINE.search(html), INLINE.search(html)
    assert "/static/ops/pages.css" in html


def test_safety_centre_links_to_the_controls_that_exist(make_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(pseudonym="carla"))
    html = client.get("/safety/").content.decode()
    controls = html[html.index('id="controls"'):]
    for control in ("control-mute", "control-block", "control-requests", "control-account"):
        assert f'id="{control}"' in controls
    # Every link on the page leads somewhere that answers.
    for href in set(re.findall(r'<a\b[^>]*\bhref="(/[^"#]*)', html)):
        assert client.get(href).status_code == 200, href
    # No profile page or room menu: the page no longer sends people to them.
    assert "profile" not in html and "room's menu" not in html


def test_account_page_needs_a_sign_in_and_offers_download_log_out_and_delete(make_user):
    response = Client().get("/account/")
    assert response.status_code == 302 and response["Location"] == "/?next=%2Faccount%2F"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(pseudonym="dora_k"))
    html = client.get("/account/").content.decode()
    assert "dora_k" in html
    for control in ('id="export-link"', 'href="/api/v1/me/export"', 'id="logout"', 'id="delete-start"',
                    'id="delete-confirm"'):
        assert control in html
    assert not INLINE.search(html)
