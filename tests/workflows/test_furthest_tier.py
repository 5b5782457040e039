"""The furthest tier a request has reached, kept on the request: the access policy's "reached
the group / the meeting" gives the answers the audit trail gives."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps as installed_apps
from django.db.models import Exists, OuterRef
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import FundingApplicationFactory, make_user
from workflows import access, submission
from workflows.models import MOVE_FIELDS, AuditEntry, FundingApplication, Status
from workflows.review_path import STATUS_TIER, STEPS, TIER_STATUS, furthest_tier_after

# The statuses a request can move to from each status, as the review path has them.
NEXT: dict[str, list[str]] = {}
for _step in STEPS:
    for _source in _step.sources:
        NEXT[_source] = sorted({*NEXT.get(_source, []), *_step.targets})


@st.composite
def walks(draw: st.DrawFn) -> list[str]:
    """The statuses a request holds, from its draft, along steps of the review path (a
    resubmission goes back to the tier that returned the request)."""
    statuses = [str(Status.DRAFT)]
    returned_by = None
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        following = NEXT.get(statuses[-1], [])
        if statuses[-1] == Status.RETURNED:
            back = TIER_STATUS[returned_by]
            following = [s for s in following if s == back or s not in TIER_STATUS.values()]
        if not following:
            break
        status = str(draw(st.sampled_from(following)))
        if status == Status.RETURNED:
            returned_by = STATUS_TIER[Status(statuses[-1])]
        statuses.append(status)
    return statuses


@given(walks())
def test_the_furthest_tier_is_the_group_exactly_when_the_request_was_once_at_the_group(walk):
    furthest = ""
    for status in walk[1:]:
        furthest = furthest_tier_after(furthest, status)

    assert (furthest in ("group", "meeting")) == (Status.GROUP_REVIEW in walk)
    assert (furthest == "meeting") == (Status.MEETING_REVIEW in walk)


def _resubmitted(trait: str) -> FundingApplication:
    application = FundingApplicationFactory(**{trait: True})
    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )
    return application


def _histories() -> None:
    """Requests with every kind of history the review can give them."""
    for state in (
        "draft",
        "submitted",
        "lead_review",
        "group_review",
        "meeting_review",
        "deferred",
        "approved",
        "returned_by_lead",
        "returned_by_group",
        "returned_by_meeting",
        "rejected_by_lead",
        "rejected_by_group",
        "rejected_by_meeting",
        "withdrawn",
    ):
        FundingApplicationFactory(state=state)
    _resubmitted("returned")
    _resubmitted("returned_by_group")
    _resubmitted("returned_by_meeting")


def _as_the_audit_trail_says(status: Status) -> set[int]:
    """The reviewer's requests by the rule read from the audit trail (for a reviewer of no
    applicant organisation): submitted, and an entry that brought the request to ``status``."""
    reached = AuditEntry.objects.filter(application_id=OuterRef("pk"), target=status)
    return set(
        FundingApplication.objects.exclude(status=Status.DRAFT)
        .filter(Exists(reached))
        .values_list("pk", flat=True)
    )


def _visible(user) -> set[int]:
    return set(access.applications_for(user).values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_chair_and_the_secretariat_see_what_the_audit_trail_says_reached_them():
    _histories()
    chair, secretary = make_user("group_chair"), make_user("meeting_secretary")

    assert _visible(chair) == _as_the_audit_trail_says(Status.GROUP_REVIEW)
    assert _visible(secretary) == _as_the_audit_trail_says(Status.MEETING_REVIEW)


def _kept() -> dict[int, tuple]:
    """What the decisions keep on each request (``MOVE_FIELDS``)."""
    rows = FundingApplication.objects.values_list("pk", *MOVE_FIELDS)
    return {pk: tuple(values) for pk, *values in rows}


def _same(kept: tuple, expected: tuple) -> bool:
    """Equal, the times within a second (a decision times its save a moment before its audit
    entry)."""
    second = datetime.timedelta(seconds=1)
    return all(
        a == b if a is None or b is None or isinstance(a, str) else abs(a - b) < second
        for a, b in zip(kept, expected, strict=True)
    )


@pytest.mark.django_db
def test_the_migration_fills_in_what_the_decisions_keep_on_each_request():
    _histories()
    kept_by_decisions = _kept()
    FundingApplication.objects.update(
        **{f: "" if f == "furthest_tier" else None for f in MOVE_FIELDS}
    )
    migration = importlib.import_module(
        "workflows.migrations.0019_application_furthest_tier_and_times"
    )

    migration.fill_from_history(installed_apps, None)

    filled = _kept()
    assert filled.keys() == kept_by_decisions.keys()
    assert [pk for pk in filled if not _same(filled[pk], kept_by_decisions[pk])] == []
