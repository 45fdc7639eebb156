"""Which age-assurance providers this server offers, from settings read at call time.

Settings (all optional):
- PHARE_AGE_ASSURANCE_PROVIDERS: names ("declared", "signed-token", "openid4vp", "demo") or
  dotted paths to a class or factory taking no arguments; default all four.
- PHARE_AGE_TOKEN_ISSUERS: {issuer: {"keys": [JWK dict or PEM], "methods": [...], "name": ...,
  "start_url": ...}}; default {} (then `signed-token` is unavailable).
- PHARE_SERVICE_ID: the audience tokens must name; default "phare".
- PHARE_AGE_TOKEN_LEEWAY_SECONDS: clock skew tolerated on exp/nbf/iat; default 30.
- PHARE_MIN_AGE: the youngest age the declared birthdate may give; default (and floor) 13.
- PHARE_OPENID4VP_TRUST_LIST: path of the JSON file of trusted attestation issuers (trust_list);
  default "" (then `openid4vp` is unavailable).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import (
    MINIMUM_AGE,
    AgeAssuranceProvider,
    AssuranceError,
    AssuranceLevel,
    level_at_least,
)
from .declared import DeclaredProvider
from .demo import DemoEstimator
from .openid4vp import OpenID4VPProvider
from .signed_token import DEFAULT_LEEWAY_SECONDS, SignedTokenProvider

__all__ = [
    "DEFAULT_PROVIDERS",
    "configured_providers",
    "get_provider",
    "get_providers",
    "providers_satisfying",
]

DEFAULT_PROVIDERS = ["declared", "signed-token", "openid4vp", "demo"]


def _settings() -> Any:
    from django.conf import settings

    return settings


def _build(entry: str, settings: Any) -> AgeAssuranceProvider:
    if entry == "declared":
        return DeclaredProvider(min_age=int(getattr(settings, "PHARE_MIN_AGE", MINIMUM_AGE)))
    if entry == "signed-token":
        return SignedTokenProvider(
            issuers=getattr(settings, "PHARE_AGE_TOKEN_ISSUERS", {}) or {},
            audience=getattr(settings, "PHARE_SERVICE_ID", "phare"),
            leeway_seconds=int(
                getattr(settings, "PHARE_AGE_TOKEN_LEEWAY_SECONDS", DEFAULT_LEEWAY_SECONDS)
            ),
        )
    if entry == "openid4vp":
        return OpenID4VPProvider(
            trust_list_path=getattr(settings, "PHARE_OPENID4VP_TRUST_LIST", "") or "",
            store=cache,  # the store of every provider's nonces (the views use it too)
            min_age=int(getattr(settings, "PHARE_MIN_AGE", MINIMUM_AGE)),
            leeway_seconds=int(
                getattr(settings, "PHARE_AGE_TOKEN_LEEWAY_SECONDS", DEFAULT_LEEWAY_SECONDS)
            ),
        )
    if entry == "demo":
        return DemoEstimator()  # follows settings.DEBUG at call time
    if "." in entry:
        try:
            factory = import_string(entry)
        except ImportError as exc:
            raise ImproperlyConfigured(f"age-assurance provider {entry!r}: {exc}") from exc
        provider = factory()
        if not isinstance(provider, AgeAssuranceProvider):
            raise ImproperlyConfigured(f"{entry!r} does not build an AgeAssuranceProvider")
        return provider
    raise ImproperlyConfigured(f"unknown age-assurance provider {entry!r}")


def configured_providers() -> dict[str, AgeAssuranceProvider]:
    """Every configured provider by name, available or not. Misconfiguration raises loudly."""
    settings = _settings()
    entries = getattr(settings, "PHARE_AGE_ASSURANCE_PROVIDERS", DEFAULT_PROVIDERS)
    providers: dict[str, AgeAssuranceProvider] = {}
    for entry in entries:
        provider = _build(entry, settings)
        if provider.name in providers:
            raise ImproperlyConfigured(f"two age-assurance providers are named {provider.name!r}")
        providers[provider.name] = provider
    return providers


def get_providers() -> dict[str, AgeAssuranceProvider]:
    """The providers users may use now (the demo only with DEBUG on; signed-token only with
    at least one trusted issuer)."""
    return {name: p for name, p in configured_providers().items() if p.available()}


def get_provider(name: str) -> AgeAssuranceProvider:
    providers = configured_providers()
    provider = providers.get(name)
    if provider is None:
        raise AssuranceError("provider_unknown", name)
    if not provider.available():
        raise AssuranceError("provider_unavailable", name)
    return provider


def providers_satisfying(level: str | AssuranceLevel) -> list[str]:
    """Names of the available providers that can grant `level` or better, for an
    `assurance_required` answer. Sign-up-only providers (the declared birthdate) are never
    offered: a band cannot be re-declared."""
    return [
        name
        for name, provider in get_providers().items()
        if not provider.signup_only and level_at_least(provider.level, level)
    ]
