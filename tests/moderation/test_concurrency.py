"""Row locking under real concurrency (PostgreSQL): one holder per case, one case per subject."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.errors import PhareError
from moderation.services.claim import claim_case
from moderation.services.decide import decide_case
from moderation.services.report import file_report
from moderation.models import Case, Report

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n: int, work) -> list:
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for real concurrency")
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except PhareError as error:
            results[i] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_claims_leave_exactly_one_holder(make_user):
    mods = [make_user(pseudonym=f"claimer{i}", is_moderator=True) for i in range(4)]
    subject = make_user(pseudonym="raced_subject")
    for round_ in range(3):
        report = file_report(reporter=make_user(pseudonym=f"race_rep{round_}"),
                             target={"user": str(subject.pk)}, category="spam", details="", good_faith=True)
        results = _race(4, lambda i: claim_case(moderator=mods[i], case_id=report.case_id).assigned_to_id)
        winners = [r for r in results if r != "conflict"]
        assert len(winners) == 1 and results.count("conflict") == 3, results
        assert Case.objects.get(pk=report.case_id).assigned_to_id == winners[0]
        decide_case(moderator=mods[results.index(winners[0])], case_id=report.case_id, action="dismiss",
                    reason_code="no_violation")


def test_concurrent_reports_about_one_subject_join_one_case(make_user):
    subject = make_user(pseudonym="crowded")
    reporters = [make_user(pseudonym=f"crowd{i}") for i in range(6)]
    results = _race(6, lambda i: file_report(reporter=reporters[i], target={"user": str(subject.pk)},
                                             category="harassment", details="", good_faith=True).case_id)
    assert len(set(results)) == 1, results
    assert Case.objects.filter(subject_type="user", subject_id=subject.pk).count() == 1
    assert Report.objects.filter(case_id=results[0]).count() == 6


def test_concurrent_decisions_apply_once(make_user):
    mods = [make_user(pseudonym=f"decider{i}", is_moderator=True) for i in range(3)]
    subject = make_user(pseudonym="decided_once")
    report = file_report(reporter=make_user(pseudonym="dec_rep"), target={"user": str(subject.pk)},
                         category="spam", details="", good_faith=True)
    results = _race(3, lambda i: decide_case(moderator=mods[i], case_id=report.case_id, action="warn",
                                             reason_code="spam").status)
    assert results.count("decided") == 1 and results.count("conflict") == 2, results
    assert Case.objects.get(pk=report.case_id).decisions.count() == 1
