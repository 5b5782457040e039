"""Entries written before per-application chains keep their hashes and stay verifiable: the
old global chain ends at its frozen head, and each application's new entries continue from
its last old one."""

import pytest

from tests.factories import FundingApplicationFactory, formal_check
from workflows.audit import GENESIS, legacy_hash, verify_chain
from workflows.models import AuditChainHead, AuditEntry

from .cases import behind_the_applications_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_log():
    """Two applications whose entries were written by the old global chain."""
    applications = [FundingApplicationFactory(state="lead_review") for _ in range(2)]
    entries = list(AuditEntry.objects.order_by("seq"))
    prev = GENESIS
    with behind_the_applications_back() as cursor:
        for seq, entry in enumerate(entries, start=1):
            entry.seq, entry.hash_version, entry.prev_hash = seq, 1, prev
            entry.entry_hash = prev = legacy_hash(entry)
            cursor.execute(
                "UPDATE workflows_auditentry SET seq = %s, hash_version = 1, prev_hash = %s,"
                " entry_hash = %s WHERE id = %s",
                [seq, entry.prev_hash, entry.entry_hash, entry.pk],
            )
        cursor.execute("DELETE FROM workflows_auditchainhead")
        cursor.execute(
            "INSERT INTO workflows_auditchainhead (id, length, last_hash) VALUES (1, %s, %s)",
            [len(entries), prev],
        )
    return applications


def test_an_old_log_verifies_as_it_was_written(old_log):
    assert verify_chain().intact


def test_a_new_entry_continues_its_applications_chain_from_its_last_old_entry(old_log):
    application = old_log[0]
    last_old = application.audit_entries.order_by("app_seq").last()

    formal_check(application, application.people, "accept")

    new = application.audit_entries.order_by("app_seq").last()
    assert (new.hash_version, new.app_seq, new.prev_hash) == (
        2,
        last_old.app_seq + 1,
        last_old.entry_hash,
    )
    assert verify_chain().intact


def test_an_old_entry_altered_is_reported_by_its_seq(old_log):
    with behind_the_applications_back() as cursor:
        cursor.execute("UPDATE workflows_auditentry SET reason = '改写' WHERE seq = 2")

    assert verify_chain().first_bad_seq == 2


def test_an_old_entry_removed_from_the_end_of_the_old_chain_is_reported(old_log):
    AuditChainHead.objects.get(pk=1)  # the head the old chain ended at
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM workflows_auditentry WHERE seq = 4")

    result = verify_chain()
    assert not result.intact
    assert "old chain ends at #3 but 4" in " ".join(result.problems)


def test_an_entry_written_in_the_last_millisecond_of_a_second_verifies():
    import datetime

    from .audit_attacks import rebuild_chain

    application = FundingApplicationFactory(state="submitted")

    def late(entries):
        entries[0].at = datetime.datetime(2026, 3, 1, 8, 0, 59, 999600, tzinfo=datetime.UTC)
        return entries

    rebuild_chain(application, late)

    assert verify_chain().intact
