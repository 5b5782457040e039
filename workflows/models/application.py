"""The funding application (配套资金申请), its status and the transitions that move it.

The transitions declare what is legal (source, target, guard, permission) and set the fields
that go with the move; they do not save, audit or notify: ``workflows.transitions`` does that.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from ..errors import InvalidInput
from ..money import MONEY
from ..review_path import STATUS_TIER, TIER_STATUS, UNDER_REVIEW, Status, Tier, furthest_tier_after
from .reference import District, FundingCall, Organisation, SpecialProject

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


MAX_PROJECT_MONTHS = 72

# The columns that are not the application's content (its digests and revisions leave them
# out): its key, its creation time, its flow's process and what is derived from its history.
# What each move of the status sets besides it (``FundingApplication.note_move``).
MOVE_FIELDS = (
    "furthest_tier",
    "status_since",
    "time_at_lead",
    "time_at_group",
    "time_at_meeting",
)
NOT_CONTENT = frozenset({"id", "created_at", "review_process_id", *MOVE_FIELDS})


class FundingForm(models.TextChoices):
    GRANT = "grant", _("无偿资助")
    EQUITY = "equity", _("股权投资")
    MIXED = "mixed", _("资助与股权投资结合")


# An application in these states no longer holds its national task's place in the call.
CLOSED_WITHOUT_FUNDING = (Status.REJECTED, Status.WITHDRAWN)


# Who may perform each transition: the predicates of ``workflows.permissions``, which fills
# this table when it is imported (the app's ``ready``), so that the model does not import the
# module whose predicates read it. django-fsm calls them with a FundingApplication and a user.
TRANSITION_RIGHTS: dict[str, Callable[["FundingApplication", Any], bool]] = {}
_Permission = Callable[[models.Model, Any], bool]


def _permission(right: str) -> _Permission:
    def check(application: models.Model, user: Any) -> bool:
        return TRANSITION_RIGHTS[right](cast("FundingApplication", application), user)

    check.__name__ = right
    return check


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("退回或不予支持时必须填写理由。"))
    return reason


class FundingApplication(ConcurrentTransitionMixin, models.Model):
    """One organisation's request for matching funds for one national task in one call."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("申报单位"),
    )
    call = models.ForeignKey(
        FundingCall,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("申报批次"),
    )
    special_project = models.ForeignKey(
        SpecialProject,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("所属重大专项"),
    )
    national_task_code = models.CharField(_("国家课题(任务)编号"), max_length=40)
    title = models.CharField(_("课题名称"), max_length=200)
    national_approval_number = models.CharField(_("国家批复文号"), max_length=80, blank=True)
    national_funding = models.DecimalField(_("中央财政资金(元)"), **MONEY)
    own_funds = models.DecimalField(_("单位自筹资金(元)"), **MONEY)
    other_local_funds = models.DecimalField(_("其他地方资金(元)"), default=Decimal("0"), **MONEY)
    requested_amount = models.DecimalField(_("申请配套金额(元)"), **MONEY)
    funding_form = models.CharField(
        _("支持方式"), max_length=16, choices=FundingForm.choices, default=FundingForm.GRANT
    )
    landing_district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        db_column="landing_district",
        related_name="+",
        limit_choices_to={"active": True},
        verbose_name=_("落地区"),
    )
    industrialised_in_beijing = models.BooleanField(_("成果在京转化和产业化"), default=True)
    period_start = models.DateField(_("实施期开始"))
    period_end = models.DateField(_("实施期结束"))
    expected_sales_revenue = models.DecimalField(
        _("预期新增销售收入(元)"), default=Decimal("0"), **MONEY
    )
    expected_patents = models.PositiveIntegerField(_("预期专利数"), default=0)
    expected_jobs = models.PositiveIntegerField(_("预期新增就业"), default=0)
    summary = models.TextField(
        _("项目摘要"), blank=True, max_length=4000, validators=[MaxLengthValidator(4000)]
    )

    status = FSMField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    returned_from_tier = models.CharField(
        _("退回环节"), max_length=16, choices=Tier.choices, blank=True
    )
    revision = models.PositiveIntegerField(_("修订版本"), default=1)
    approved_amount = models.DecimalField(_("批复配套金额(元)"), null=True, blank=True, **MONEY)
    # The furthest tier the request has reached (``review_path.furthest_tier_after``), set in
    # the save that moves the status, so that the access policy reads it here rather than
    # searching the audit trail for every request listed. Derived from the history, so not
    # part of the content the audit entries digest.
    furthest_tier = models.CharField(
        _("已到达的最远环节"), max_length=16, choices=Tier.choices, blank=True, editable=False
    )
    # When the status last moved, and the time the request spent at each tier over its stays
    # there that have ended (the dashboard's days at each tier; None: no stay ended yet): kept
    # in the same save, as the audit trail's moves would give them.
    status_since = models.DateTimeField(_("进入当前状态时间"), null=True, editable=False)
    time_at_lead = models.DurationField(_("牵头部门环节用时"), null=True, editable=False)
    time_at_group = models.DurationField(_("审核工作小组环节用时"), null=True, editable=False)
    time_at_meeting = models.DurationField(_("市联席会议环节用时"), null=True, editable=False)
    # The viewflow process that routes this application's tasks to people.
    review_process = models.OneToOneField(
        "viewflow.Process",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="funding_application",
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("配套资金申请")
        verbose_name_plural = _("配套资金申请")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("act_lead_tier", _("在牵头部门环节办理")),
            ("act_group_tier", _("在审核工作小组环节办理")),
            ("chair_group_tier", _("主持审核工作小组")),
            ("act_meeting_tier", _("在市联席会议环节办理")),
            ("act_as_applicant", _("以申报单位身份办理")),
            ("view_audit_trail", _("查阅审计记录")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "national_task_code"],
                condition=~Q(status__in=["rejected", "withdrawn"]),
                name="one_open_request_per_national_task_per_call",
                violation_error_message=_("该国家课题在本批次已有未结束的申请。"),
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0), name="requested_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="period_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__lte=models.F("requested_amount")),
                name="approved_amount_within_request",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "call"]),
            # The lists' orders (keyset pagination: the column, then the id).
            models.Index(fields=["created_at", "id"], name="application_created_idx"),
            models.Index(fields=["requested_amount", "id"], name="application_requested_idx"),
            models.Index(fields=["national_task_code", "id"], name="application_task_code_idx"),
            # The chair's and the secretariat's lists (the access policy).
            models.Index(fields=["furthest_tier"], name="application_furthest_tier_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.national_task_code} {self.title}"

    # --- invariants of the data -----------------------------------------------------------------
    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.requested_amount is not None and self.requested_amount <= 0:
            errors["requested_amount"] = _("申请配套金额必须大于零。")
        if (
            self.requested_amount is not None
            and self.national_funding is not None
            and self.requested_amount > self.national_funding
        ):
            errors["requested_amount"] = _("申请配套金额不得超过中央财政资金。")
        if self.period_start and self.period_end:
            if self.period_end <= self.period_start:
                errors["period_end"] = _("实施期结束日期必须晚于开始日期。")
            elif _months_between(self.period_start, self.period_end) > MAX_PROJECT_MONTHS:
                errors["period_end"] = _("实施期不得超过72个月。")
            if self.call_id and abs(self.period_start.year - self.call.year) > 3:
                errors["period_start"] = _("实施期开始年份应在申报年度前后三年之内。")
        if errors:
            raise ValidationError(errors)

    @property
    def current_tier(self) -> str | None:
        return STATUS_TIER.get(self.status)

    @property
    def total_budget(self) -> Decimal:
        return (
            self.national_funding
            + self.own_funds
            + self.other_local_funds
            + (self.requested_amount or Decimal("0"))
        )

    def content_fields(self) -> dict[str, object]:
        """The application's content as plain values, for digests and diffs."""
        return {
            f.attname: f.value_from_object(self)
            for f in self._meta.concrete_fields
            if f.attname not in NOT_CONTENT
        }

    def note_move(self, source: str, at: datetime.datetime) -> None:
        """After a transition from ``source`` at ``at``: the furthest tier reached with the new
        status, and the stay at ``source``'s tier that ended (``MOVE_FIELDS``). A transition
        that leaves the status as it was (an objection dismissed while others are open) is no
        move."""
        if self.status == source:
            return
        self.furthest_tier = furthest_tier_after(self.furthest_tier, self.status)
        tier = STATUS_TIER.get(Status(source))
        if tier is not None and self.status_since is not None:
            spent = f"time_at_{tier}"
            before = getattr(self, spent) or datetime.timedelta(0)
            setattr(self, spent, before + (at - self.status_since))
        self.status_since = at

    # --- transitions (guards and permissions only; services save and audit) --------------------
    @transition(
        field=status,
        source=[Status.DRAFT],
        target=Status.SUBMITTED,
        permission=_permission("is_applicant_of"),
    )
    def submit(self, *, at: datetime.datetime) -> None:
        if not self.call.is_open(at):
            raise InvalidInput(_("不在本批次的受理时间内，不能提交。"))
        self.submitted_at = at

    @transition(
        field=status,
        source=[Status.SUBMITTED],
        target=Status.LEAD_REVIEW,
        permission=_permission("is_lead_officer_for"),
    )
    def receive(self) -> None:
        """The lead department picks the request up for its formal check."""

    @transition(
        field=status,
        source=[Status.LEAD_REVIEW],
        target=Status.GROUP_REVIEW,
        permission=_permission("is_lead_officer_for"),
    )
    def accept_for_review(self) -> None:
        pass

    @transition(
        field=status,
        source=[Status.GROUP_REVIEW],
        target=Status.MEETING_REVIEW,
        permission=_permission("is_group_chair"),
    )
    def recommend(self, *, amount: Decimal | None = None) -> None:
        if amount is not None and (amount <= 0 or amount > self.requested_amount):
            raise InvalidInput(_("建议金额必须大于零且不超过申请配套金额。"))

    @transition(
        field=status,
        source=[Status.MEETING_REVIEW, Status.DEFERRED],
        target=Status.APPROVED,
        permission=_permission("is_meeting_secretary"),
    )
    def approve(self, *, amount: Decimal, at: datetime.datetime) -> None:
        if amount is None or amount <= 0:
            raise InvalidInput(_("批复金额必须大于零。"))
        if amount > self.requested_amount:
            raise InvalidInput(_("批复金额不得超过申请配套金额。"))
        self.approved_amount = amount
        self.decided_at = at

    @transition(
        field=status,
        source=[Status.MEETING_REVIEW, Status.DEFERRED],
        target=Status.DEFERRED,
        permission=_permission("is_meeting_secretary"),
    )
    def defer(self) -> None:
        pass

    @transition(
        field=status,
        source=list(UNDER_REVIEW),
        target=Status.RETURNED,
        permission=_permission("acts_at_current_tier"),
    )
    def return_for_revision(self, *, reason: str) -> None:
        _require_reason(reason)
        self.returned_from_tier = cast(str, self.current_tier)

    @transition(
        field=status,
        source=list(UNDER_REVIEW),
        target=Status.REJECTED,
        permission=_permission("acts_at_current_tier"),
    )
    def reject(self, *, reason: str, at: datetime.datetime) -> None:
        _require_reason(reason)
        self.decided_at = at

    @transition(
        field=status,
        source=[Status.RETURNED],
        target=RETURN_VALUE(Status.LEAD_REVIEW, Status.GROUP_REVIEW, Status.MEETING_REVIEW),
        permission=_permission("is_applicant_of"),
    )
    def resubmit(self) -> str:
        target = TIER_STATUS[Tier(self.returned_from_tier)]
        self.returned_from_tier = ""
        self.revision += 1
        return target

    @transition(
        field=status,
        source=[Status.SUBMITTED, Status.RETURNED, *UNDER_REVIEW],
        target=Status.WITHDRAWN,
        permission=_permission("is_applicant_of"),
    )
    def withdraw(self, *, at: datetime.datetime) -> None:
        self.decided_at = at

    # --- after the approval (the services are in ``awards``) -----------------------------------
    @transition(
        field=status,
        source=[Status.APPROVED],
        target=Status.IN_NOTICE,
        permission=_permission("is_meeting_secretary"),
    )
    def open_notice(self) -> None:
        """The secretariat publishes the approval for public notice (公示)."""

    @transition(
        field=status,
        source=[Status.IN_NOTICE],
        target=Status.OBJECTION_REVIEW,
        permission=_permission("is_meeting_secretary"),
    )
    def review_objection(self) -> None:
        """An objection lodged during the notice is taken up: finalisation waits for it."""

    @transition(
        field=status,
        source=[Status.OBJECTION_REVIEW],
        target=RETURN_VALUE(Status.IN_NOTICE, Status.OBJECTION_REVIEW),
        permission=_permission("is_meeting_secretary"),
    )
    def dismiss_objection(self, *, others_open: bool) -> str:
        """Back to the notice, unless other objections are still under review."""
        return Status.OBJECTION_REVIEW if others_open else Status.IN_NOTICE

    @transition(
        field=status,
        source=[Status.OBJECTION_REVIEW],
        target=Status.MEETING_REVIEW,
        permission=_permission("is_meeting_secretary"),
    )
    def uphold_objection(self) -> None:
        """The joint meeting decides again: the approval no longer stands."""
        self.approved_amount = None

    @transition(
        field=status,
        source=[Status.IN_NOTICE],
        target=Status.FINAL,
        permission=_permission("is_meeting_secretary"),
    )
    def finalise(self) -> None:
        """The notice ended unopposed (or cleared): the approval is final (正式批复)."""

    @transition(
        field=status,
        source=[Status.FINAL],
        target=Status.IN_EXECUTION,
        permission=_permission("is_lead_officer_for"),
    )
    def sign_agreement(self) -> None:
        """Both sides have signed the funding agreement: the project is carried out."""

    # --- after the agreement: completion acceptance and recovery (the outcomes app) -----------
    @transition(
        field=status,
        source=[Status.IN_EXECUTION],
        target=Status.ACCEPTANCE_REVIEW,
        permission=_permission("is_applicant_of"),
    )
    def request_acceptance(self) -> None:
        """The applicant asks for the completion acceptance (验收)."""

    @transition(
        field=status,
        source=[Status.ACCEPTANCE_REVIEW],
        target=RETURN_VALUE(Status.COMPLETED, Status.FAILED),
        permission=_permission("is_lead_officer_for"),
    )
    def record_acceptance(self, *, passed: bool) -> str:
        return Status.COMPLETED if passed else Status.FAILED

    @transition(
        field=status,
        source=[Status.IN_EXECUTION],
        target=Status.RECOVERY,
        permission=_permission("is_lead_officer_for"),
    )
    def abandon(self, *, reason: str) -> None:
        _require_reason(reason)

    @transition(
        field=status,
        source=[Status.FAILED],
        target=Status.RECOVERY,
        permission=_permission("is_meeting_secretary"),
    )
    def order_recovery(self) -> None:
        """The joint meeting orders the matching funds back (追回)."""

    @transition(
        field=status,
        source=[Status.RECOVERY],
        target=Status.CLOSED,
        permission=_permission("is_lead_officer_for"),
    )
    def close_recovery(self) -> None:
        """Everything ordered back has been repaid."""

    @transition(
        field=status,
        source=[Status.COMPLETED],
        target=Status.CLOSED,
        permission=_permission("is_lead_officer_for"),
    )
    def close_project(self) -> None:
        """The project passed its acceptance and is closed (结项)."""


def _months_between(start: datetime.date, end: datetime.date) -> int:
    return (end.year - start.year) * 12 + (end.month - start.month)
