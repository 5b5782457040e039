"""Signed checkpoints outside the database: a database administrator who rewrites the log and
rebuilds its chains so that they verify by themselves is still caught by a checkpoint file."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from tests.documents.issued import accepted, pdf_bytes, the_document
from tests.factories import FundingApplicationFactory
from workflows import audit_merkle as merkle
from workflows.audit import verify_chain
from workflows.audit_checkpoints import (
    audit_proof,
    check_proof,
    make_key,
    read_checkpoint_dir,
    seal_checkpoint,
    signing_key,
)
from workflows.models import AuditCheckpoint, AuditEntry, AuditTreeNode

from .audit_attacks import forged_copy, rebuild_chain
from .cases import behind_the_applications_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint_dir(tmp_path, settings):
    """A checkpoint key and the directory that its checkpoints are shipped to."""
    key = tmp_path / "audit-key.pem"
    make_key(key)
    settings.AUDIT_CHECKPOINT_KEY = str(key)
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.fixture
def public_key(checkpoint_dir, settings):
    return signing_key().public_key()


def _verify_against_files(directory, key):
    return verify_chain(checkpoints=read_checkpoint_dir(directory), public_key=key)


def _leaves():
    hashes = AuditEntry.objects.order_by("seq").values_list("entry_hash", flat=True)
    return [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]


# --- sealing --------------------------------------------------------------------------------


def test_a_checkpoint_file_holds_the_merkle_root_of_every_entry(checkpoint_dir):
    FundingApplicationFactory(state="group_review")

    checkpoint = seal_checkpoint()

    (written,) = checkpoint_dir.glob("checkpoint-*.json")
    data = json.loads(written.read_text())
    assert (data["size"], data["root"]) == (AuditEntry.objects.count(), checkpoint.root)
    assert data["root"] == merkle.root_of_leaves(_leaves()).hex()


def test_a_checkpoint_is_signed_with_the_programmes_key(checkpoint_dir, public_key):
    FundingApplicationFactory(state="lead_review")
    seal_checkpoint()

    (head,) = read_checkpoint_dir(checkpoint_dir)

    assert head.signed_by(public_key)


def test_a_checkpoint_continues_from_the_previous_one(checkpoint_dir):
    FundingApplicationFactory(state="lead_review")
    first = seal_checkpoint()
    FundingApplicationFactory(state="group_review")

    second = seal_checkpoint()

    assert second.size > first.size
    assert second.root == merkle.root_of_leaves(_leaves()).hex()


def test_sealing_again_with_nothing_new_gives_the_same_checkpoint(checkpoint_dir):
    FundingApplicationFactory(state="lead_review")
    first = seal_checkpoint()

    assert seal_checkpoint().pk == first.pk
    assert AuditCheckpoint.objects.count() == 1


def test_sealing_without_a_key_fails_with_one_line_naming_the_setting(settings):
    settings.AUDIT_CHECKPOINT_KEY = ""

    with pytest.raises(CommandError, match="AUDIT_CHECKPOINT_KEY"):
        call_command("seal_audit_checkpoint")


def test_an_intact_log_verifies_against_its_checkpoint_files(checkpoint_dir, public_key):
    FundingApplicationFactory(state="group_review")
    seal_checkpoint()
    FundingApplicationFactory(state="lead_review")

    result = _verify_against_files(checkpoint_dir, public_key)

    assert result.intact
    assert result.checkpoints == 1


# --- the attacks ----------------------------------------------------------------------------


def test_a_rewritten_entry_with_its_chain_rebuilt_is_caught_by_the_checkpoint(
    checkpoint_dir, public_key
):
    application = FundingApplicationFactory(state="group_review")
    seal_checkpoint()

    def reword(entries):
        entries[1].reason = "事后改写的理由"
        return entries

    rebuild_chain(application, reword)

    assert verify_chain(checkpoints=[]).intact  # the chains alone no longer tell
    result = _verify_against_files(checkpoint_dir, public_key)
    assert not result.intact
    assert "checkpoint" in result.problem


def test_a_forged_approval_inserted_in_the_middle_is_caught_by_the_checkpoint(
    checkpoint_dir, public_key
):
    application = FundingApplicationFactory(state="group_review")
    seal_checkpoint()

    def insert_approval(entries):
        forged = forged_copy(entries[-1], transition="approve", reason="伪造的批准")
        return [*entries[:1], forged, *entries[1:]]

    rebuild_chain(application, insert_approval)

    result = _verify_against_files(checkpoint_dir, public_key)
    assert not result.intact
    assert "checkpoint" in result.problem


def test_verify_audit_with_the_checkpoint_files_fails_on_a_rebuilt_chain(
    checkpoint_dir, public_key
):
    application = FundingApplicationFactory(state="group_review")
    seal_checkpoint()
    rebuild_chain(application, lambda entries: [entries[0], *entries[2:]])

    with pytest.raises(CommandError, match="checkpoint"):
        call_command("verify_audit", checkpoints=checkpoint_dir)


def test_removing_the_tail_of_the_log_is_caught_by_a_later_documents_checkpoint(
    checkpoint_dir, public_key, django_capture_on_commit_callbacks
):
    FundingApplicationFactory(state="lead_review")
    accepted(django_capture_on_commit_callbacks)  # its acceptance notice seals a checkpoint
    covered = AuditEntry.objects.count()
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM documents_document_applications")
        cursor.execute("DELETE FROM documents_document")
        cursor.execute("DELETE FROM workflows_audittreenode")
        cursor.execute("DELETE FROM workflows_auditcheckpoint")
        cursor.execute(
            "DELETE FROM workflows_auditentry WHERE seq > %s",
            [AuditEntry.objects.order_by("seq").values_list("seq", flat=True)[covered - 3]],
        )

    result = _verify_against_files(checkpoint_dir, public_key)

    assert not result.intact
    assert f"checkpoint {covered}" in " ".join(result.problems)
    assert "removed from its end" in " ".join(result.problems)


def test_a_checkpoint_file_signed_with_another_key_is_reported(checkpoint_dir, tmp_path):
    FundingApplicationFactory(state="lead_review")
    seal_checkpoint()
    other = make_key(tmp_path / "other.pem")

    result = _verify_against_files(checkpoint_dir, other)

    assert not result.intact
    assert "bad signature" in result.problem


# --- documents carry their proof -------------------------------------------------------------


@pytest.fixture
def acceptance(checkpoint_dir, django_capture_on_commit_callbacks):
    return the_document(accepted(django_capture_on_commit_callbacks), "acceptance")


def _record(document):
    import io

    from pypdf import PdfReader

    return json.loads(PdfReader(io.BytesIO(pdf_bytes(document))).attachments["decision.json"][0])


def test_a_decision_documents_record_carries_the_inclusion_proof_of_its_entry(
    acceptance, public_key
):
    record = _record(acceptance)

    assert record["audit_proof"]["entry"] == acceptance.audit_entry.seq
    assert check_proof(record["audit_proof"], record["audit_hash"], public_key) == ""


def test_a_document_is_issued_under_a_checkpoint_written_to_the_directory(
    acceptance, checkpoint_dir
):
    proof = _record(acceptance)["audit_proof"]

    sizes = [head.size for head in read_checkpoint_dir(checkpoint_dir)]
    assert proof["checkpoint"] in sizes


def test_a_proof_for_another_entry_is_refused(acceptance, public_key):
    record = _record(acceptance)
    other = AuditEntry.objects.exclude(pk=acceptance.audit_entry_id).first()

    assert "not in checkpoint" in check_proof(record["audit_proof"], other.entry_hash, public_key)


def test_verify_document_offline_checks_the_proof_with_the_public_key_only(
    acceptance, tmp_path, public_key, settings, capsys
):
    pdf = tmp_path / "acceptance.pdf"
    pdf.write_bytes(pdf_bytes(acceptance))
    pub = tmp_path / "audit.pub"
    from workflows.audit_checkpoints import public_pem

    pub.write_bytes(public_pem(public_key))
    settings.AUDIT_CHECKPOINT_KEY = ""

    call_command("verify_document", str(pdf), offline=True, public_key=pub)

    assert (
        f"checkpoint {_record(acceptance)['audit_proof']['checkpoint']}" in capsys.readouterr().out
    )


def test_verify_document_offline_refuses_a_proof_under_another_key(acceptance, tmp_path):
    pdf = tmp_path / "acceptance.pdf"
    pdf.write_bytes(pdf_bytes(acceptance))
    other = tmp_path / "other.pem"
    make_key(other)

    with pytest.raises(CommandError, match="not signed by the programme's key"):
        call_command("verify_document", str(pdf), offline=True, public_key=other)


@pytest.mark.parametrize("table", ["workflows_auditcheckpoint", "workflows_audittreenode"])
def test_the_database_refuses_to_rewrite_the_checkpoint_tables(checkpoint_dir, table):
    from django.db import DatabaseError, connection, transaction

    FundingApplicationFactory(state="submitted")
    seal_checkpoint()
    AuditTreeNode.objects.create(level=8, index=10**6, digest="00" * 32, first_seq=1)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET id = id")  # noqa: S608
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def test_verify_audit_with_the_applicants_copy_alone_catches_a_removed_tail(
    acceptance, tmp_path, public_key
):
    copies = tmp_path / "copies"
    copies.mkdir()
    (copies / "acceptance.pdf").write_bytes(pdf_bytes(acceptance))
    covered = _record(acceptance)["audit_proof"]["checkpoint"]
    with behind_the_applications_back() as cursor:
        cursor.execute("DELETE FROM documents_document_applications")
        cursor.execute("DELETE FROM documents_document")
        cursor.execute("DELETE FROM workflows_audittreenode")
        cursor.execute("DELETE FROM workflows_auditcheckpoint")
        cursor.execute(
            "DELETE FROM workflows_auditentry WHERE id = %s", [acceptance.audit_entry_id]
        )
    pub = tmp_path / "audit.pub"
    from workflows.audit_checkpoints import public_pem

    pub.write_bytes(public_pem(public_key))

    with pytest.raises(CommandError, match=f"checkpoint {covered} \\(acceptance.pdf\\)"):
        call_command("verify_audit", documents=copies, public_key=pub)


def _remind(application, times):
    from workflows.audit import record_event

    with transaction.atomic():
        for _ in range(times):
            record_event(application, actor=None, name="remind", tier="group")


def test_a_checkpoint_completes_a_block_of_the_tree_begun_before_the_previous_one(
    checkpoint_dir, public_key
):
    application = FundingApplicationFactory(state="group_review")
    _remind(application, 200)
    seal_checkpoint()
    _remind(application, 100)

    checkpoint = seal_checkpoint()

    assert checkpoint.root == merkle.root_of_leaves(_leaves()).hex()
    entry = AuditEntry.objects.order_by("seq")[250]
    assert check_proof(audit_proof(entry), entry.entry_hash, public_key) == ""
