"""A random walk through the state machine: after every step the review flow's open tasks match
the application's status, and every refused step left everything as it was."""

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from viewflow.workflow.status import PROCESS

from approvals import group_review, rubric
from tests.factories import FundingApplicationFactory, actor
from workflows import assignments, submission
from workflows.audit import verify_chain
from workflows.errors import DomainError
from workflows.models import FINAL, TIER_STATUS, FundingApplication, Tier
from workflows.review_path import DECISION_TASK, OPEN_TASKS_FOR_STATUS

from .cases import ACTIONS, Snapshot, open_task_names

pytestmark = pytest.mark.django_db

# The statuses each transition leaves from, and where it goes (resubmit: see below).
SOURCES = {
    "submit": {"draft"},
    "accept": {"lead_review"},
    "recommend": {"group_review"},
    "approve": {"meeting_review", "deferred"},
    "defer": {"meeting_review", "deferred"},
    "return": {"lead_review", "group_review", "meeting_review", "deferred"},
    "reject": {"lead_review", "group_review", "meeting_review", "deferred"},
    "resubmit": {"returned"},
    "withdraw": {
        "submitted",
        "lead_review",
        "group_review",
        "meeting_review",
        "deferred",
        "returned",
    },
}
TARGET = {
    "submit": "submitted",
    "accept": "group_review",
    "recommend": "meeting_review",
    "approve": "approved",
    "defer": "deferred",
    "return": "returned",
    "reject": "rejected",
    "withdraw": "withdrawn",
}
STEPS = sorted(
    {
        *SOURCES,
        "claim",
        "release",
        "assign_experts",
        "score",
        "claim_and_decide",
        "outsider_returns",
        "other_department_claims",
    }
)


class Walk:
    """One application and its people; every step is a service call, checked after it ran."""

    def __init__(self) -> None:
        self.application = FundingApplicationFactory(call__experts_required=1)
        self.people = self.application.people
        self.visited = {"draft"}

    @property
    def status(self) -> str:
        return FundingApplication.objects.get(pk=self.application.pk).status

    def reviewer(self):
        tier = FundingApplication.objects.get(pk=self.application.pk).current_tier
        return self.people.at_tier(tier) if tier else self.people.lead_officer

    def attempt(self, name: str, call: Callable[[], object]) -> bool:
        """Run one service call; on refusal check that nothing changed. True if it ran."""
        before = Snapshot.of(self.application)
        try:
            call()
        except DomainError:
            assert Snapshot.of(self.application) == before, f"refused {name} changed state"
            return False
        finally:
            self.check_flow_matches_status()
        after = Snapshot.of(self.application)
        self.visited.add(after.status)
        if name in TARGET or name == "resubmit":
            assert before.status in SOURCES[name], f"{name} ran from {before.status}"
            expected = (
                TARGET[name] if name in TARGET else TIER_STATUS[Tier(before.returned_from_tier)]
            )
            assert after.status == expected
            assert after.audit_entries == before.audit_entries + 1
        else:
            assert after.status in (before.status, "lead_review")  # claiming receives at tier 1
        return True

    def check_flow_matches_status(self) -> None:
        application = FundingApplication.objects.select_related("review_process").get(
            pk=self.application.pk
        )
        status, names = application.status, open_task_names(application)
        if status == "draft" or status in FINAL:
            assert names == [], f"open tasks {names} while {status}"
            if application.review_process_id:
                assert application.review_process.status in (PROCESS.DONE, PROCESS.CANCELED)
            return
        assert set(names) <= OPEN_TASKS_FOR_STATUS[status], f"{names} while {status}"
        if status == "group_review":
            # The chair assigns, then the experts score (one task each), then the chair decides.
            assert names in (["assign_experts"], ["group_decision"]) or (
                names and set(names) == {"score"}
            ), f"{names} while {status}"
        else:
            assert names == [DECISION_TASK[status]], f"{names} while {status}"

    # --- the steps ------------------------------------------------------------------------

    def step(self, name: str) -> None:
        pk, people = self.application.pk, self.people
        if name == "submit":
            self.attempt(
                name,
                lambda: submission.submit_application(application_id=pk, actor=people.applicant),
            )
        elif name == "claim":
            self.attempt(
                name, lambda: assignments.claim_task(application_id=pk, actor=self.reviewer())
            )
        elif name == "release":
            self.attempt(
                name, lambda: assignments.release_task(application_id=pk, actor=self.reviewer())
            )
        elif name == "assign_experts":
            self.attempt(
                name,
                lambda: group_review.assign_experts(
                    application_id=pk,
                    actor=people.group_chair,
                    expert_ids=[e.pk for e in people.experts],
                ),
            )
        elif name == "score":
            for expert in people.experts:
                self.attempt(
                    "declare",
                    lambda e=expert: group_review.declare_interest(
                        application_id=pk, actor=e, conflict=False
                    ),
                )
                self.attempt(
                    name,
                    lambda e=expert: group_review.submit_scores(
                        application_id=pk,
                        actor=e,
                        scores={
                            c.code: (75, "可行") for c in rubric.rubric_for(self.application.call)
                        },
                    ),
                )
        elif name == "claim_and_decide":
            self.step("claim")
            self.step(self.decisions()[0])
        elif name == "outsider_returns":
            outsider = actor("applicant_of_another_organisation", self.application)
            assert not self.attempt(name, lambda: ACTIONS["return"](pk, outsider))
        elif name == "other_department_claims":
            officer = actor("lead_officer_of_another_department", self.application)
            assert not self.attempt(
                name, lambda: assignments.claim_task(application_id=pk, actor=officer)
            )
        else:
            self.attempt(name, lambda: self.decide(name))

    def decisions(self) -> list[str]:
        """The decisions that move the application on from its status, likeliest first."""
        return {
            "draft": ["submit"],
            "submitted": ["claim"],
            "lead_review": ["accept", "accept", "accept", "return", "reject"],
            "group_review": ["recommend", "recommend", "recommend", "return", "reject"],
            "meeting_review": ["approve", "defer", "return", "reject"],
            "deferred": ["approve", "defer", "return", "reject"],
            "returned": ["resubmit", "resubmit", "withdraw"],
        }.get(self.status, ["withdraw"])

    def advance(self, variant: int) -> None:
        """Do what the application is waiting for, as the people whose turn it is would."""
        names = open_task_names(self.application)
        if names == ["assign_experts"]:
            self.step("claim")
            self.step("assign_experts")
        elif names and set(names) == {"score"}:
            self.step("score")
        elif self.status in ("draft", "submitted", "returned"):
            self.step(self.decisions()[0])
        else:
            self.step("claim")
            choices = self.decisions()
            self.step(choices[variant % len(choices)])

    def decide(self, name: str) -> object:
        """A decision through its tier's public service (cases.ACTIONS), by the applicant for
        their own steps and by the reviewer of the application's tier for the others."""
        user = self.people.applicant if name in ("resubmit", "withdraw") else self.reviewer()
        return ACTIONS[name](self.application.pk, user)


ADVANCE = st.tuples(st.just("advance"), st.integers(0, 11))
# Advancing with variant 0 takes the likeliest decision; with these, the tier's others.
GO, DEFER, RETURN_AT_MEETING, RETURN = (
    ("advance", 0),
    ("advance", 1),
    ("advance", 2),
    ("advance", 3),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(steps=[GO] * 8)  # through every tier to approval
@example(steps=[GO] * 6 + [DEFER, GO, GO])  # deferred, then approved
@example(
    steps=[GO, GO, RETURN, GO, GO, GO, GO, RETURN, GO, GO, GO, GO, RETURN_AT_MEETING, GO, GO]
)  # returned by each tier, resubmitted to it, then approved
@example(steps=[GO, GO, GO, GO, "withdraw", "claim", "resubmit"])  # withdrawn while scoring
@given(
    steps=st.lists(
        # Most steps do what the application waits for, so that walks reach the last tier; the
        # others are any action at all, by its usual actor or by an intruder.
        st.one_of(ADVANCE, ADVANCE, ADVANCE, st.sampled_from(STEPS)),
        min_size=20,
        max_size=40,
    )
)
def test_the_open_tasks_always_match_the_status_and_refusals_change_nothing(steps):
    # Each example builds its own application in the test's database transaction.
    walk = Walk()
    walk.check_flow_matches_status()
    for step in steps:
        if isinstance(step, tuple):
            walk.advance(step[1])
        else:
            walk.step(step)
    for status in sorted(walk.visited):
        event(f"visited {status}")
    assert verify_chain().intact
