"""The funding agreement (任务书/协议) drawn up from a final approval, and its amendments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class FundingAgreement(models.Model):
    """The agreement between the lead department and the applicant: the amount and its split
    by department and by form, milestones, and outcome targets per reporting period."""

    application = models.OneToOneField(
        "workflows.FundingApplication",
        on_delete=models.PROTECT,
        related_name="funding_agreement",
        verbose_name=_("申请"),
    )
    amount = models.DecimalField(_("协议金额(元)"), **MONEY)
    grant_amount = models.DecimalField(_("无偿资助(元)"), **MONEY)
    equity_amount = models.DecimalField(_("股权投资(元)"), **MONEY)
    # [{code, name_zh, name_en, amount}] as the joint meeting's pool draw split the approval.
    by_department = models.JSONField(_("出资部门分担"), default=list, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(_("起草时间"), default=timezone.now)
    applicant_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applicant_confirmed_at = models.DateTimeField(_("申报单位确认时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("签订时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("资金协议")
        verbose_name_plural = _("资金协议")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount=F("grant_amount") + F("equity_amount")),
                name="agreement_forms_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.amount}"

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


class AgreementMilestone(models.Model):
    agreement = models.ForeignKey(
        FundingAgreement, on_delete=models.CASCADE, related_name="milestones"
    )
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("完成日期"))

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "position"], name="one_milestone_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.due_on} {self.title}"


class AgreementTarget(models.Model):
    """What the applicant commits to for one reporting period (read by the outcome reports)."""

    agreement = models.ForeignKey(
        FundingAgreement, on_delete=models.CASCADE, related_name="targets"
    )
    period_index = models.PositiveSmallIntegerField(_("报告期"))
    start = models.DateField(_("开始"))
    end = models.DateField(_("结束"))
    sales_revenue = models.DecimalField(_("新增销售收入(元)"), **MONEY)
    of_which_industrial = models.DecimalField(_("其中产业化项目(元)"), **MONEY)
    patents_filed = models.PositiveIntegerField(_("专利申请"), default=0)
    patents_granted = models.PositiveIntegerField(_("专利授权"), default=0)
    jobs = models.PositiveIntegerField(_("新增就业"), default=0)

    class Meta:
        ordering = ["period_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "period_index"], name="one_target_per_period"
            ),
            models.CheckConstraint(
                condition=Q(of_which_industrial__lte=F("sales_revenue")),
                name="industrial_revenue_within_revenue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} #{self.period_index}"


class Amendment(models.Model):
    """A change to a signed agreement: proposed by the lead department, approved by the joint
    meeting's secretariat, with its own document."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("待批准")
        APPROVED = "approved", _("已批准")

    agreement = models.ForeignKey(
        FundingAgreement, on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveSmallIntegerField(_("变更序号"))
    summary = models.TextField(_("变更内容"), max_length=4000)
    new_milestones = models.JSONField(_("变更后的节点"), default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("协议变更")
        verbose_name_plural = _("协议变更")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="one_amendment_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} #{self.number}"
