"""The one table of limits (accounts.throttling.DEFAULT_RATES): docs/rate-limits.md shows exactly
it, every limit in it is spent through `take` with the operator's numbers, and every limit
follows its own outage rule when Redis is unreachable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from accounts import throttling
from core.errors import PhareError
from tests.accounts.test_throttling import set_rate

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "rate-limits.md"
BEGIN, END = "<!-- limits-table:begin -->", "<!-- limits-table:end -->"
HEADER = ("| name | what | default | new accounts | per | spent on | counted by | Redis away |\n"
          "|---|---|---|---|---|---|---|---|")
OUTAGE = {throttling.REFUSE: "**refused**", throttling.LOCAL: "per process"}


def expected_table() -> str:
    """The table as docs/rate-limits.md must show it, from the code's table."""
    rows = [HEADER]
    with translation.override("en"):
        for name, rate in throttling.DEFAULT_RATES.items():
            away = "not used" if rate.counter == throttling.PER_SOCKET else OUTAGE[rate.outage]
            rows.append(
                f"| `{name}` | {rate.label} | {rate.limit} / {rate.period} s | {rate.new_account_limit or '—'} "
                f"| {rate.key} | {rate.scope} | {rate.counter} | {away} |"
            )
    return "\n".join(rows)


def documented_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert match, f"docs/rate-limits.md has no table between {BEGIN} and {END}"
    return match.group(1).strip()


def test_the_documented_table_is_the_code_table():
    expected = expected_table()
    assert documented_table() == expected, (
        "docs/rate-limits.md and accounts/throttling.py's DEFAULT_RATES disagree; the table "
        f"for the doc, between its markers, is:\n\n{expected}\n"
    )


@pytest.mark.parametrize("name, rate", list(throttling.DEFAULT_RATES.items()))
def test_every_limit_says_what_it_counts_where_and_what_an_outage_does(name, rate):
    assert rate.limit >= 1 and rate.period >= 1
    assert rate.key in throttling.KEYS and rate.scope and str(rate.label)
    assert rate.counter in {throttling.BUCKET, throttling.WINDOW, throttling.PER_SOCKET}
    assert rate.outage in {throttling.REFUSE, throttling.LOCAL}
    # Only limits counted in a shared store can be refused for its outage; a socket's own is not.
    assert rate.counter != throttling.PER_SOCKET or rate.outage == throttling.LOCAL
    assert len(name) <= 40  # RateLimitRule.name


def take_twice(name: str, subject: str, *, new_account: bool = False) -> PhareError | None:
    throttling.take(name, subject=subject, new_account=new_account)
    try:
        throttling.take(name, subject=subject, new_account=new_account)
    except PhareError as error:
        return error
    return None


@pytest.mark.parametrize("name", list(throttling.DEFAULT_RATES))
def test_every_limit_is_spent_with_the_operators_numbers_and_refused_by_its_name(name):
    set_rate(name, 1, 3600)
    refusal = take_twice(name, "subject-1")
    assert refusal is not None and refusal.code == "rate_limited"
    assert refusal.extra["reason"] == name and 1 <= refusal.retry_after <= 3600
    # Counted per subject: someone else still has their token.
    throttling.take(name, subject="subject-2")


@pytest.mark.parametrize("name", list(throttling.DEFAULT_RATES))
def test_a_new_accounts_limit_is_the_operators_new_account_limit(name):
    set_rate(name, 5, 3600, new_account_limit=1)
    refusal = take_twice(name, "new-subject", new_account=True)
    assert refusal is not None and refusal.extra["reason"] == name
    assert take_twice(name, "established-subject") is None


@pytest.fixture
def redis_unreachable(settings, cache_down):
    """Both shared stores gone: the token bucket's Redis and the cache django-ratelimit uses
    (`cache_down`, tests/accounts/conftest.py)."""
    settings.PHARE_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:9/0"
    settings.PHARE_RATE_LIMIT_REDIS_TIMEOUT = 0.2
    throttling.reset_local_state()
    yield
    throttling.reset_local_state()


@pytest.mark.parametrize("name", list(throttling.DEFAULT_RATES))
def test_without_redis_every_limit_follows_its_outage_rule(name, redis_unreachable):
    rate = throttling.DEFAULT_RATES[name]
    set_rate(name, 1, 3600)
    if rate.outage == throttling.REFUSE:
        with pytest.raises(PhareError) as refused:
            throttling.take(name, subject="outage-subject")
        assert refused.value.code == "unavailable"
        assert refused.value.extra["reason"] == "rate_limiter_unavailable" and refused.value.retry_after
    else:
        # Counted in this process with the same numbers: the second action is refused.
        refusal = take_twice(name, "outage-subject")
        assert refusal is not None and refusal.code == "rate_limited" and refusal.extra["reason"] == name
