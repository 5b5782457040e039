"""Recovery (追回): the order of the joint meeting and the repayments against it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class RecoveryCause(models.TextChoices):
    FAILED = "failed", _("验收未通过")
    ABANDONED = "abandoned", _("项目终止")


class RecoveryOrder(models.Model):
    """The matching funds a failed or abandoned project must pay back; the amount is the joint
    meeting's (never above the approved amount), the repayments are tracked until it is repaid
    in full."""

    application = models.OneToOneField(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="recovery_order"
    )
    cause = models.CharField(_("追回原因"), max_length=16, choices=RecoveryCause.choices)
    cause_reason = models.TextField(_("情况说明"), blank=True)
    amount = models.DecimalField(_("追回金额(元)"), null=True, blank=True, **MONEY)
    amount_reason = models.TextField(_("联席会议意见"), blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("追回通知")
        verbose_name_plural = _("追回通知")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="recovery_amount_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.amount}"


class Repayment(models.Model):
    """One repayment against a recovery order."""

    order = models.ForeignKey(RecoveryOrder, on_delete=models.PROTECT, related_name="repayments")
    amount = models.DecimalField(_("还款金额(元)"), **MONEY)
    paid_on = models.DateField(_("到账日期"))
    reference = models.CharField(_("凭证号"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "paid_on", "id"]
        verbose_name = _("追回还款")
        verbose_name_plural = _("追回还款")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_positive")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount}"
