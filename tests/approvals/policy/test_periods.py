"""Effective periods across policy versions: one version in force on any day."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from approvals.policy import (
    NoPolicyInForceError,
    PolicyValidationError,
    check_periods_do_not_overlap,
    policy_in_force,
)
from approvals.policy.version import PolicyVersion

from .builders import build, minimal_document


def version(label: str, start: str, end: str | None) -> PolicyVersion:
    doc = copy.deepcopy(minimal_document())
    doc["version"] = label
    doc["effective"] = {"from": start, "to": end}
    return build(doc)


def test_consecutive_periods_do_not_overlap() -> None:
    check_periods_do_not_overlap(
        [version("a", "2025-01-01", "2025-12-31"), version("b", "2026-01-01", None)]
    )


def test_overlapping_periods_are_refused_naming_both_versions() -> None:
    with pytest.raises(PolicyValidationError) as caught:
        check_periods_do_not_overlap(
            [version("a", "2025-01-01", "2026-01-01"), version("b", "2026-01-01", None)]
        )
    (problem,) = caught.value.problems
    assert problem.field == "effective"
    assert "'a'" in problem.message_en
    assert "'b'" in problem.message_en


def test_open_ended_version_overlaps_any_later_one() -> None:
    with pytest.raises(PolicyValidationError):
        check_periods_do_not_overlap(
            [version("a", "2025-01-01", None), version("b", "2030-01-01", "2030-12-31")]
        )


def test_two_versions_with_one_label_are_refused() -> None:
    with pytest.raises(PolicyValidationError, match="two versions are labelled"):
        check_periods_do_not_overlap(
            [version("a", "2025-01-01", "2025-12-31"), version("a", "2026-01-01", None)]
        )


def test_policy_in_force_picks_the_version_covering_the_day() -> None:
    old, new = version("a", "2025-01-01", "2025-12-31"), version("b", "2026-01-01", None)
    assert policy_in_force([old, new], date(2025, 12, 31)) is old
    assert policy_in_force([old, new], date(2026, 1, 1)) is new


def test_no_policy_in_force_before_the_first_version() -> None:
    with pytest.raises(NoPolicyInForceError):
        policy_in_force([version("a", "2025-01-01", None)], date(2024, 12, 31))


def test_effective_period_includes_both_ends() -> None:
    policy = version("a", "2026-01-01", "2026-12-31")
    assert policy.is_effective_on(date(2026, 1, 1))
    assert policy.is_effective_on(date(2026, 12, 31))
    assert not policy.is_effective_on(date(2027, 1, 1))
