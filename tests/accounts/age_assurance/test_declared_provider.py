from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from accounts.age_assurance import AssuranceError, AssuranceResult
from accounts.age_assurance.declared import DeclaredProvider

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def declare(birthdate: object, now: datetime = NOW) -> AssuranceResult:
    return DeclaredProvider().complete(
        payload={"birthdate": birthdate}, expected_nonce=None, now=now
    )


@pytest.mark.parametrize(
    ("birthdate", "band", "band_until"),
    [
        ("2013-11-28", "13-15", date(2029, 11, 28)),  # 13 today
        ("2010-11-29", "13-15", date(2026, 11, 29)),  # 16 tomorrow
        ("2010-11-28", "16-17", date(2028, 11, 28)),  # 16 today
        ("2008-11-29", "16-17", date(2026, 11, 29)),  # 18 tomorrow
        ("2008-11-28", "18+", None),  # 18 today
        ("1950-01-01", "18+", None),
    ],
)
def test_bands_at_the_boundaries(birthdate: str, band: str, band_until: date | None) -> None:
    result = declare(birthdate)
    assert result.age_band == band
    assert result.band_until == band_until
    assert result.level == "declared"
    assert result.method == "self_declaration"
    assert result.provider == "declared"
    assert result.assured_at == NOW


@pytest.mark.parametrize("birthdate", ["2013-11-29", "2020-01-01", "2026-11-28"])
def test_under_13_is_refused(birthdate: str) -> None:
    with pytest.raises(AssuranceError) as err:
        declare(birthdate)
    assert err.value.code == "age_below_minimum"


def test_29_february_birthdays() -> None:
    # Born 29 February 2012: 16 on 29 February 2028, a leap year.
    assert declare("2012-02-29", datetime(2028, 2, 28, tzinfo=UTC)).age_band == "13-15"
    assert declare("2012-02-29", datetime(2028, 2, 29, tzinfo=UTC)).age_band == "16-17"
    # 18 in 2030, a common year: counted from 1 March.
    result = declare("2012-02-29", datetime(2030, 2, 28, tzinfo=UTC))
    assert (result.age_band, result.band_until) == ("16-17", date(2030, 3, 1))
    assert declare("2012-02-29", datetime(2030, 3, 1, tzinfo=UTC)).age_band == "18+"


@pytest.mark.parametrize(
    ("birthdate", "code"),
    [
        ("2027-01-01", "birthdate_invalid"),  # in the future
        ("1890-01-01", "birthdate_invalid"),  # older than anyone
        ("2010-02-30", "birthdate_invalid"),
        ("20100101", "birthdate_invalid"),
        ("01/02/2010", "birthdate_invalid"),
        ("", "birthdate_invalid"),
        (None, "payload_invalid"),
        (20100101, "payload_invalid"),
    ],
)
def test_bad_birthdates(birthdate: object, code: str) -> None:
    with pytest.raises(AssuranceError) as err:
        declare(birthdate)
    assert err.value.code == code


def test_declared_is_signup_only_and_needs_no_nonce() -> None:
    provider = DeclaredProvider()
    assert provider.signup_only and not provider.requires_nonce and provider.available()
    assert provider.claimed_nonce({"birthdate": "2000-01-01"}) is None
    assert provider.start(nonce="x") == {"provider": "declared", "fields": ["birthdate"]}


def test_operator_may_raise_the_minimum_age() -> None:
    provider = DeclaredProvider(min_age=15)
    result = provider.complete(payload={"birthdate": "2011-11-28"}, expected_nonce=None, now=NOW)
    assert result.age_band == "13-15"  # 15 today
    with pytest.raises(AssuranceError) as err:  # 14
        provider.complete(payload={"birthdate": "2012-11-28"}, expected_nonce=None, now=NOW)
    assert err.value.code == "age_below_minimum"
    with pytest.raises(ValueError):
        DeclaredProvider(min_age=12)
