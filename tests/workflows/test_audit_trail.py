"""The audit trail: one entry per state change, append-only, and a hash chain that reveals
any row altered or removed behind the application's back."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tests.factories import FundingApplicationFactory, actor
from workflows.audit import GENESIS, content_digest, entry_hash, record_refusal, verify_chain
from workflows.audit_guard import AUDIT_TABLES
from workflows.models import (
    AppendOnlyError,
    AuditChainHead,
    AuditEntry,
    FundingApplication,
    RefusedAttempt,
)

from .cases import TRANSITIONS, behind_the_applications_back

pytestmark = pytest.mark.django_db


def _seqs(application) -> list[int]:
    return list(application.audit_entries.order_by("seq").values_list("seq", flat=True))


@pytest.fixture
def approved():
    return FundingApplicationFactory(state="approved")


@pytest.fixture
def received():
    """Two applications just received by their lead departments: four entries on the chain,
    none of them the cause of a decision document, so any can be removed without breaking a
    foreign key."""
    return [FundingApplicationFactory(state="lead_review") for _ in range(2)]


# --- one entry per transition ---------------------------------------------------------------


@pytest.mark.parametrize("case", TRANSITIONS, ids=lambda c: c.id)
def test_a_transition_appends_one_entry_naming_the_move_the_actor_and_the_reason(case):
    application = case.prepare()
    source = application.status
    user = actor(case.rightful, application)

    case.perform(application, user)

    entry = AuditEntry.objects.filter(application=application).order_by("seq").last()
    assert (entry.transition, entry.source, entry.target) == (case.transition, source, case.target)
    assert (entry.actor, entry.actor_role, entry.tier) == (user, user.profile.role, case.tier)
    assert entry.reason == case.reason


@pytest.mark.parametrize("case", TRANSITIONS, ids=lambda c: c.id)
def test_a_transitions_entry_is_chained_to_the_applications_entry_before_it(case):
    application = case.prepare()
    previous = application.audit_entries.order_by("app_seq").last()
    expected = (previous.app_seq + 1, previous.entry_hash) if previous else (1, GENESIS)

    case.perform(application, actor(case.rightful, application))

    entry = application.audit_entries.order_by("app_seq").last()
    assert (entry.app_seq, entry.prev_hash) == expected


def test_an_entry_holds_the_digest_of_the_applications_content_after_the_move(approved):
    entry = approved.audit_entries.get(transition="approve")

    assert entry.content_digest == content_digest(FundingApplication.objects.get(pk=approved.pk))


def test_an_approval_entry_records_the_amount(approved):
    entry = approved.audit_entries.get(transition="approve")

    assert entry.details["amount"] == "5000000.00"


def test_the_actor_name_is_kept_on_the_entry(approved):
    entry = approved.audit_entries.get(transition="submit")

    assert entry.actor_name == approved.people.applicant.get_full_name()


def test_the_chain_is_intact_after_a_full_path(approved):
    result = verify_chain()

    assert result.intact
    assert result.count == AuditEntry.objects.count()


# --- append-only in the model ---------------------------------------------------------------


def test_saving_an_existing_entry_is_refused(approved):
    entry = approved.audit_entries.first()
    entry.reason = "改写"

    with pytest.raises(AppendOnlyError):
        entry.save()

    assert approved.audit_entries.first().reason == ""


def test_deleting_an_entry_is_refused(approved):
    entry = approved.audit_entries.first()

    with pytest.raises(AppendOnlyError):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_updating_entries_through_a_queryset_is_refused(approved):
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(application=approved).update(reason="改写")

    assert not AuditEntry.objects.filter(reason="改写").exists()


def test_deleting_entries_through_a_queryset_is_refused(approved):
    count = AuditEntry.objects.count()

    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == count


def test_updating_entries_through_the_applications_related_manager_is_refused(approved):
    with pytest.raises(AppendOnlyError):
        approved.audit_entries.update(reason="改写")


# --- tampering is detected ------------------------------------------------------------------


def test_an_entry_altered_with_raw_sql_is_reported_by_its_seq(approved):
    target = _seqs(approved)[2]
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET reason = %s WHERE seq = %s", ["事后补写的理由", target]
        )

    result = verify_chain()

    assert not result.intact
    assert result.first_bad_seq == target


def test_an_entry_whose_actor_role_was_altered_is_reported(approved):
    target = _seqs(approved)[-1]
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET actor_role = %s WHERE seq = %s",
            ["administrator", target],
        )

    assert verify_chain().first_bad_seq == target


def test_an_entry_whose_hash_was_recomputed_after_altering_it_breaks_the_next_link(approved):
    seqs = _seqs(approved)
    entry = AuditEntry.objects.get(seq=seqs[1])
    entry.reason = "伪造"
    forged = entry_hash(entry)
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET reason = %s, entry_hash = %s WHERE seq = %s",
            ["伪造", forged, seqs[1]],
        )

    assert verify_chain().first_bad_seq == seqs[2]


def test_a_deleted_middle_entry_of_an_applications_chain_is_reported_missing(approved):
    seqs = _seqs(approved)  # the second entry (received) issued no document
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM workflows_auditentry WHERE seq = %s", [seqs[1]])

    result = verify_chain()

    assert not result.intact
    assert result.first_bad_seq == seqs[2]
    assert "missing" in result.problem


def test_a_deleted_last_entry_is_reported_naming_its_application(received):
    target = _seqs(received[1])[-1]
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM workflows_auditentry WHERE seq = %s", [target])

    result = verify_chain()

    assert not result.intact
    assert result.altered_applications == (received[1].pk,)


def test_the_first_of_several_altered_entries_is_reported(approved):
    first, *_, last = _seqs(approved)
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET reason = %s WHERE seq IN (%s, %s)",
            ["改写", first, last],
        )

    assert verify_chain().first_bad_seq == first


# --- the database refuses changes ----------------------------------------------------------


def test_the_database_refuses_a_raw_update_of_an_entry(approved):
    target = _seqs(approved)[0]

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET reason = %s WHERE seq = %s", ["改写", target]
        )

    assert AuditEntry.objects.get(seq=target).reason == ""
    assert verify_chain().intact


def test_the_database_refuses_a_raw_delete_of_an_entry(approved):
    target = _seqs(approved)[0]

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM workflows_auditentry WHERE seq = %s", [target])

    assert AuditEntry.objects.filter(seq=target).exists()
    assert verify_chain().intact


def test_the_database_refuses_to_delete_a_refused_attempt(approved):
    record_refusal(actor=None, application_id=approved.pk, action="approve", message="拒绝")

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM workflows_refusedattempt")

    assert RefusedAttempt.objects.count() == 1


def test_the_database_refuses_to_move_the_old_chains_head(approved):
    AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE workflows_auditchainhead SET length = length + 1")


@pytest.mark.postgres
@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_postgresql_refuses_to_truncate_an_audit_table(approved, table):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")

    assert AuditEntry.objects.exists()


def test_flush_is_refused_while_the_audit_trail_is_protected(approved, settings):
    settings.AUDIT_ALLOW_FLUSH = False

    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False)

    assert AuditEntry.objects.exists()


# --- the verify_audit command ---------------------------------------------------------------


def test_verify_audit_prints_the_number_of_entries_when_the_chain_is_intact(approved, capsys):
    call_command("verify_audit")

    assert str(AuditEntry.objects.count()) in capsys.readouterr().out


def test_verify_audit_fails_naming_the_first_altered_entry(approved):
    target = _seqs(approved)[1]
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET reason = %s WHERE seq = %s", ["改写", target]
        )

    with pytest.raises(CommandError, match=f"#{target}\\b"):
        call_command("verify_audit")


def test_verify_audit_fails_naming_the_application_whose_last_entry_was_deleted(received):
    target = _seqs(received[1])[-1]
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM workflows_auditentry WHERE seq = %s", [target])

    with pytest.raises(CommandError, match=f"application {received[1].pk}\\b"):
        call_command("verify_audit")
