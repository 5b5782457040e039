"""One factory per model. Application states with history are reached through the real services,
so every trait leaves the audit entries and flow tasks a real application would have."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from workflows import services
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
    district = "haidian"
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
        role=role, organisation=organisation, department=department,
        **{f"user__{k}": v for k, v in user_fields.items()},
    ).user


class Reviewers:
    """The people who act on one application at each tier."""

    def __init__(self, application: FundingApplication) -> None:
        self.applicant = application.created_by
        self.lead_officer = make_user(
            "lead_officer", department=application.special_project.lead_department
        )
        self.group_member = make_user("group_member")
        self.secretary = make_user("meeting_secretary")


# The actions that take an application from draft to each state, in order.
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "lead_review": ["submit", "claim_lead"],
    "group_review": ["submit", "claim_lead", "accept"],
    "meeting_review": ["submit", "claim_lead", "accept", "claim_group", "recommend"],
    "deferred": ["submit", "claim_lead", "accept", "claim_group", "recommend",
                 "claim_meeting", "defer"],
    "approved": ["submit", "claim_lead", "accept", "claim_group", "recommend",
                 "claim_meeting", "approve"],
    "returned_by_lead": ["submit", "claim_lead", "return_lead"],
    "returned_by_group": ["submit", "claim_lead", "accept", "claim_group", "return_group"],
    "returned_by_meeting": ["submit", "claim_lead", "accept", "claim_group", "recommend",
                            "claim_meeting", "return_meeting"],
    "rejected_by_lead": ["submit", "claim_lead", "reject_lead"],
    "withdrawn": ["submit", "withdraw"],
}


def perform(step: str, application: FundingApplication, people: Reviewers) -> None:
    pk = application.pk
    actor_for = {"lead": people.lead_officer, "group": people.group_member,
                 "meeting": people.secretary}
    if step == "submit":
        services.submit_application(application_id=pk, actor=people.applicant)
    elif step == "withdraw":
        services.withdraw_application(application_id=pk, actor=people.applicant)
    elif step.startswith("claim_"):
        services.claim_task(application_id=pk, actor=actor_for[step.removeprefix("claim_")])
    elif step == "accept":
        services.accept_for_review(application_id=pk, actor=people.lead_officer)
    elif step == "recommend":
        services.recommend_application(application_id=pk, actor=people.group_member)
    elif step == "defer":
        services.defer_application(application_id=pk, actor=people.secretary)
    elif step == "approve":
        services.approve_application(application_id=pk, actor=people.secretary,
                                     amount=Decimal("5000000.00"))
    elif step.startswith("return_"):
        services.return_application(application_id=pk, actor=actor_for[step[7:]],
                                    reason="请补充国家批复文件")
    elif step.startswith("reject_"):
        services.reject_application(application_id=pk, actor=actor_for[step[7:]],
                                    reason="不符合支持方向")
    else:  # pragma: no cover - a typo in a test's path
        raise ValueError(step)


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
        application = services.create_application(actor=actor, data=kwargs)
        people = Reviewers(application)
        for step in PATHS[state]:
            perform(step, application, people)
        application = FundingApplication.objects.get(pk=application.pk)
        application.people = people
        return application
