"""The moderator queue pages through any number of cases: a stable order, a `next` cursor,
the total, filters, and 400 `bad_request` with a `field` for a bad cursor or filter."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import re
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AgeBand
from moderation.models import Case, Decision, Evidence, Report
from moderation.rules import CRITICAL_PRIORITY

pytestmark = pytest.mark.django_db

CASES = 330
CATEGORIES = ["spam", "harassment", "hate", "grooming", "other"]


@pytest.fixture
def many_cases(moderator, moderator2):
    """A few hundred cases with many ties (same priority, same due time, no due time) so that
    only the id can order some of them; some claimed by each moderator, some decided."""
    rng = random.Random(7)
    now = timezone.now().replace(microsecond=0)
    rows = []
    for i in range(CASES):
        status = rng.choice(["open", "open", "open", "claimed", "decided"])
        assigned = {"claimed": rng.choice([moderator, moderator2]), "decided": moderator2}.get(status)
        rows.append(Case(
            subject_type="user", subject_id=10_000 + i, category=rng.choice(CATEGORIES), status=status,
            priority=rng.choice([0, 10, 40, 40, 80, CRITICAL_PRIORITY, CRITICAL_PRIORITY + 10]),
            sla_due_at=rng.choice([None, now + dt.timedelta(hours=1), now + dt.timedelta(hours=rng.randint(1, 48))]),
            assigned_to=assigned, created_at=now - dt.timedelta(minutes=rng.randint(0, 5000)),
            decided_at=rng.choice([now - dt.timedelta(hours=2), now - dt.timedelta(minutes=rng.randint(1, 900))])
            if status == "decided" else None,
        ))
    return Case.objects.bulk_create(rows)


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the console's words checked below are English
    client.force_login(user)
    return client


def _walk(client: Client, **params) -> tuple[list[dict], list[int]]:
    """Every page of one view, following `next`: (the cases in order, each page's total)."""
    seen: list[dict] = []
    totals: list[int] = []
    cursor = None
    for _ in range(CASES + 2):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = client.get("/api/v1/moderation/cases?" + urlencode(query))
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["cases"]) <= int(params.get("limit", 200))
        seen += body["cases"]
        totals.append(body["total"])
        cursor = body["next"]
        if cursor is None:
            return seen, totals
    raise AssertionError("the pages never ended")


def _priority_order(cases) -> list[int]:
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return [c.pk for c in sorted(cases, key=lambda c: (-c.priority, c.sla_due_at or far, c.pk))]


def test_pages_walk_every_open_case_once_in_the_stable_order(many_cases, moderator):
    seen, totals = _walk(_client(moderator), limit="37")
    expected = _priority_order(Case.objects.filter(status__in=["open", "claimed"]))
    assert len(expected) > 200  # more than the old fixed cut
    assert [int(c["id"]) for c in seen] == expected
    assert set(totals) == {len(expected)}


def test_decided_cases_page_latest_first(many_cases, moderator):
    seen, totals = _walk(_client(moderator), status="decided", limit="9")
    decided = Case.objects.filter(status="decided")
    expected = [c.pk for c in sorted(decided, key=lambda c: (c.decided_at, c.pk), reverse=True)]
    assert [int(c["id"]) for c in seen] == expected
    assert set(totals) == {len(expected)}


@pytest.mark.parametrize("params, selects", [
    ({"category": "hate"}, lambda c, me: c.is_open and c.category == "hate"),
    ({"critical": "1"}, lambda c, me: c.is_open and c.priority >= CRITICAL_PRIORITY),
    ({"min_priority": "40", "category": "spam"}, lambda c, me: c.is_open and c.priority >= 40 and c.category == "spam"),
    ({"assigned": "me"}, lambda c, me: c.is_open and c.assigned_to_id == me.pk),
    ({"assigned": "none", "critical": "true"},
     lambda c, me: c.is_open and c.assigned_to_id is None and c.priority >= CRITICAL_PRIORITY),
    ({"status": "mine"}, lambda c, me: c.status == "claimed" and c.assigned_to_id == me.pk),
    ({"status": "claimed", "category": "grooming"}, lambda c, me: c.status == "claimed" and c.category == "grooming"),
    ({"status": "all", "critical": "0"}, lambda c, me: True),
])
def test_filters_select_what_they_say_on_every_page(many_cases, moderator, params, selects):
    seen, totals = _walk(_client(moderator), limit="25", **params)
    expected = _priority_order([c for c in Case.objects.all() if selects(c, moderator)])
    assert expected, "the fixture has no case for this filter"
    assert [int(c["id"]) for c in seen] == expected
    assert set(totals) == {len(expected)}


def test_the_old_answer_is_kept_and_grows_two_fields(many_cases, moderator):
    body = _client(moderator).get("/api/v1/moderation/cases").json()
    open_cases = Case.objects.filter(status__in=["open", "claimed"]).count()
    assert len(body["cases"]) == 200 and body["total"] == open_cases and body["next"]
    first = body["cases"][0]
    assert {"id", "status", "priority", "category", "subject", "sla_due_at", "assigned_to",
            "reports_count", "conflict_of_interest"} <= set(first)


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("params, field", [
    ({"cursor": "not-a-cursor!"}, "cursor"),
    ({"cursor": "%%%"}, "cursor"),
    ({"cursor": "x" * 500}, "cursor"),
    ({"cursor": "é"}, "cursor"),
    ({"cursor": _cursor(["priority", [40, None]])}, "cursor"),
    ({"cursor": _cursor(["priority", ["40", None, 1]])}, "cursor"),
    ({"cursor": _cursor(["priority", [True, None, 1]])}, "cursor"),
    ({"cursor": _cursor(["priority", [40, "yesterday", 1]])}, "cursor"),
    ({"cursor": _cursor(["priority", [40, "2026-01-01T00:00:00", 1]])}, "cursor"),  # no offset
    ({"cursor": _cursor(["priority", [40, "0001-01-01T00:00:00+14:00", 1]])}, "cursor"),
    ({"cursor": _cursor(["priority", [40, None, 2**70]])}, "cursor"),
    ({"cursor": _cursor({"priority": 1, "x": 2})}, "cursor"),
    ({"cursor": _cursor("ab")}, "cursor"),
    ({"cursor": _cursor(7)}, "cursor"),
    ({"status": "decided", "cursor": _cursor(["priority", [40, None, 1]])}, "cursor"),  # another order's
    ({"status": "pending"}, "status"),
    ({"category": "nope"}, "category"),
    ({"assigned": "bob"}, "assigned"),
    ({"critical": "maybe"}, "critical"),
    ({"min_priority": "-1"}, "min_priority"),
    ({"min_priority": "1" * 50}, "min_priority"),
    ({"min_priority": "٣"}, "min_priority"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"limit": "ten"}, "limit"),
])
def test_a_bad_cursor_or_filter_is_a_400_naming_the_field(many_cases, moderator, params, field):
    response = _client(moderator).get("/api/v1/moderation/cases?" + urlencode(params))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "bad_request"
    assert response.json()["error"]["field"] == field


def test_random_cursors_never_fail_with_a_500(many_cases, moderator):
    client = _client(moderator)
    rng = random.Random(3)
    for _ in range(200):
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 60)))
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get("/api/v1/moderation/cases?" + urlencode({"cursor": cursor or "A"}))
        assert response.status_code in (200, 400), (cursor, response.content)


def test_filters_that_would_tell_about_a_recused_case_leave_it_out(make_user, moderator):
    now = timezone.now()
    reporter_case = Case.objects.create(subject_type="user", subject_id=900_001, category="hate", priority=50,
                                        sla_due_at=now)
    Report.objects.create(case=reporter_case, reporter=moderator, category="hate", target_type="user",
                          target_id=900_001, evidence=Evidence.objects.create(data={}, content_hash="0" * 64))
    subject_case = Case.objects.create(subject_type="user", subject_id=moderator.pk, subject_user=moderator,
                                       category="hate", priority=40)
    reversed_case = Case.objects.create(subject_type="user", subject_id=900_003, category="hate", priority=30)
    Decision.objects.create(case=reversed_case, moderator=moderator, action="no_action", reason_code="other",
                            reversed_at=now)
    plain = Case.objects.create(subject_type="user", subject_id=900_004, category="hate", priority=20)
    client = _client(moderator)
    everything = client.get("/api/v1/moderation/cases").json()
    shown = {c["id"]: c for c in everything["cases"]}
    recused = {str(c.pk) for c in (reporter_case, subject_case, reversed_case)}
    assert all(shown[pk]["conflict_of_interest"] and "category" not in shown[pk] for pk in recused)
    assert everything["total"] == 4
    for params in ({"category": "hate"}, {"assigned": "none"}):
        body = client.get("/api/v1/moderation/cases?" + urlencode(params)).json()
        assert [c["id"] for c in body["cases"]] == [str(plain.pk)] and body["total"] == 1, params
    # Another moderator sees all four under the same filter.
    other = _client(make_user(AgeBand.ADULT, "lou_other", is_moderator=True))
    assert other.get("/api/v1/moderation/cases?category=hate").json()["total"] == 4


def test_a_page_costs_the_same_queries_whatever_its_size(many_cases, moderator, django_assert_max_num_queries):
    client = _client(moderator)
    client.get("/api/v1/moderation/cases?limit=1")  # session and user loaded once before counting
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/v1/moderation/cases?limit=200").json()["cases"]) == 200


def test_console_shows_the_total_and_a_next_page_link_without_script(many_cases, moderator):
    client = _client(moderator)
    open_cases = _priority_order(Case.objects.filter(status__in=["open", "claimed"]))
    html = client.get("/moderation/").content.decode()
    assert f'data-total="{len(open_cases)}"' in html
    assert f"{len(open_cases)} cases in this view" in html
    rows = [int(pk) for pk in re.findall(r'<tr data-case="(\d+)"', html)]
    assert rows == open_cases[:50]
    next_href = re.search(r'id="queue-next" rel="next" href="([^"]+)"', html).group(1)
    second = client.get("/moderation/" + next_href.replace("&amp;", "&")).content.decode()
    assert [int(pk) for pk in re.findall(r'<tr data-case="(\d+)"', second)] == open_cases[50:100]
    assert 'id="queue-first"' in second
    for page in (html, second):
        assert "<script>" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)


def test_console_filters_and_a_bad_link(many_cases, moderator):
    client = _client(moderator)
    html = client.get("/moderation/?category=hate&critical=1").content.decode()
    total = Case.objects.filter(status__in=["open", "claimed"], category="hate",
                                priority__gte=CRITICAL_PRIORITY).count()
    assert f'data-total="{total}"' in html
    assert '<option value="hate" selected>' in html
    bad = client.get("/moderation/?cursor=garbage")
    assert bad.status_code == 400
    assert 'id="queue-error"' in bad.content.decode() and "cursor" in bad.content.decode()
    french = client.get("/moderation/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "cases in this view" not in french and "Next page" not in french
    assert "dossiers dans cette vue" in french and "Page suivante" in french


def test_console_links_keep_the_page_size(many_cases, moderator):
    client = _client(moderator)
    html = client.get("/moderation/?limit=20&category=spam").content.decode()
    rows = re.findall(r'<tr data-case="(\d+)"', html)
    assert len(rows) == 20
    next_href = re.search(r'id="queue-next" rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "limit=20" in next_href and "category=spam" in next_href
    following = re.findall(r'<tr data-case="(\d+)"', client.get("/moderation/" + next_href).content.decode())
    assert 0 < len(following) <= 20 and not set(rows) & set(following)
