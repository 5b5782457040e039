"""The public notice (公示) of an approval, and the objections lodged during it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class NoticePeriod(models.Model):
    """One publication of an approval. A request approved again after an upheld objection is
    published again: a new period."""

    application = models.ForeignKey(
        "workflows.FundingApplication",
        on_delete=models.PROTECT,
        related_name="notice_periods",
        verbose_name=_("申请"),
    )
    amount = models.DecimalField(_("公示金额(元)"), **MONEY)
    opened_at = models.DateTimeField(_("公示开始"), default=timezone.now)
    ends_on = models.DateField(_("公示截止日"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("公示结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示期")
        verbose_name_plural = _("公示期")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.opened_at:%Y-%m-%d} – {self.ends_on}"


class Objection(models.Model):
    """An objection lodged by anybody during a notice, and what the secretariat found."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("已收到")
        UNDER_REVIEW = "under_review", _("核查中")
        DISMISSED = "dismissed", _("异议不成立")
        UPHELD = "upheld", _("异议成立")

    notice = models.ForeignKey(
        NoticePeriod, on_delete=models.PROTECT, related_name="objections", verbose_name=_("公示")
    )
    receipt_number = models.CharField(_("受理编号"), max_length=32, unique=True)
    name = models.CharField(_("异议人"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=200)
    grounds = models.TextField(_("异议事实和理由"), max_length=4000)
    attachment = models.FileField(_("证明材料"), upload_to="objections/%Y/%m/", blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    lodged_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    status = models.CharField(
        _("办理状态"), max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED
    )
    resolution = models.TextField(_("核查结论"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("办理人"),
    )
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["lodged_at", "id"]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def is_open(self) -> bool:
        return self.status in (self.Outcome.RECEIVED, self.Outcome.UNDER_REVIEW)
