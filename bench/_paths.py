"""One application's full path through the public services (draft to approval), shared by the
benchmarks: submit, receive, the lead department's formal check, the group's experts and
recommendation, and the approval as a joint meeting's resolution with the request alone on its
agenda."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from decimal import Decimal
from itertools import count
from typing import Any

TRANSITIONS = ("submit", "receive", "accept", "recommend", "approve")

# (kind, name, seconds, statements); kind is "transition" or "people".
Record = Callable[[str, str, float, int], None]


class Path:
    """Set up once per process (after Django); ``run(record)`` takes one new application from
    draft to approval, telling ``record`` of every service call."""

    def __init__(self, label: str) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model

        from approvals import rubric
        from approvals.signals import meeting_resolved
        from demo.data import ensure_call
        from workflows.models import SpecialProject
        from workflows.signals import application_transitioned, transition_recorded

        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        # No documents and no e-mail: this measures the state change, not the background work
        # queued after commit (rendering, notices).
        transition_recorded.disconnect(dispatch_uid="documents.open_decision_documents")
        meeting_resolved.disconnect(dispatch_uid="documents.open_meeting_minutes")
        application_transitioned.disconnect(dispatch_uid="workflows.notify_transition")
        users = {u.username: u for u in get_user_model().objects.all()}
        self.label = label
        self.call = ensure_call()
        self.project = SpecialProject.objects.select_related("lead_department").get(code="ZX01")
        self.applicant = users["applicant_enterprise"]
        self.officer = users[f"officer_{self.project.lead_department.code}"]
        self.rubric = rubric.rubric_for(self.call)
        self.experts = [users[f"expert{n}"] for n in (1, 2, 3)]
        self.chair, self.secretary = users["group_chair"], users["secretary"]
        self.counter = count()

    def new_application(self) -> Any:
        from django.utils import timezone

        from workflows import drafts

        n = next(self.counter)
        return drafts.create_application(
            actor=self.applicant,
            data={
                "call": self.call,
                "special_project": self.project,
                "national_task_code": f"B{self.label}{n:07d}",
                "title": "基准测试",
                "national_approval_number": "国科发专〔2026〕1号",
                "national_funding": Decimal("20000000"),
                "own_funds": Decimal("10000000"),
                "requested_amount": Decimal("5000000"),
                "landing_district": "haidian",
                "period_start": timezone.localdate(),
                "period_end": timezone.localdate() + datetime.timedelta(days=700),
            },
        )

    def run(self, record: Record) -> None:
        from django.db import connection
        from django.utils import timezone

        from approvals import group_review, lead_review, meetings
        from approvals.models import CheckItem
        from workflows import assignments, submission

        pk = self.new_application().pk
        checks = {item: {"passed": True, "note": ""} for item in CheckItem.values}
        meeting: list[Any] = []

        def plan_meeting(*, application_id: int, actor: Any) -> None:
            meeting[:] = [
                meetings.create_meeting(
                    actor=actor,
                    call_id=self.call.pk,
                    held_on=timezone.localdate(),
                    place="会议室",
                    chair="主持人",
                )
            ]
            meetings.build_agenda(
                meeting_id=meeting[0].pk, actor=actor, application_ids=[application_id]
            )

        def approve(*, application_id: int, actor: Any, amount: Decimal) -> None:
            meetings.record_resolutions(
                meeting_id=meeting[0].pk,
                actor=actor,
                resolutions=[meetings.Resolution(application_id, "approve", amount, "同意")],
            )

        statements = [0]

        def counting(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        def step(kind: str, name: str, call, **kwargs) -> None:
            statements[0] = 0
            with connection.execute_wrapper(counting):
                start = time.perf_counter()
                call(application_id=pk, **kwargs)
                elapsed = time.perf_counter() - start
            record(kind, name, elapsed, statements[0])

        step("transition", "submit", submission.submit_application, actor=self.applicant)
        step("transition", "receive", assignments.claim_task, actor=self.officer)
        step(
            "transition",
            "accept",
            lead_review.record_formal_check,
            actor=self.officer,
            decision="accept",
            items=checks,
        )
        step("people", "claim", assignments.claim_task, actor=self.chair)
        step(
            "people",
            "assign experts",
            group_review.assign_experts,
            actor=self.chair,
            expert_ids=[e.pk for e in self.experts],
        )
        for expert in self.experts:
            step("people", "declare", group_review.declare_interest, actor=expert, conflict=False)
            step(
                "people",
                "score",
                group_review.submit_scores,
                actor=expert,
                scores={c.code: (80, "好") for c in self.rubric},
            )
        step("people", "claim", assignments.claim_task, actor=self.chair)
        step(
            "transition",
            "recommend",
            group_review.record_group_recommendation,
            actor=self.chair,
            decision="recommend",  # the amount the policy in force assesses
        )
        step("people", "meeting and agenda", plan_meeting, actor=self.secretary)
        step(
            "transition",
            "approve",
            approve,
            actor=self.secretary,
            # Every run's approval is drawn on the demo call's budget and its policy's pool:
            # small enough for all of them together.
            amount=Decimal("100000"),
        )
