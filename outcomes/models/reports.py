"""The applicant's progress reports (进展报告), one per reporting period, and the notices sent
when one is overdue."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class Measure(models.TextChoices):
    """The typed measures of a report, each checked against the period's target."""

    SALES_REVENUE = "sales_revenue", _("新增销售收入")
    OF_WHICH_INDUSTRIAL = "of_which_industrial", _("其中产业化项目收入")
    PATENTS_FILED = "patents_filed", _("专利申请数")
    PATENTS_GRANTED = "patents_granted", _("专利授权数")
    JOBS = "jobs", _("新增就业")


class OutcomeReport(models.Model):
    """What the project achieved in one reporting period, as the applicant reports it.

    Growth on the same period a year earlier is never typed in: ``outcomes.measures.growth``
    computes it from the report of that period. The target of the period and the measures that
    fell short of it are kept as they stood when the report was submitted."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        ACCEPTED = "accepted", _("已确认")
        RETURNED = "returned", _("已退回")

    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="outcome_reports"
    )
    period_index = models.PositiveSmallIntegerField(_("报告期序号"))
    period_start = models.DateField(_("报告期开始"))
    period_end = models.DateField(_("报告期结束"))
    sales_revenue = models.DecimalField(_("新增销售收入(元)"), default=Decimal("0"), **MONEY)
    of_which_industrial = models.DecimalField(
        _("其中产业化项目收入(元)"), default=Decimal("0"), **MONEY
    )
    patents_filed = models.PositiveIntegerField(_("专利申请数"), default=0)
    patents_granted = models.PositiveIntegerField(_("专利授权数"), default=0)
    jobs = models.PositiveIntegerField(_("新增就业"), default=0)
    # The code of a ``District`` (a district, the development area or a park).
    district = models.CharField(_("成果落地区或园区"), max_length=32)
    industrialised_in_beijing = models.BooleanField(_("在京实现产业化"), default=False)
    narrative = models.TextField(
        _("进展情况"), blank=True, max_length=4000, validators=[MaxLengthValidator(4000)]
    )
    state = models.CharField(
        _("报告状态"), max_length=16, choices=State.choices, default=State.DRAFT
    )
    target = models.JSONField(_("本期目标"), default=dict, blank=True)
    shortfalls = models.JSONField(_("未达目标的指标"), default=list, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_reason = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application", "period_index"]
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "period_index"], name="one_report_per_period"
            ),
            models.CheckConstraint(
                condition=Q(of_which_industrial__lte=F("sales_revenue")),
                name="industrial_revenue_within_sales_revenue",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")),
                name="report_period_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} #{self.period_index} {self.state}"

    def measures(self) -> dict[str, Decimal | int]:
        return {m: getattr(self, m) for m in Measure.values}


class ReportNotice(models.Model):
    """A reminder or escalation sent once for one overdue reporting period."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("提醒")
        ESCALATION = "escalation", _("升级")

    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="+"
    )
    period_index = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "period_index", "kind"], name="one_report_notice_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} #{self.period_index} {self.kind}"
