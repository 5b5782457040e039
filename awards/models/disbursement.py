"""Paying the agreement out in tranches (拨付), and the equity part held as a holding."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class Tranche(models.Model):
    class Condition(models.TextChoices):
        ON_SIGNING = "on_signing", _("协议签订后")
        ON_ACCEPTED_REPORT = "on_accepted_report", _("进展报告通过后")
        ON_COMPLETION = "on_completion", _("通过验收后")

    agreement = models.ForeignKey(
        "awards.FundingAgreement", on_delete=models.PROTECT, related_name="tranches"
    )
    position = models.PositiveSmallIntegerField(_("批次"))
    share = models.DecimalField(_("比例(%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("金额(元)"), **MONEY)
    condition = models.CharField(_("拨付条件"), max_length=24, choices=Condition.choices)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "position"], name="one_tranche_per_position"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} #{self.position}: {self.amount}"


class EquityHolding(models.Model):
    class Exit(models.TextChoices):
        BUY_BACK = "buy_back", _("回购")
        TRANSFER = "transfer", _("转让")
        WRITE_OFF = "write_off", _("核销")

    application = models.OneToOneField(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="equity_holding"
    )
    investing_body = models.CharField(_("出资主体"), max_length=200)
    amount = models.DecimalField(_("投资金额(元)"), **MONEY)
    share = models.DecimalField(_("持股比例(%)"), max_digits=5, decimal_places=2)
    valuation = models.DecimalField(_("投后估值(元)"), **MONEY)
    invested_on = models.DateField(_("投资日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    exit_kind = models.CharField(_("退出方式"), max_length=16, choices=Exit.choices, blank=True)
    exited_on = models.DateField(_("退出日期"), null=True, blank=True)
    proceeds = models.DecimalField(_("退出收回(元)"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("股权投资")
        verbose_name_plural = _("股权投资")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.investing_body} {self.share}%"
