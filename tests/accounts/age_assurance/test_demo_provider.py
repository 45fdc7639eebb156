from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache.backends.locmem import LocMemCache

from accounts.age_assurance import AssuranceError
from accounts.age_assurance.demo import DemoEstimator
from accounts.age_assurance.flow import complete_assurance

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("band", ["13-15", "16-17", "18+"])
def test_demo_estimates_the_chosen_band(band: str) -> None:
    result = DemoEstimator(enabled=True).complete(
        payload={"age_band": band}, expected_nonce=None, now=NOW
    )
    assert (result.age_band, result.level, result.method, result.provider) == (
        band,
        "estimated",
        "estimation",
        "demo",
    )


def test_demo_refuses_when_disabled_even_if_called_directly() -> None:
    demo = DemoEstimator(enabled=False)
    assert not demo.available()
    with pytest.raises(AssuranceError) as err:
        demo.complete(payload={"age_band": "18+"}, expected_nonce=None, now=NOW)
    assert err.value.code == "provider_unavailable"


@pytest.mark.parametrize("payload", [{}, {"age_band": "12"}, {"age_band": ["18+"]}, None])
def test_demo_needs_a_band(payload: object) -> None:
    with pytest.raises(AssuranceError) as err:
        DemoEstimator(enabled=True).complete(
            payload=payload,  # type: ignore[arg-type]
            expected_nonce=None,
            now=NOW,
        )
    assert err.value.code == "payload_invalid"


def test_demo_tells_the_client_it_is_a_demo() -> None:
    assert DemoEstimator(enabled=True).start(nonce="x")["demo"] is True


@pytest.mark.needs_settings
def test_demo_follows_debug(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    assert not DemoEstimator().available()
    settings.DEBUG = True
    assert DemoEstimator().available()
    # Labelled as a demo in the UI, in each language.
    from django.utils import translation

    with translation.override("en"):
        assert "demo" in str(DemoEstimator().label).lower()
    with translation.override("fr"):
        assert "démonstration" in str(DemoEstimator().label).lower()


def test_flow_needs_no_nonce_for_the_demo(store: LocMemCache) -> None:
    result = complete_assurance(
        provider=DemoEstimator(enabled=True),
        payload={"age_band": "16-17"},
        store=store,
        session_key="s",
        now=NOW,
    )
    assert result.age_band == "16-17"
    assert not store._cache  # type: ignore[attr-defined]  # nothing was written
