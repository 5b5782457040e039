"""One factory per model. Application states with history are reached through the real services,
so every trait leaves the audit entries and flow tasks a real application would have."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals import group_review, lead_review, meetings, rubric
from approvals.models import CheckItem
from workflows import assignments, drafts, submission
from workflows.credit_code import check_character
from workflows.models import (
    Department,
    FundingApplication,
    FundingCall,
    Organisation,
    Profile,
    SpecialProject,
)


def _credit_code(n: int) -> str:
    first = f"91110108MA{n:07d}"
    return first + check_character(first)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"测试部门{n}")


class SpecialProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialProject
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.Sequence(lambda n: f"测试专项{n}")
    name_en = factory.Sequence(lambda n: f"Test special project {n}")
    lead_department = factory.SubFactory(DepartmentFactory)


class FundingCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingCall

    year = factory.LazyFunction(lambda: timezone.now().year)
    title = factory.Sequence(lambda n: f"测试批次{n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    total_budget = Decimal("100000000.00")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = "enterprise"
    district_id = "haidian"
    credit_code = factory.Sequence(_credit_code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("pw")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    role = "applicant"
    organisation = None
    department = None


def make_user(role: str, *, organisation=None, department=None, **user_fields):
    """A user with a programme role: applicant, lead_officer, group_member, group_chair,
    meeting_secretary, auditor or administrator."""
    return ProfileFactory(
        role=role,
        organisation=organisation,
        department=department,
        **{f"user__{k}": v for k, v in user_fields.items()},
    ).user


class Reviewers:
    """The people who act on one application at each tier."""

    def __init__(self, application: FundingApplication) -> None:
        self.applicant = application.created_by
        self.lead_officer = make_user(
            "lead_officer", department=application.special_project.lead_department
        )
        self.group_chair = make_user("group_chair")
        self.experts = [make_user("group_member") for _ in range(application.call.experts_required)]
        self.group_member = self.experts[0]
        self.secretary = make_user("meeting_secretary")

    def at_tier(self, tier: str):
        """The reviewer who decides for this application at ``tier`` (lead, group or meeting);
        the review group's decision is its chair's."""
        return {"lead": self.lead_officer, "group": self.group_chair, "meeting": self.secretary}[
            tier
        ]


# Everybody who may try to act on an application, by the name tests parametrize over. The first
# four are the application's own people (``application.people``); the rest are made on demand.
ACTOR_KINDS = (
    "applicant",
    "lead_officer",
    "group_member",
    "meeting_secretary",
    "applicant_of_another_organisation",
    "lead_officer_of_another_department",
    "group_chair",
    "auditor",
    "administrator",
    "user_without_profile",
    "superuser_without_profile",
)


def actor(kind: str, application: FundingApplication):
    """A user of ``kind`` (one of ``ACTOR_KINDS``) relative to ``application``."""
    people = application.people
    if kind in ("applicant", "lead_officer", "group_member"):
        return getattr(people, kind)
    if kind == "meeting_secretary":
        return people.secretary
    if kind == "applicant_of_another_organisation":
        return make_user("applicant", organisation=OrganisationFactory())
    if kind == "lead_officer_of_another_department":
        return make_user("lead_officer", department=DepartmentFactory())
    if kind == "group_chair":
        return people.group_chair
    if kind in ("auditor", "administrator"):
        return make_user(kind)
    if kind == "user_without_profile":
        return UserFactory()
    if kind == "superuser_without_profile":
        return UserFactory(is_staff=True, is_superuser=True)
    raise ValueError(kind)  # pragma: no cover - a typo in a test's parameters


# The actions that take an application from draft to each state, in order.
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "lead_review": ["submit", "claim_lead"],
    "group_review": ["submit", "claim_lead", "accept"],
    "meeting_review": ["submit", "claim_lead", "accept", "claim_group", "recommend"],
    "deferred": [
        "submit",
        "claim_lead",
        "accept",
        "claim_group",
        "recommend",
        "claim_meeting",
        "defer",
    ],
    "approved": [
        "submit",
        "claim_lead",
        "accept",
        "claim_group",
        "recommend",
        "claim_meeting",
        "approve",
    ],
    "returned_by_lead": ["submit", "claim_lead", "return_lead"],
    "returned_by_group": ["submit", "claim_lead", "accept", "claim_group", "return_group"],
    "returned_by_meeting": [
        "submit",
        "claim_lead",
        "accept",
        "claim_group",
        "recommend",
        "claim_meeting",
        "return_meeting",
    ],
    "rejected_by_lead": ["submit", "claim_lead", "reject_lead"],
    "rejected_by_group": ["submit", "claim_lead", "accept", "claim_group", "reject_group"],
    "rejected_by_meeting": [
        "submit",
        "claim_lead",
        "accept",
        "claim_group",
        "recommend",
        "claim_meeting",
        "reject_meeting",
    ],
    "withdrawn": ["submit", "withdraw"],
}


CHECKS_PASSED = {item: {"passed": True, "note": ""} for item in CheckItem.values}
CHECKS_FAILED = {
    **CHECKS_PASSED,
    "national_approval_present": {"passed": False, "note": "请补充国家批复文件"},
}


def perform(step: str, application: FundingApplication, people: Reviewers) -> None:
    """One step of a path, through the public service a person would use."""
    pk = application.pk
    actor_for = {
        "lead": people.lead_officer,
        "group": people.group_chair,
        "meeting": people.secretary,
    }
    if step == "submit":
        submission.submit_application(application_id=pk, actor=people.applicant)
    elif step == "withdraw":
        submission.withdraw_application(
            application_id=pk, actor=people.applicant, reason="项目实施主体调整"
        )
    elif step == "claim_group":
        score_by_experts(application, people)
        assignments.claim_task(application_id=pk, actor=people.group_chair)
    elif step.startswith("claim_"):
        assignments.claim_task(application_id=pk, actor=actor_for[step.removeprefix("claim_")])
    elif step == "accept":
        formal_check(application, people, "accept")
    elif step == "recommend":
        group_review.record_group_recommendation(
            application_id=pk,
            actor=people.group_chair,
            decision="recommend",
            amount=Decimal("6000000.00"),
        )
    elif step == "return_lead":
        formal_check(application, people, "return")
    elif step == "reject_lead":
        formal_check(application, people, "reject", reason="不符合支持方向")
    elif step in ("return_group", "reject_group"):
        group_review.record_group_recommendation(
            application_id=pk,
            actor=people.group_chair,
            decision=step.removesuffix("_group"),
            reason="请补充国家批复文件" if step == "return_group" else "不符合支持方向",
        )
    elif step in ("defer", "approve", "return_meeting", "reject_meeting"):
        decision = step.removesuffix("_meeting")
        resolve_at_meeting(
            application,
            people,
            decision,
            amount=Decimal("5000000.00") if decision == "approve" else None,
            reason={"return": "请补充国家批复文件", "reject": "不符合支持方向"}.get(decision, ""),
        )
    else:  # pragma: no cover - a typo in a test's path
        raise ValueError(step)


def formal_check(
    application: FundingApplication, people: Reviewers, decision: str, *, reason: str = ""
) -> FundingApplication:
    """The lead officer (holding the task) records the formal check with ``decision``: every
    item passed to accept, the national approval missing to return or reject."""
    return lead_review.record_formal_check(
        application_id=application.pk,
        actor=people.lead_officer,
        decision=decision,
        items=CHECKS_PASSED if decision == "accept" else CHECKS_FAILED,
        reason=reason,
    )


def resolve_at_meeting(
    application: FundingApplication,
    people: Reviewers,
    decision: str,
    *,
    amount: Decimal | None = None,
    reason: str = "",
):
    """A joint meeting of the application's call with this application alone on its agenda,
    resolving ``decision`` on it; returns the meeting."""
    meeting = meetings.create_meeting(
        actor=people.secretary,
        call_id=application.call_id,
        held_on=timezone.localdate(),
        place="市政府会议室",
        chair="主管副市长",
    )
    meetings.build_agenda(
        meeting_id=meeting.pk, actor=people.secretary, application_ids=[application.pk]
    )
    return meetings.record_resolutions(
        meeting_id=meeting.pk,
        actor=people.secretary,
        resolutions=[meetings.Resolution(application.pk, decision, amount, reason)],
    )


def assign_experts(application: FundingApplication, people: Reviewers | None = None) -> None:
    """The chair claims the application's group task and assigns its experts."""
    people = people or application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    group_review.assign_experts(
        application_id=application.pk,
        actor=people.group_chair,
        expert_ids=[e.pk for e in people.experts],
    )


def score_by_experts(application: FundingApplication, people: Reviewers, value: int = 80) -> None:
    """The chair assigns the application's experts, who declare no conflict and score it."""
    pk = application.pk
    assign_experts(application, people)
    criteria = rubric.rubric_for(application.call)
    for expert in people.experts:
        group_review.declare_interest(application_id=pk, actor=expert, conflict=False)
        group_review.submit_scores(
            application_id=pk, actor=expert, scores={c.code: (value, "论证充分") for c in criteria}
        )


def claim_open_task(application: FundingApplication) -> FundingApplication:
    """The reviewer of the application's current tier claims its open task (as they must before
    deciding); returns the application as it is afterwards, with its ``people``."""
    people = application.people
    if application.current_tier == "group":
        score_by_experts(application, people)
    assignments.claim_task(
        application_id=application.pk, actor=people.at_tier(application.current_tier)
    )
    claimed = FundingApplication.objects.get(pk=application.pk)
    claimed.people = people
    return claimed


class FundingApplicationFactory(factory.django.DjangoModelFactory):
    """``FundingApplicationFactory(state="group_review")`` or a trait such as
    ``at_group_review=True``; the application gets there through the services. The people who
    acted are on ``application.people``."""

    class Meta:
        model = FundingApplication

    class Params:
        at_submitted = factory.Trait(state="submitted")
        at_lead_review = factory.Trait(state="lead_review")
        at_group_review = factory.Trait(state="group_review")
        at_meeting_review = factory.Trait(state="meeting_review")
        deferred = factory.Trait(state="deferred")
        approved = factory.Trait(state="approved")
        returned = factory.Trait(state="returned_by_lead")
        returned_by_group = factory.Trait(state="returned_by_group")
        returned_by_meeting = factory.Trait(state="returned_by_meeting")
        rejected = factory.Trait(state="rejected_by_lead")
        withdrawn = factory.Trait(state="withdrawn")

    state = "draft"
    organisation = factory.SubFactory(OrganisationFactory)
    call = factory.SubFactory(FundingCallFactory)
    special_project = factory.SubFactory(SpecialProjectFactory)
    national_task_code = factory.Sequence(lambda n: f"2026ZX{n:06d}")
    title = "高端通用芯片研发与产业化"
    national_approval_number = "国科发专〔2026〕1号"
    national_funding = Decimal("20000000.00")
    own_funds = Decimal("10000000.00")
    other_local_funds = Decimal("0.00")
    requested_amount = Decimal("8000000.00")
    funding_form = "grant"
    landing_district = "haidian"
    industrialised_in_beijing = True
    period_start = factory.LazyFunction(timezone.localdate)
    period_end = factory.LazyAttribute(lambda o: o.period_start + datetime.timedelta(days=1000))
    created_by = factory.LazyAttribute(
        lambda o: make_user("applicant", organisation=o.organisation)
    )

    @classmethod
    def _create(cls, model_class, *args, state: str = "draft", **kwargs):
        actor = kwargs.pop("created_by")
        kwargs.pop("organisation")
        application = drafts.create_application(actor=actor, data=kwargs)
        people = Reviewers(application)
        for step in PATHS[state]:
            perform(step, application, people)
        application = FundingApplication.objects.get(pk=application.pk)
        application.people = people
        return application


# --- many waiting applications at once, for read-only tests and benchmarks of the queues ------

# The status an application has while its review process waits, unclaimed, at each task.
STATUS_AT_TASK = {
    "lead_review": "submitted",
    "assign_experts": "group_review",
    "group_decision": "group_review",
    "meeting_review": "meeting_review",
}
_bulk_numbers = itertools.count(1)


def bulk_awaiting(task: str, count: int, *, call=None, special_project=None, organisation=None):
    """``count`` applications waiting, unclaimed, at the review flow's ``task`` (a key of
    ``STATUS_AT_TASK``): the applications, their review processes and the open tasks written
    with bulk inserts, without history (no audit entries, no earlier tasks). Only for read-only
    tests and benchmarks of the queues, where going through the services would take minutes;
    returns the applications' ids."""
    from django.contrib.contenttypes.models import ContentType

    from workflows.flows import ReviewFlow
    from workflows.review_path import furthest_tier_after

    call = call or FundingCallFactory()
    special_project = special_project or SpecialProjectFactory()
    organisation = organisation or OrganisationFactory()
    applicant = make_user("applicant", organisation=organisation)
    node = getattr(ReviewFlow, task)
    now = timezone.now()
    processes = ReviewFlow.process_class._default_manager.bulk_create(
        [ReviewFlow.process_class(flow_class=ReviewFlow, status="NEW") for _ in range(count)],
        batch_size=500,
    )
    applications = FundingApplication.objects.bulk_create(
        [
            FundingApplication(
                organisation=organisation,
                call=call,
                special_project=special_project,
                national_task_code=f"BULK{next(_bulk_numbers):07d}",
                title=f"批量测试课题{i}",
                national_funding=Decimal("20000000.00"),
                own_funds=Decimal("10000000.00"),
                requested_amount=Decimal("8000000.00"),
                landing_district_id="haidian",
                period_start=now.date(),
                period_end=now.date() + datetime.timedelta(days=1000),
                status=STATUS_AT_TASK[task],
                furthest_tier=furthest_tier_after("", STATUS_AT_TASK[task]),
                review_process=process,
                created_by=applicant,
                submitted_at=now,
            )
            for i, process in enumerate(processes)
        ],
        batch_size=500,
    )
    content_type = ContentType.objects.get_for_model(FundingApplication)
    ReviewFlow.task_class._default_manager.bulk_create(
        [
            ReviewFlow.task_class(
                process=application.review_process,
                flow_task=node,
                flow_task_type=node.task_type,
                status="NEW",
                owner_permission=node._owner_permission,
                owner_permission_content_type=content_type,
                owner_permission_obj_pk=str(application.pk),
            )
            for application in applications
        ],
        batch_size=500,
    )
    return [application.pk for application in applications]


# --- after the approval -------------------------------------------------------------------------


def in_execution(application: FundingApplication) -> FundingApplication:
    """An approved request taken to ``in_execution`` through the public services: its public
    notice opened and run out (its end dated back, as no test waits working days), the approval
    made final, the agreement drafted, confirmed by the applicant and signed. Keeps its
    ``people``."""
    from awards import agreements, notice
    from awards.models import NoticePeriod

    people = application.people
    if application.status != "approved":  # pragma: no cover - a test's typo
        raise ValueError("in_execution takes an approved request")
    notice.open_notice(application_id=application.pk, actor=people.secretary)
    NoticePeriod.objects.filter(application=application, closed_at__isnull=True).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    notice.finalise(application_id=application.pk, actor=people.secretary)
    agreements.draft_agreement(application_id=application.pk, actor=people.lead_officer)
    agreements.confirm_agreement(application_id=application.pk, actor=people.applicant)
    agreements.sign_agreement(application_id=application.pk, actor=people.lead_officer)
    started: FundingApplication = FundingApplication.objects.get(pk=application.pk)
    started.people = people
    return started
