"""HTTP limits (django-ratelimit), the token bucket's arithmetic, operator policy and its audit,
and the Redis-unreachable decision for sign-ups and log-ins."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts import throttling
from accounts.models import AbusePolicy, RateLimitRule
from tests.conftest import birthdate_for_age

pytestmark = pytest.mark.django_db


def set_rate(name: str, limit: int, period: int, new_account_limit: int | None = None) -> None:
    RateLimitRule.objects.update_or_create(
        name=name, defaults={"limit": limit, "period_seconds": period, "new_account_limit": new_account_limit}
    )
    throttling.bump_policy_version()


def signup(client: Client, pseudonym: str, ip: str = "198.51.100.7"):
    body = {"pseudonym": pseudonym, "password": "correct horse battery",
            "birthdate": birthdate_for_age(30).isoformat()}
    return client.post("/api/v1/accounts/signup", json.dumps(body), content_type="application/json",
                       REMOTE_ADDR=ip)


def login(client: Client, pseudonym: str, password: str, ip: str = "198.51.100.7"):
    return client.post("/api/v1/accounts/login", json.dumps({"pseudonym": pseudonym, "password": password}),
                       content_type="application/json", REMOTE_ADDR=ip)


# --- The bucket ----------------------------------------------------------------------------

def test_bucket_allows_a_burst_then_one_per_interval(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(throttling.time, "monotonic", lambda: now[0])
    bucket = throttling.LocalLimiter()
    assert [bucket.hit("k", limit=3, period=30).allowed for _ in range(4)] == [True, True, True, False]
    refused = bucket.hit("k", limit=3, period=30)
    assert refused.retry_after == 10
    now[0] += 10
    assert bucket.hit("k", limit=3, period=30).allowed
    assert not bucket.hit("k", limit=3, period=30).allowed


def test_a_dry_run_tells_without_taking():
    bucket = throttling.LocalLimiter()
    assert bucket.hit("k", limit=1, period=60, dry_run=True).allowed
    assert bucket.hit("k", limit=1, period=60).allowed
    assert not bucket.hit("k", limit=1, period=60, dry_run=True).allowed


def test_buckets_are_separate_per_key():
    bucket = throttling.LocalLimiter()
    assert bucket.hit("a", limit=1, period=60).allowed
    assert bucket.hit("b", limit=1, period=60).allowed
    assert not bucket.hit("a", limit=1, period=60).allowed


def test_flood_meter_trips_at_the_policy_threshold():
    policy = throttling.current_policy()
    meter = throttling.FloodMeter()
    trips = [meter.refused(policy=policy) for _ in range(policy.flood_refusals)]
    assert trips[-1] and not any(trips[:-1])


# --- Policy --------------------------------------------------------------------------------

def test_every_limit_has_a_safe_default_without_rows():
    policy = throttling.current_policy()
    assert set(policy.rates) == set(throttling.DEFAULT_RATES)
    assert all(rate.limit >= 1 and rate.period >= 1 for rate in policy.rates.values())
    assert policy.new_account_hours == AbusePolicy._meta.get_field("new_account_hours").default


def test_an_operator_rule_overrides_the_default():
    set_rate("room_message_account", 7, 70, new_account_limit=2)
    rate = throttling.current_policy().rate("room_message_account")
    assert (rate.limit, rate.period, rate.for_account(True), rate.for_account(False)) == (7, 70, 2, 7)


def test_admin_changes_to_limits_are_audited(make_user):
    from moderation.models import AuditEntry

    operator = make_user(is_operator=True, is_staff=True)
    client = Client()
    client.force_login(operator)
    response = client.post("/admin/accounts/ratelimitrule/add/", {
        "name": "dm_request_hour", "limit": "3", "period_seconds": "3600", "new_account_limit": "",
    })
    assert response.status_code == 302, response.content[:500]
    assert throttling.current_policy().rate("dm_request_hour").limit == 3
    created = AuditEntry.objects.get(action="policy.create", target_type="ratelimitrule")
    assert created.actor_id == operator.pk and created.data["limit"] == "3"
    response = client.post("/admin/accounts/abusepolicy/add/", {
        "new_account_hours": "48", "join_wave_accounts": "5", "join_wave_window_seconds": "60",
        "flood_refusals": "10", "flood_window_seconds": "10", "shield_slow_mode_seconds": "20",
        "first_contact_ban_scope": "everyone",
    })
    assert response.status_code == 302
    assert throttling.current_policy().new_account_hours == 48
    latest = AuditEntry.objects.order_by("-seq").first()
    assert latest.target_type == "abusepolicy" and latest.data["new_account_hours"] == "48"


def test_a_policy_change_writes_the_audit_log(make_user):
    from moderation.models import AuditEntry

    operator = make_user(is_operator=True)
    throttling.record_policy_change(actor=operator, action="policy.change", target_type="ratelimitrule",
                                    target_id="1", data={"limit": "3"})
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry.action == "policy.change" and entry.target_type == "ratelimitrule"


# --- HTTP: sign-up and log-in --------------------------------------------------------------

def test_signups_per_ip_answer_429_with_retry_after():
    set_rate("signup_ip", 2, 3600)
    client = Client()
    assert signup(client, "first_one").status_code == 201
    assert signup(Client(), "second_one").status_code == 201
    response = signup(Client(), "third_one")
    assert response.status_code == 429
    body = response.json()["error"]
    assert body["code"] == "rate_limited" and body["reason"] == "signup_ip"
    assert body["retry_after"] >= 1 and int(response["Retry-After"]) == body["retry_after"]
    assert signup(Client(), "from_elsewhere", ip="203.0.113.9").status_code == 201


def test_failed_logins_per_pseudonym_and_address_are_limited(make_user):
    set_rate("login_account", 3, 900)
    make_user(pseudonym="target_acc")
    for _ in range(3):
        assert login(Client(), "target_acc", "wrong password", ip="203.0.113.1").status_code == 401
    response = login(Client(), "Target_Acc", "correct horse battery", ip="203.0.113.1")
    assert response.status_code == 429 and response.json()["error"]["reason"] == "login_account"
    assert "Retry-After" in response
    # The owner, from another address, is not locked out by those failures.
    assert login(Client(), "target_acc", "correct horse battery", ip="203.0.113.2").status_code == 200


def test_successful_logins_do_not_count_against_the_account(make_user):
    set_rate("login_account", 2, 900)
    make_user(pseudonym="regular_acc")
    for _ in range(4):
        assert login(Client(), "regular_acc", "correct horse battery").status_code == 200


def test_logins_per_ip_are_limited(make_user):
    set_rate("login_ip", 2, 600)
    make_user(pseudonym="someone_x")
    login(Client(), "someone_x", "nope")
    login(Client(), "other_y", "nope")
    response = login(Client(), "third_z", "nope")
    assert response.status_code == 429 and response.json()["error"]["reason"] == "login_ip"


# --- Redis unreachable ---------------------------------------------------------------------

def test_without_redis_signups_are_refused_with_unavailable(cache_down):
    response = signup(Client(), "during_outage")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert "Retry-After" in response


def test_without_redis_logins_fall_back_to_per_process_limits(make_user, cache_down):
    set_rate("login_ip", 2, 600)
    make_user(pseudonym="outage_user")
    assert login(Client(), "outage_user", "correct horse battery").status_code == 200
    assert login(Client(), "outage_user", "correct horse battery").status_code == 200
    assert login(Client(), "outage_user", "correct horse battery").status_code == 429


def test_an_exempt_address_skips_per_ip_limits_only(settings):
    settings.PHARE_RATE_LIMIT_EXEMPT_IPS = ["192.0.2.1"]
    set_rate("signup_ip", 1, 3600)
    assert signup(Client(), "probe_one", ip="192.0.2.1").status_code == 201
    assert signup(Client(), "probe_two", ip="192.0.2.1").status_code == 201
    assert signup(Client(), "someone_a", ip="192.0.2.2").status_code == 201
    assert signup(Client(), "someone_b", ip="192.0.2.2").status_code == 429
