"""The registry reads settings at call time; these tests need pytest-django's `settings`."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.age_assurance import AssuranceError
from accounts.age_assurance.demo import DemoEstimator
from accounts.age_assurance.registry import (
    configured_providers,
    get_provider,
    get_providers,
    providers_satisfying,
)
from accounts.age_assurance.signed_token import SignedTokenProvider
from accounts.age_assurance.testing import make_issuer_keypair

pytestmark = pytest.mark.needs_settings

ISS = "https://age.example"


@pytest.fixture
def issuer_settings(settings: Any) -> Any:
    _private, public = make_issuer_keypair("ES256")
    settings.PHARE_AGE_TOKEN_ISSUERS = {ISS: {"keys": [public]}}
    settings.PHARE_SERVICE_ID = "phare-registry-test"
    for name in ("PHARE_AGE_ASSURANCE_PROVIDERS",):
        if hasattr(settings, name):
            delattr(settings, name)
    return settings


def test_defaults_with_debug_off(issuer_settings: Any) -> None:
    issuer_settings.DEBUG = False
    assert sorted(get_providers()) == ["declared", "signed-token"]
    # openid4vp is configured by default and off until a trust list is named.
    assert sorted(configured_providers()) == ["declared", "demo", "openid4vp", "signed-token"]
    for off in ("demo", "openid4vp"):
        with pytest.raises(AssuranceError) as err:
            get_provider(off)
        assert err.value.code == "provider_unavailable"
    with pytest.raises(AssuranceError) as err:
        get_provider("passport-scan")
    assert err.value.code == "provider_unknown"


def test_demo_only_with_debug(issuer_settings: Any) -> None:
    issuer_settings.DEBUG = True
    assert sorted(get_providers()) == ["declared", "demo", "signed-token"]
    assert isinstance(get_provider("demo"), DemoEstimator)


def test_settings_are_read_at_call_time(issuer_settings: Any) -> None:
    provider = get_provider("signed-token")
    assert isinstance(provider, SignedTokenProvider)
    assert provider.audience == "phare-registry-test"
    assert list(provider.issuers) == [ISS]
    issuer_settings.PHARE_SERVICE_ID = "renamed"
    assert get_provider("signed-token").audience == "renamed"  # type: ignore[attr-defined]


def test_signed_token_is_unavailable_without_issuers(issuer_settings: Any) -> None:
    issuer_settings.PHARE_AGE_TOKEN_ISSUERS = {}
    issuer_settings.DEBUG = False
    assert "signed-token" not in get_providers()
    with pytest.raises(AssuranceError) as err:
        get_provider("signed-token")
    assert err.value.code == "provider_unavailable"


def test_providers_satisfying(issuer_settings: Any) -> None:
    issuer_settings.DEBUG = True
    # The declared birthdate is never offered to satisfy a room: it is given at sign-up only.
    assert providers_satisfying("declared") == ["signed-token", "demo"]
    assert providers_satisfying("estimated") == ["signed-token", "demo"]
    assert providers_satisfying("verified") == ["signed-token"]
    issuer_settings.DEBUG = False
    assert providers_satisfying("estimated") == ["signed-token"]
    issuer_settings.PHARE_AGE_TOKEN_ISSUERS = {
        ISS: {
            "keys": issuer_settings.PHARE_AGE_TOKEN_ISSUERS[ISS]["keys"],
            "methods": ["estimation"],
        }
    }
    assert providers_satisfying("verified") == []
    assert providers_satisfying("estimated") == ["signed-token"]


def test_operator_chooses_providers_by_name_or_dotted_path(issuer_settings: Any) -> None:
    issuer_settings.DEBUG = True
    issuer_settings.PHARE_AGE_ASSURANCE_PROVIDERS = [
        "declared",
        "accounts.age_assurance.demo.DemoEstimator",
    ]
    assert sorted(get_providers()) == ["declared", "demo"]


@pytest.mark.parametrize(
    "entries",
    [
        ["passport-scan"],
        ["accounts.age_assurance.nowhere.Provider"],
        ["django.utils.timezone.now"],  # builds something that is not a provider
        ["demo", "accounts.age_assurance.demo.DemoEstimator"],  # two named "demo"
    ],
)
def test_misconfiguration_fails_loudly(issuer_settings: Any, entries: list[str]) -> None:
    issuer_settings.PHARE_AGE_ASSURANCE_PROVIDERS = entries
    with pytest.raises(ImproperlyConfigured):
        configured_providers()


def test_bad_issuer_keys_fail_loudly(issuer_settings: Any) -> None:
    issuer_settings.PHARE_AGE_TOKEN_ISSUERS = {ISS: {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}
    with pytest.raises(ImproperlyConfigured):
        get_providers()


def test_declared_follows_phare_min_age(issuer_settings: Any) -> None:
    issuer_settings.PHARE_MIN_AGE = 16
    assert get_provider("declared").min_age == 16  # type: ignore[attr-defined]
