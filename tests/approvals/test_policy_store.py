"""Stored policy versions: loading, activation, the version in force for a call, and the
immutability of a version once a decision has used it."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from approvals import policy_store
from approvals.models import MatchingPolicyVersion, PolicyVersionInUseError
from approvals.policy import PolicyValidationError
from tests.factories import FundingCallFactory, make_user
from workflows.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "approvals" / "policies" / "example-2026.yaml"
_OPEN_ENDED = object()


def policy_text(
    *,
    version: str = "t.1",
    start: datetime.date | None = None,
    end: datetime.date | object | None = _OPEN_ENDED,
    budgets: tuple[int, int, int] | None = None,
) -> str:
    """The shipped example with another version label and period (by default from a year ago,
    open-ended, so calls opened recently fall inside it) and, if given, other pool budgets."""
    today = timezone.localdate()
    start = start or today - datetime.timedelta(days=365)
    period = f"  from: {start}\n" + ("" if end is _OPEN_ENDED else f"  to: {end}\n")
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('version: "2026-example.1"', f'version: "{version}"')
    text = text.replace("  from: 2026-01-01\n  to: 2026-12-31\n", period)
    if budgets is not None:
        for old, new in zip(("300000000", "150000000", "100000000"), budgets, strict=True):
            text = text.replace(f"budget: {old}\n", f"budget: {new}\n")
    return text


def active_policy(**kwargs) -> MatchingPolicyVersion:
    return policy_store.load_policy(text=policy_text(**kwargs), activate=True).record


def used_policy(**kwargs) -> MatchingPolicyVersion:
    record = active_policy(**kwargs)
    policy_store.mark_policy_used(record)
    record.refresh_from_db()
    return record


# --- loading --------------------------------------------------------------------------------


def test_loading_a_policy_stores_its_text_hash_and_period():
    text = policy_text(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31))

    loaded = policy_store.load_policy(text=text)

    record = MatchingPolicyVersion.objects.get()
    assert (record.version, record.source_text, record.content_hash) == (
        "t.1",
        text,
        loaded.policy.content_hash,
    )
    assert (record.effective_from, record.effective_to) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )


def test_a_loaded_policy_is_not_in_force_until_activated():
    policy_store.load_policy(text=policy_text())

    assert policy_store.policy_in_force_for_call(FundingCallFactory()) is None


def test_an_activated_policy_is_in_force_for_a_call_opened_in_its_period():
    record = active_policy()

    in_force = policy_store.policy_in_force_for_call(FundingCallFactory())

    assert in_force.record == record
    assert in_force.policy.content_hash == record.content_hash


def test_a_call_opened_before_the_period_has_no_policy_in_force():
    active_policy(start=timezone.localdate() + datetime.timedelta(days=1))

    assert policy_store.policy_in_force_for_call(FundingCallFactory()) is None


def test_the_version_in_force_is_the_one_whose_period_includes_the_calls_opening_day():
    today = timezone.localdate()
    active_policy(
        version="old",
        start=today - datetime.timedelta(days=400),
        end=today - datetime.timedelta(days=200),
    )
    current = active_policy(version="current", start=today - datetime.timedelta(days=199))

    assert policy_store.policy_in_force_for_call(FundingCallFactory()).record == current


def test_loading_identical_content_again_changes_nothing():
    first = policy_store.load_policy(text=policy_text())

    again = policy_store.load_policy(text=policy_text())

    assert again.outcome == "unchanged"
    assert MatchingPolicyVersion.objects.get().loaded_at == first.record.loaded_at


def test_the_same_policy_written_differently_counts_as_identical_content():
    policy_store.load_policy(text=policy_text())

    again = policy_store.load_policy(text="# a comment\n" + policy_text())

    assert again.outcome == "unchanged"


def test_loading_other_content_under_an_unused_version_replaces_it():
    policy_store.load_policy(text=policy_text())

    again = policy_store.load_policy(text=policy_text(budgets=(1, 2, 3)))

    assert again.outcome == "replaced"
    assert MatchingPolicyVersion.objects.get().content_hash == again.policy.content_hash


def test_loading_other_content_under_a_used_version_is_refused_asking_for_a_new_version():
    used = used_policy()

    with pytest.raises(InvalidInput) as refused:
        policy_store.load_policy(text=policy_text(budgets=(1, 2, 3)))

    assert "版本号" in str(refused.value.message)
    assert MatchingPolicyVersion.objects.get().content_hash == used.content_hash


def test_loading_identical_content_under_a_used_version_is_accepted_as_unchanged():
    used_policy()

    assert policy_store.load_policy(text=policy_text(), activate=True).outcome == "unchanged"


def test_an_invalid_document_stores_nothing():
    broken = policy_text().replace("ratio: 0.3\n", "ratio: -0.3\n")

    with pytest.raises(PolicyValidationError) as refused:
        policy_store.load_policy(text=broken, activate=True)

    assert refused.value.problems[0].rule_id == "matching-ratio"
    assert not MatchingPolicyVersion.objects.exists()


def test_activating_a_version_whose_period_overlaps_an_active_one_is_refused():
    active_policy(version="a")

    with pytest.raises(PolicyValidationError) as refused:
        policy_store.load_policy(text=policy_text(version="b"), activate=True)

    assert refused.value.problems[0].field == "effective"
    assert list(MatchingPolicyVersion.objects.values_list("version", flat=True)) == ["a"]


def test_a_draft_version_may_overlap_an_active_one_while_it_is_not_activated():
    active_policy(version="a")

    loaded = policy_store.load_policy(text=policy_text(version="b"))

    assert not loaded.record.active


def test_only_an_administrator_may_load_a_policy():
    auditor = make_user("auditor")

    with pytest.raises(NotAllowed):
        policy_store.load_policy(text=policy_text(), actor=auditor)

    assert not MatchingPolicyVersion.objects.exists()


def test_an_administrator_loading_a_policy_is_recorded_as_its_loader():
    administrator = make_user("administrator")

    loaded = policy_store.load_policy(text=policy_text(), actor=administrator)

    assert loaded.record.loaded_by == administrator


# --- immutability once used -----------------------------------------------------------------


def test_a_decision_marks_the_version_used_once():
    record = used_policy()
    first_use = record.used_at

    policy_store.mark_policy_used(record)

    record.refresh_from_db()
    assert record.used_at == first_use


def test_a_used_version_cannot_be_saved_again():
    record = used_policy()
    record.notice = "changed"

    with pytest.raises(PolicyVersionInUseError):
        record.save()


def test_a_used_version_cannot_be_deleted():
    record = used_policy()

    with pytest.raises(PolicyVersionInUseError):
        record.delete()


def test_the_queryset_refuses_to_update_a_used_version():
    used_policy()

    with pytest.raises(PolicyVersionInUseError):
        MatchingPolicyVersion.objects.update(notice="changed")


def test_the_queryset_refuses_to_delete_a_used_version():
    used_policy()

    with pytest.raises(PolicyVersionInUseError):
        MatchingPolicyVersion.objects.all().delete()


def test_an_unused_version_can_be_deleted():
    record = active_policy()

    policy_store.delete_policy_version(version_id=record.pk)

    assert not MatchingPolicyVersion.objects.exists()


def test_the_service_refuses_to_delete_a_used_version():
    record = used_policy()

    with pytest.raises(InvalidInput):
        policy_store.delete_policy_version(version_id=record.pk)

    assert MatchingPolicyVersion.objects.filter(pk=record.pk).exists()


def test_the_service_refuses_to_deactivate_a_used_version():
    record = used_policy()

    with pytest.raises(InvalidInput):
        policy_store.deactivate_policy_version(version_id=record.pk)

    assert MatchingPolicyVersion.objects.get(pk=record.pk).active


def test_an_unused_version_can_be_deactivated():
    record = active_policy()

    policy_store.deactivate_policy_version(version_id=record.pk)

    assert policy_store.policy_in_force_for_call(FundingCallFactory()) is None


@pytest.mark.postgres
def test_the_database_refuses_to_change_a_used_version_behind_the_models_back():
    record = used_policy()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE approvals_matchingpolicyversion SET notice = 'changed' WHERE id = %s",
            [record.pk],
        )

    assert MatchingPolicyVersion.objects.get(pk=record.pk).notice == record.notice


# --- the compiled form ----------------------------------------------------------------------


def test_the_compiled_policy_is_built_once_per_content_hash():
    record = active_policy()
    policy_store._compiled.clear()

    first = policy_store.compiled_policy(record)

    assert policy_store.compiled_policy(MatchingPolicyVersion.objects.get()) is first


def test_stored_text_that_no_longer_matches_its_hash_is_refused():
    record = active_policy()
    policy_store._compiled.clear()
    MatchingPolicyVersion.objects.filter(pk=record.pk).update(
        source_text=policy_text(budgets=(1, 2, 3))
    )

    with pytest.raises(InvalidInput):
        policy_store.compiled_policy(MatchingPolicyVersion.objects.get())
