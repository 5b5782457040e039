"""Demonstration data: the reference catalogue, a call, organisations and one login per role.

Idempotent: running it twice changes nothing. Used by ``manage.py loaddemo`` and ``demo``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from workflows.credit_code import check_character
from workflows.models import Department, FundingCall, Organisation, Profile, SpecialProject
from workflows.review_path import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed on purpose: demonstration logins only
BEIJING = datetime.timezone(datetime.timedelta(hours=8))

ORGANISATIONS = [
    ("enterprise", "北京芯源微电子有限公司", "haidian", "91110108MA01AB12C"),
    ("university", "北京理工工程大学", "haidian", "12100000400000123"),
    ("research_institute", "北京市新材料研究院", "changping", "12110000400012345"),
    ("cas_institute", "中国科学院北京先进制造研究所", "huairou", "12100000400067890"),
    ("central_enterprise", "中国航天产业集团有限公司", "fengtai", "91110000100012345"),
]
# The organisations' English names, shown on English pages and documents.
ORGANISATION_NAMES_EN = {
    "北京芯源微电子有限公司": "Beijing Xinyuan Microelectronics Co., Ltd.",
    "北京理工工程大学": "Beijing University of Technology and Engineering",
    "北京市新材料研究院": "Beijing Institute of New Materials",
    "中国科学院北京先进制造研究所": "Beijing Institute of Advanced Manufacturing, CAS",
    "中国航天产业集团有限公司": "China Aerospace Industry Group Co., Ltd.",
}


def credit_code(first_seventeen: str) -> str:
    return first_seventeen + check_character(first_seventeen)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    description: str


def ensure_reference_data() -> None:
    if not SpecialProject.objects.exists():
        call_command("loaddata", "reference", verbosity=0)


DEMO_CALL_BUDGET = Decimal("500000000.00")


def ensure_call(year: int | None = None) -> FundingCall:
    year = year or timezone.localdate().year
    call, created = FundingCall.objects.get_or_create(
        year=year,
        title=f"{year}年度国家科技重大专项北京市配套资金",
        defaults={
            "opens_at": datetime.datetime(year, 1, 1, tzinfo=BEIJING),
            "closes_at": datetime.datetime(year, 12, 31, 23, 59, 59, tzinfo=BEIJING),
            "total_budget": DEMO_CALL_BUDGET,
        },
    )
    if created:
        call.special_projects.set(SpecialProject.objects.all())
    return call


EXAMPLE_POLICY = Path(__file__).resolve().parent.parent / "approvals/policies/example-2026.yaml"


@transaction.atomic
def ensure_demo_data() -> list[Login]:
    """Create the demonstration world and return the logins, in the order to print them."""
    ensure_reference_data()
    ensure_call()
    ensure_example_policy()
    logins: list[Login] = []
    for kind, name, district, code in ORGANISATIONS:
        organisation, _ = Organisation.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "district_id": district,
                "credit_code": credit_code(code),
                "name_en": ORGANISATION_NAMES_EN.get(name, ""),
            },
        )
        if not organisation.name_en and name in ORGANISATION_NAMES_EN:
            organisation.name_en = ORGANISATION_NAMES_EN[name]
            organisation.save(update_fields=["name_en"])
        logins.append(
            _user(
                f"applicant_{kind}",
                Role.APPLICANT,
                organisation=organisation,
                description=f"{organisation.get_kind_display()} · {name}",
            )
        )
    lead_departments = Department.objects.filter(led_special_projects__isnull=False).distinct()
    for department in lead_departments:
        logins.append(
            _user(
                f"officer_{department.code}",
                Role.LEAD_OFFICER,
                department=department,
                description=f"牵头部门经办人 · {department.name}",
            )
        )
        logins.append(
            _user(
                f"head_{department.code}",
                Role.LEAD_OFFICER,
                department=department,
                head=True,
                description=f"牵头部门负责人 · {department.name}",
            )
        )
    logins.append(_user("group_chair", Role.GROUP_CHAIR, head=True, description="审核工作小组组长"))
    logins.extend(
        _user(f"expert{n}", Role.GROUP_MEMBER, description="审核工作小组专家") for n in range(1, 6)
    )
    logins.append(
        _user("secretary", Role.MEETING_SECRETARY, head=True, description="市联席会议秘书")
    )
    logins.append(_user("auditor", Role.AUDITOR, description="审计员"))
    logins.append(
        _user(
            "admin",
            Role.ADMINISTRATOR,
            description="管理员（管理后台 /admin/，政策 /backoffice/policies/，"
            "注册审核 /backoffice/registrations/）",
            superuser=True,
        )
    )
    ensure_expert_pool()
    return logins


EXPERT_FIELDS = [
    ("ic", "集成电路", "Integrated circuits"),
    ("pharma", "新药创制", "New drugs"),
    ("materials", "新材料", "New materials"),
]


def ensure_expert_pool() -> None:
    """Fields of expertise, and the demonstration experts' affiliations and fields."""
    from approvals.models import ExpertField, ExpertProfile

    fields = [
        ExpertField.objects.get_or_create(code=code, defaults={"name": name, "name_en": en})[0]
        for code, name, en in EXPERT_FIELDS
    ]
    user_model = get_user_model()
    for n in range(1, 6):
        user = user_model.objects.filter(username=f"expert{n}").first()
        if user is None:
            continue
        profile, created = ExpertProfile.objects.get_or_create(
            user=user, defaults={"affiliation": f"示例大学{n}"}
        )
        if created:
            profile.fields.add(fields[n % len(fields)])


def ensure_example_policy() -> None:
    """Load and activate the shipped example policy (an example, not official numbers)."""
    from approvals.policy_store import load_policy

    load_policy(text=EXAMPLE_POLICY.read_text(encoding="utf-8"), activate=True)


def _user(
    username: str,
    role: str,
    *,
    description: str,
    organisation: Organisation | None = None,
    department: Department | None = None,
    superuser: bool = False,
    head: bool = False,
) -> Login:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={
            "is_staff": superuser,
            "is_superuser": superuser,
            "email": f"{username}@example.invalid",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        Profile.objects.create(
            user=user, role=role, organisation=organisation, department=department, is_head=head
        )
    return Login(username, role, description)
