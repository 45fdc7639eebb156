"""The age-band contact matrix (accounts/policies.py): within a band people talk directly; by
default 13-15 ↔ 16-17 and 16-17 ↔ 18+ are open to trusted connections only (across bands a
pair the matrix opens still needs one: chat.services.trusted), never 13-15 ↔ 18+; operators
may close a pair or reopen it, never 13-15 ↔ 18+."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import AgeBand, ContactRule
from accounts.policies import (
    NEVER_IN_CONTACT,
    audience_bands,
    bump_contact_version,
    default_may_contact,
    may_contact,
    needs_trusted_connection,
)
from core.errors import PhareError

YOUNG, OLDER, ADULT = AgeBand.YOUNG_TEEN.value, AgeBand.OLDER_TEEN.value, AgeBand.ADULT.value
BANDS = (YOUNG, OLDER, ADULT)


@pytest.fixture
def fresh_matrix(db):
    # The matrix is kept in process for two seconds: a rule a test wrote (rolled back with
    # its transaction) must not outlive it.
    bump_contact_version()
    yield
    bump_contact_version()


@pytest.mark.parametrize("band_a", BANDS)
@pytest.mark.parametrize("band_b", BANDS)
def test_by_default_every_pair_but_adults_and_under_16s_is_open(band_a: str, band_b: str) -> None:
    assert default_may_contact(band_a, band_b) is ({band_a, band_b} != {YOUNG, ADULT})


@pytest.mark.parametrize("band_a", BANDS)
@pytest.mark.parametrize("band_b", BANDS)
def test_across_bands_an_open_pair_still_needs_a_trusted_connection(band_a: str, band_b: str) -> None:
    assert needs_trusted_connection(band_a, band_b) is (band_a != band_b)


@pytest.mark.usefixtures("fresh_matrix")
@pytest.mark.parametrize("band_a", BANDS)
@pytest.mark.parametrize("band_b", BANDS)
def test_the_matrix_without_rules_is_the_default(band_a: str, band_b: str) -> None:
    assert may_contact(band_a, band_b) is default_may_contact(band_a, band_b)


def test_rooms_still_go_by_audience_with_both_minor_bands_together() -> None:
    assert audience_bands("minors") == {YOUNG, OLDER}
    assert audience_bands("adults") == {ADULT}


@pytest.mark.usefixtures("fresh_matrix")
def test_an_operator_may_close_the_two_minor_bands_to_each_other_both_ways_and_reopen_them() -> None:
    services.set_contact_rule(actor=None, band_a=OLDER, band_b=YOUNG, allowed=False)
    assert not may_contact(OLDER, YOUNG) and not may_contact(YOUNG, OLDER)
    assert may_contact(ADULT, OLDER)  # closing one pair closes no other
    services.set_contact_rule(actor=None, band_a=YOUNG, band_b=OLDER, allowed=True)
    assert may_contact(OLDER, YOUNG) and may_contact(YOUNG, OLDER)
    assert not may_contact(ADULT, YOUNG)


@pytest.mark.usefixtures("fresh_matrix")
def test_adults_and_older_teens_may_be_closed_by_an_operator() -> None:
    services.set_contact_rule(actor=None, band_a=ADULT, band_b=OLDER, allowed=False)
    assert not may_contact(ADULT, OLDER) and not may_contact(OLDER, ADULT)
    assert may_contact(OLDER, YOUNG)


@pytest.mark.usefixtures("fresh_matrix")
def test_adults_and_under_16s_can_never_be_opened_by_a_rule() -> None:
    assert (ADULT, YOUNG) in NEVER_IN_CONTACT and (YOUNG, ADULT) in NEVER_IN_CONTACT
    with pytest.raises(PhareError) as refused:
        services.set_contact_rule(actor=None, band_a=YOUNG, band_b=ADULT, allowed=True)
    assert refused.value.extra == {"field": "allowed", "reason": "never_allowed"}
    assert not ContactRule.objects.exists()
    assert not may_contact(ADULT, YOUNG)


@pytest.mark.usefixtures("fresh_matrix")
def test_a_row_written_around_the_service_still_opens_nothing_between_adults_and_under_16s() -> None:
    ContactRule.objects.create(band_a=YOUNG, band_b=ADULT, allowed=True)
    bump_contact_version()
    assert not may_contact(ADULT, YOUNG) and not may_contact(YOUNG, ADULT)
