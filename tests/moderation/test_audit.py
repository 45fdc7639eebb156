"""The audit log: append-only, hash-chained, verifiable, safe under concurrent appends."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from moderation.audit import record_audit, verify_chain
from moderation.models import AuditEntry


def _untrigger():
    # The production table refuses UPDATE/DELETE on PostgreSQL; a tamperer with superuser
    # rights could switch that off, which is what these tests simulate.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE moderation_auditentry DISABLE TRIGGER moderation_auditentry_append_only")


def _three_entries(actor=None):
    return [
        record_audit(actor=actor, action=f"test.action{i}", target_type="case", target_id=str(i),
                     data={"n": i, "note": "é"})
        for i in range(1, 4)
    ]


@pytest.mark.django_db
def test_entries_chain_each_hash_to_the_previous_one(adult):
    first, second, third = _three_entries(adult)
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert first.actor_id == adult.pk and first.actor_label == adult.pseudonym
    assert verify_chain() == []


@pytest.mark.django_db
def test_verify_audit_command_passes_on_an_intact_log(capsys):
    _three_entries()
    call_command("verify_audit")
    assert "intact: 3 entries" in capsys.readouterr().out


@pytest.mark.django_db
def test_editing_an_entry_is_detected():
    _three_entries()
    _untrigger()
    AuditEntry.objects.filter(seq=2).update(data={"n": 99})
    problems = verify_chain()
    assert [(p.seq, p.problem) for p in problems] == [(2, "edited")]
    with pytest.raises(CommandError):
        call_command("verify_audit")


@pytest.mark.django_db
def test_deleting_an_entry_in_the_middle_is_detected():
    _three_entries()
    _untrigger()
    AuditEntry.objects.filter(seq=2).delete()
    problems = {(p.seq, p.problem) for p in verify_chain()}
    assert (3, "missing") in problems and (3, "broken_link") in problems


@pytest.mark.django_db
def test_deleting_the_newest_entry_is_detected_through_the_chain_head():
    _three_entries()
    _untrigger()
    AuditEntry.objects.filter(seq=3).delete()
    assert [p.problem for p in verify_chain()] == ["head_mismatch"]


@pytest.mark.django_db
def test_reordering_entries_is_detected():
    _three_entries()
    _untrigger()
    # Swap the sequence numbers of entries 1 and 2 (via a free number).
    AuditEntry.objects.filter(seq=1).update(seq=100)
    AuditEntry.objects.filter(seq=2).update(seq=1)
    AuditEntry.objects.filter(seq=100).update(seq=2)
    problems = {p.problem for p in verify_chain()}
    assert "edited" in problems and "broken_link" in problems


@pytest.mark.django_db
def test_recomputing_the_hash_after_an_edit_still_breaks_the_next_link():
    entries = _three_entries()
    _untrigger()
    from moderation.audit import entry_hash

    e = AuditEntry.objects.get(seq=2)
    e.data = {"n": 99}
    e.hash = entry_hash(seq=e.seq, created_at=e.created_at, actor_id=e.actor_id, actor_label=e.actor_label,
                        action=e.action, target_type=e.target_type, target_id=e.target_id, data=e.data,
                        prev_hash=e.prev_hash)
    AuditEntry.objects.filter(pk=e.pk).update(data=e.data, hash=e.hash)
    assert e.hash != entries[1].hash
    assert (3, "broken_link") in {(p.seq, p.problem) for p in verify_chain()}


@pytest.mark.django_db
def test_postgresql_refuses_updates_and_deletes_of_audit_entries():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    _three_entries()
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()


@pytest.mark.django_db
def test_an_entry_rolls_back_with_the_transaction_it_records():
    record_audit(actor=None, action="kept", target_type="case", target_id="1", data={})
    with pytest.raises(RuntimeError), transaction.atomic():
        record_audit(actor=None, action="lost", target_type="case", target_id="2", data={})
        raise RuntimeError
    record_audit(actor=None, action="kept2", target_type="case", target_id="3", data={})
    assert list(AuditEntry.objects.values_list("action", "seq")) == [("kept", 1), ("kept2", 2)]
    assert verify_chain() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for real concurrency")
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                record_audit(actor=None, action="concurrent", target_type="t", target_id=f"{n}-{i}",
                             data={"i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, 61))
    assert verify_chain() == []
