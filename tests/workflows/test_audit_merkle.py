"""The Merkle tree of the checkpoints is RFC 6962's, and the verifier joins stretches of the
log verified apart (in other processes) into the same answer."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import FundingApplicationFactory
from workflows import audit_merkle as merkle
from workflows.audit import verify_chain
from workflows.audit_checkpoints import make_key, seal_checkpoint

from .cases import behind_the_applications_back


def _rfc_root(data: list[bytes]) -> bytes:
    """MTH as RFC 6962 §2.1 writes it, recursively."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1 << ((len(data) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _rfc_root(data[:k]) + _rfc_root(data[k:])).digest()


def _leaves(n):
    return [i.to_bytes(4, "big") for i in range(n)]


def _subtree(data):
    def subtree(start, end):
        return _rfc_root(data[start:end])

    return subtree


@given(st.integers(min_value=0, max_value=300))
def test_the_tree_head_is_the_rfc_6962_merkle_tree_hash(n):
    data = _leaves(n)

    assert merkle.root_of_leaves([merkle.leaf_hash(d) for d in data]) == _rfc_root(data)


@given(
    st.integers(min_value=1, max_value=120).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n - 1))
    )
)
def test_an_inclusion_proof_leads_from_its_leaf_to_the_root(case):
    n, index = case
    data = _leaves(n)
    path = merkle.inclusion_path(index, n, _subtree(data))

    assert merkle.root_from_path(index, n, merkle.leaf_hash(data[index]), path) == _rfc_root(data)


def test_an_inclusion_proof_does_not_prove_another_leaf():
    data = _leaves(13)
    path = merkle.inclusion_path(5, 13, _subtree(data))

    assert merkle.root_from_path(6, 13, merkle.leaf_hash(data[5]), path) != _rfc_root(data)


@pytest.mark.django_db
def test_stretches_verified_apart_join_into_an_intact_log(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_KEY = str(tmp_path / "key.pem")
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    make_key(tmp_path / "key.pem")
    for _ in range(3):
        FundingApplicationFactory(state="group_review")
        seal_checkpoint()

    result = verify_chain(chunk=4)

    assert result.intact
    assert result.checkpoints == 3


@pytest.mark.django_db
def test_an_entry_altered_in_a_later_stretch_is_reported(tmp_path):
    applications = [FundingApplicationFactory(state="group_review") for _ in range(3)]
    target = applications[-1].audit_entries.order_by("seq").last().seq
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET reason = %s WHERE seq = %s", ["改写", target]
        )

    assert verify_chain(chunk=2).first_bad_seq == target


@pytest.mark.django_db(transaction=True)
def test_worker_processes_verify_the_committed_log_as_one_process_does():
    for _ in range(3):
        FundingApplicationFactory(state="group_review")

    parallel = verify_chain(chunk=2, workers=2)

    assert parallel.intact
    assert parallel.count == verify_chain(workers=1).count
