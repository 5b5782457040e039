"""Joint meetings (市联席会议), their agendas and resolutions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class Meeting(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("筹备中")
        RESOLVED = "resolved", _("已形成决议")

    call = models.ForeignKey(
        "workflows.FundingCall", on_delete=models.PROTECT, related_name="meetings"
    )
    held_on = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=200)
    chair = models.CharField(_("主持人"), max_length=100)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("联席会议")
        verbose_name_plural = _("联席会议")

    def __str__(self) -> str:
        return f"{self.held_on} {self.place}"


class AgendaItem(models.Model):
    class Resolution(models.TextChoices):
        PENDING = "", _("待审议")
        APPROVE = "approve", _("批准")
        REJECT = "reject", _("不予支持")
        DEFER = "defer", _("暂缓")
        RETURN = "return", _("退回修改")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="agenda_items"
    )
    position = models.PositiveIntegerField()
    weighted_score = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    requested_amount = models.DecimalField(**MONEY)
    recommended_amount = models.DecimalField(null=True, **MONEY)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    approved_amount = models.DecimalField(null=True, **MONEY)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "application"], name="application_once_per_agenda"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}#{self.position} {self.application_id}"
