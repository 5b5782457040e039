"""The actions a user can take on an application, and the transitions the suite checks them on.

Shared by the rights, order, audit and flow tests so that each table is written once.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from approvals import group_review, lead_review, meetings
from approvals.models import Meeting
from tests.factories import (
    CHECKS_FAILED,
    CHECKS_PASSED,
    FundingApplicationFactory,
    claim_open_task,
    make_user,
)
from workflows import assignments, selectors, submission
from workflows.models import AuditEntry, FundingApplication
from workflows.review_path import OPEN_TASKS_FOR_STATUS, STATUS_TIER, Tier

APPROVED_AMOUNT = Decimal("5000000.00")

# The written reason each action records (the applicant's submit and resubmit take none).
REASONS = {
    "accept": "形式审查合格，同意受理",
    "recommend": "符合区县功能定位，建议支持",
    "approve": "市联席会议审议通过",
    "defer": "待补充落地转化材料后再议",
    "return": "请补充国家批复文件",
    "reject": "不符合本批次支持方向",
    "withdraw": "项目实施主体调整",
}


def application_at(state: str) -> FundingApplication:
    """An application in ``state`` (a FundingApplicationFactory state), reviewed by one expert
    at tier 2: enough for tests about rights and order, and quicker than the call's default."""
    return FundingApplicationFactory(state=state, call__experts_required=1)


RECOMMENDED_AMOUNT = Decimal("6000000.00")


def _call(service: Callable[..., Any], **extra: Any) -> Callable[[int, Any], Any]:
    return lambda pk, user: service(application_id=pk, actor=user, **extra)


def _formal_check(decision: str) -> Callable[[int, Any], Any]:
    """The lead department's formal check list with ``decision``: every item passed to accept,
    the national approval missing to return or reject."""
    return _call(
        lead_review.record_formal_check,
        decision=decision,
        items=CHECKS_PASSED if decision == "accept" else CHECKS_FAILED,
        reason=REASONS[decision],
    )


def _group_recommendation(decision: str) -> Callable[[int, Any], Any]:
    return _call(
        group_review.record_group_recommendation,
        decision=decision,
        amount=RECOMMENDED_AMOUNT if decision == "recommend" else None,
        reason=REASONS[decision],
    )


def _meeting_resolution(decision: str) -> Callable[[int, Any], Any]:
    """The acting user records ``decision`` at the planned meeting holding the application on
    its agenda; when there is none, a secretary first schedules one with the application alone
    on it (refused as InvalidInput when it is not waiting for the meeting)."""

    def resolve(pk: int, user: Any) -> Any:
        meeting = Meeting.objects.filter(
            state=Meeting.State.PLANNED, items__application_id=pk
        ).first()
        if meeting is None:
            application = FundingApplication.objects.get(pk=pk)
            secretary = make_user("meeting_secretary")
            meeting = meetings.create_meeting(
                actor=secretary,
                call_id=application.call_id,
                held_on=timezone.localdate(),
                place="市政府会议室",
                chair="主管副市长",
            )
            meetings.build_agenda(meeting_id=meeting.pk, actor=secretary, application_ids=[pk])
        return meetings.record_resolutions(
            meeting_id=meeting.pk,
            actor=user,
            resolutions=[
                meetings.Resolution(
                    pk,
                    decision,
                    APPROVED_AMOUNT if decision == "approve" else None,
                    REASONS[decision],
                )
            ],
        )

    return resolve


def _at_its_tier(decision: str) -> Callable[[int, Any], Any]:
    """Return or reject through the public service of the tier the application is at (the
    lead department's when it is at none)."""
    by_tier = {
        Tier.LEAD: _formal_check(decision),
        Tier.GROUP: _group_recommendation(decision),
        Tier.MEETING: _meeting_resolution(decision),
    }

    def decide(pk: int, user: Any) -> Any:
        status = FundingApplication.objects.values_list("status", flat=True).get(pk=pk)
        return by_tier[STATUS_TIER.get(status, Tier.LEAD)](pk, user)

    return decide


# What each action does, given the application's id and the acting user: the applicant's steps
# and claiming directly, every decision through its tier's one public service.
ACTIONS: dict[str, Callable[[int, Any], Any]] = {
    "submit": _call(submission.submit_application),
    "claim": _call(assignments.claim_task),
    "release": _call(assignments.release_task),
    "accept": _formal_check("accept"),
    "recommend": _group_recommendation("recommend"),
    "approve": _meeting_resolution("approve"),
    "defer": _meeting_resolution("defer"),
    "return": _at_its_tier("return"),
    "reject": _at_its_tier("reject"),
    "resubmit": _call(submission.resubmit_application),
    "withdraw": _call(submission.withdraw_application, reason=REASONS["withdraw"]),
}

# The transition each action performs, as the audit trail names it (claim: at tier 1 only).
TRANSITION_OF = {
    "submit": "submit",
    "claim": "receive",
    "accept": "accept_for_review",
    "recommend": "recommend",
    "approve": "approve",
    "defer": "defer",
    "return": "return_for_revision",
    "reject": "reject",
    "resubmit": "resubmit",
    "withdraw": "withdraw",
}

# The names of the state machine's transitions, as the audit trail records them.
STATE_CHANGES = frozenset(TRANSITION_OF.values())


@dataclass(frozen=True)
class TransitionCase:
    """One action in one state, with the one kind of actor whose job it is."""

    id: str
    state: str  # a FundingApplicationFactory state
    action: str  # a key of ACTIONS
    rightful: str  # a kind of tests.factories.ACTOR_KINDS
    target: str  # the status afterwards
    tier: str = ""  # the tier the audit entry records
    claimed: bool = False  # the rightful reviewer holds the open task first
    # Kinds that hold the same right but are refused here for another reason (the group chair
    # is a group member, but a group member already holds the task).
    also_entitled: tuple[str, ...] = ()

    def prepare(self) -> FundingApplication:
        application = application_at(self.state)
        if self.claimed:
            application = claim_open_task(application)
        return application

    def perform(self, application: FundingApplication, user: Any) -> Any:
        return ACTIONS[self.action](application.pk, user)

    @property
    def transition(self) -> str:
        return TRANSITION_OF[self.action]

    @property
    def reason(self) -> str:
        return REASONS.get(self.action, "")


# Every transition, at every tier where it can happen.
TRANSITIONS = [
    TransitionCase("submit", "draft", "submit", "applicant", "submitted"),
    TransitionCase(
        "receive_by_claiming_at_tier_1",
        "submitted",
        "claim",
        "lead_officer",
        "lead_review",
        tier="lead",
    ),
    TransitionCase(
        "accept_for_review", "lead_review", "accept", "lead_officer", "group_review", tier="lead"
    ),
    TransitionCase(
        "recommend",
        "group_review",
        "recommend",
        "group_chair",
        "meeting_review",
        tier="group",
        claimed=True,
    ),
    TransitionCase(
        "approve",
        "meeting_review",
        "approve",
        "meeting_secretary",
        "approved",
        tier="meeting",
        claimed=True,
    ),
    TransitionCase(
        "approve_after_deferral",
        "deferred",
        "approve",
        "meeting_secretary",
        "approved",
        tier="meeting",
        claimed=True,
    ),
    TransitionCase(
        "defer",
        "meeting_review",
        "defer",
        "meeting_secretary",
        "deferred",
        tier="meeting",
        claimed=True,
    ),
    TransitionCase(
        "return_at_lead_review", "lead_review", "return", "lead_officer", "returned", tier="lead"
    ),
    TransitionCase(
        "return_at_group_review",
        "group_review",
        "return",
        "group_chair",
        "returned",
        tier="group",
        claimed=True,
    ),
    TransitionCase(
        "return_at_meeting_review",
        "meeting_review",
        "return",
        "meeting_secretary",
        "returned",
        tier="meeting",
        claimed=True,
    ),
    TransitionCase(
        "return_when_deferred",
        "deferred",
        "return",
        "meeting_secretary",
        "returned",
        tier="meeting",
        claimed=True,
    ),
    TransitionCase(
        "reject_at_lead_review", "lead_review", "reject", "lead_officer", "rejected", tier="lead"
    ),
    TransitionCase(
        "reject_at_group_review",
        "group_review",
        "reject",
        "group_chair",
        "rejected",
        tier="group",
        claimed=True,
    ),
    TransitionCase(
        "reject_at_meeting_review",
        "meeting_review",
        "reject",
        "meeting_secretary",
        "rejected",
        tier="meeting",
        claimed=True,
    ),
    TransitionCase(
        "reject_when_deferred",
        "deferred",
        "reject",
        "meeting_secretary",
        "rejected",
        tier="meeting",
        claimed=True,
    ),
    TransitionCase(
        "resubmit_to_the_lead_department",
        "returned_by_lead",
        "resubmit",
        "applicant",
        "lead_review",
    ),
    TransitionCase(
        "resubmit_to_the_review_group", "returned_by_group", "resubmit", "applicant", "group_review"
    ),
    TransitionCase(
        "resubmit_to_the_joint_meeting",
        "returned_by_meeting",
        "resubmit",
        "applicant",
        "meeting_review",
    ),
    TransitionCase("withdraw_when_submitted", "submitted", "withdraw", "applicant", "withdrawn"),
    TransitionCase(
        "withdraw_at_group_review", "group_review", "withdraw", "applicant", "withdrawn"
    ),
    TransitionCase(
        "withdraw_when_returned", "returned_by_lead", "withdraw", "applicant", "withdrawn"
    ),
]

# Claiming a review task that nobody holds (no transition except at tier 1, listed above).
CLAIMS = [
    TransitionCase("claim_at_group_review", "group_review", "claim", "group_chair", "group_review"),
    TransitionCase(
        "claim_at_meeting_review", "meeting_review", "claim", "meeting_secretary", "meeting_review"
    ),
    TransitionCase("claim_when_deferred", "deferred", "claim", "meeting_secretary", "deferred"),
]


def open_tasks_of(application: FundingApplication) -> list:
    """The open tasks of the application's review process, oldest first."""
    fresh = FundingApplication.objects.get(pk=application.pk)
    return selectors.open_tasks(fresh)


def open_task_names(application: FundingApplication) -> list[str]:
    """The node names of the application's open tasks, sorted."""
    return sorted(task.flow_task.name for task in open_tasks_of(application))


def holder(application: FundingApplication, name: str):
    """Who holds the application's open ``name`` task (None when nobody has claimed it)."""
    (task,) = [t for t in open_tasks_of(application) if t.flow_task.name == name]
    return task.owner


@dataclass(frozen=True)
class Snapshot:
    """What a refused action must leave as it was."""

    status: str
    revision: int
    returned_from_tier: str
    approved_amount: Decimal | None
    audit_entries: int
    open_tasks: tuple[tuple[int, str, str, int | None], ...]

    @classmethod
    def of(cls, application: FundingApplication) -> Snapshot:
        fresh = FundingApplication.objects.get(pk=application.pk)
        return cls(
            status=fresh.status,
            revision=fresh.revision,
            returned_from_tier=fresh.returned_from_tier,
            approved_amount=fresh.approved_amount,
            audit_entries=AuditEntry.objects.filter(application=fresh).count(),
            open_tasks=tuple(
                (t.pk, t.flow_task.name, t.status, t.owner_id) for t in selectors.open_tasks(fresh)
            ),
        )


def allowed_task_names(status: str) -> set[str]:
    return set(OPEN_TASKS_FOR_STATUS.get(status, ()))


_GUARDS = importlib.import_module("workflows.migrations.0006_per_application_chains")


@contextlib.contextmanager
def behind_the_applications_back() -> Iterator[Any]:
    """Raw SQL on the audit tables, as an intruder who owns the database would run it: the
    append-only triggers are switched off meanwhile (dropped and put back on SQLite; the test's
    transaction rolls back anyway)."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # ALTER TABLE refuses while the transaction's deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in _GUARDS.AUDIT_TABLES:
            if postgres:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
        try:
            yield cursor
        finally:
            for table in _GUARDS.AUDIT_TABLES:
                if postgres:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                else:
                    for statement in _GUARDS._sqlite_triggers(table):
                        cursor.execute(statement)
            if postgres:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
