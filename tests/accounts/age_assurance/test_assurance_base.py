from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accounts.age_assurance import (AgeBand, AssuranceError, AssuranceLevel, AssuranceMethod,
                                    AssuranceResult, band_for_age, level_at_least)
from accounts.age_assurance.base import ERROR_MESSAGES


def test_levels_are_ordered_by_strength_not_alphabet() -> None:
    assert AssuranceLevel.DECLARED < AssuranceLevel.ESTIMATED < AssuranceLevel.VERIFIED
    assert AssuranceLevel.VERIFIED > "estimated"
    assert sorted(["verified", "declared", "estimated"], key=AssuranceLevel) == [
        "declared",
        "estimated",
        "verified",
    ]
    assert max(AssuranceLevel.ESTIMATED, AssuranceLevel.VERIFIED) is AssuranceLevel.VERIFIED
    # Still plain strings for storage and JSON.
    assert AssuranceLevel.ESTIMATED == "estimated"
    assert {AssuranceLevel.VERIFIED: 1}["verified"] == 1


@pytest.mark.parametrize(
    ("have", "need", "ok"),
    [
        ("declared", "declared", True),
        ("declared", "estimated", False),
        ("estimated", "estimated", True),
        ("estimated", "verified", False),
        ("verified", "estimated", True),
        (AssuranceLevel.VERIFIED, "declared", True),
    ],
)
def test_level_at_least(have: str, need: str, ok: bool) -> None:
    assert level_at_least(have, need) is ok


def test_level_at_least_refuses_unknown_levels() -> None:
    with pytest.raises(ValueError):
        level_at_least("trusted", "declared")


@pytest.mark.parametrize(
    ("years", "band"),
    [(13, "13-15"), (15, "13-15"), (16, "16-17"), (17, "16-17"), (18, "18+"), (77, "18+")],
)
def test_band_for_age(years: int, band: str) -> None:
    assert band_for_age(years) == band


@pytest.mark.parametrize("years", [0, 9, 12])
def test_under_13_has_no_band(years: int) -> None:
    with pytest.raises(AssuranceError) as err:
        band_for_age(years)
    assert err.value.code == "age_below_minimum"


def test_minor_bands() -> None:
    assert AgeBand("13-15").is_minor and AgeBand("16-17").is_minor
    assert not AgeBand("18+").is_minor


def test_result_holds_only_the_outcome_and_insists_on_utc() -> None:
    at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    result = AssuranceResult(
        age_band="16-17", level="estimated", method="estimation", provider="x", assured_at=at
    )
    assert result.age_band is AgeBand.OLDER_TEEN and result.level is AssuranceLevel.ESTIMATED
    assert result.method is AssuranceMethod.ESTIMATION
    assert result.as_dict() == {
        "age_band": "16-17",
        "level": "estimated",
        "method": "estimation",
        "provider": "x",
        "assured_at": "2026-11-28T12:00:00+00:00",
        "band_until": None,
    }
    with pytest.raises(AttributeError):
        result.level = AssuranceLevel.VERIFIED  # type: ignore[misc]
    # A naive time, or one in another zone than UTC, is refused.
    for not_utc in (None, timezone(timedelta(hours=1))):
        with pytest.raises(ValueError):
            AssuranceResult(
                age_band="18+",
                level="verified",
                method="verification",
                provider="x",
                assured_at=datetime(2026, 11, 28, 12, 0, tzinfo=not_utc),
            )
    with pytest.raises(ValueError):
        AssuranceResult(
            age_band="12-", level="verified", method="verification", provider="x", assured_at=at
        )


def test_error_has_a_stable_code_and_a_message() -> None:
    err = AssuranceError("token_expired", "exp 123")
    assert err.code == "token_expired"
    assert err.detail == "exp 123"
    # Lazily translated: compared by identity so no translation machinery is needed here.
    assert err.message is ERROR_MESSAGES["token_expired"]
    assert AssuranceError("something_new").message == "something_new"


def test_every_documented_code_has_a_message() -> None:
    codes = {
        "age_below_minimum",
        "birthdate_invalid",
        "payload_invalid",
        "provider_unknown",
        "provider_unavailable",
        "token_malformed",
        "token_alg_not_allowed",
        "token_invalid_signature",
        "token_wrong_issuer",
        "token_wrong_audience",
        "token_expired",
        "token_not_yet_valid",
        "token_nonce_invalid",
        "token_nonce_replayed",
        "token_claims_invalid",
        "token_method_not_allowed",
        "vp_request_unknown",
        "vp_response_pending",
        "vp_wallet_declined",
        "vp_format_not_supported",
        "vp_credential_type_not_accepted",
        "vp_disclosure_invalid",
        "vp_holder_binding_missing",
        "vp_holder_binding_invalid",
        "vp_age_claim_missing",
        "vp_age_not_proven",
    }
    assert codes == set(ERROR_MESSAGES)


def test_shipped_providers_follow_the_protocol() -> None:
    from accounts.age_assurance import AgeAssuranceProvider
    from accounts.age_assurance.declared import DeclaredProvider
    from accounts.age_assurance.demo import DemoEstimator
    from accounts.age_assurance.signed_token import SignedTokenProvider

    providers = [
        DeclaredProvider(),
        DemoEstimator(enabled=False),
        SignedTokenProvider(issuers={}, audience="phare"),
    ]
    for provider in providers:
        assert isinstance(provider, AgeAssuranceProvider)
    assert [p.name for p in providers] == ["declared", "demo", "signed-token"]
