"""Joint meetings (市联席会议), their agendas and resolutions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.money import MONEY


class Meeting(models.Model):
    """A joint meeting: its kind, date, place, who chairs it, who attends with a vote (出席) and
    who attends without one (列席); the minutes name them all."""

    class State(models.TextChoices):
        PLANNED = "planned", _("筹备中")
        RESOLVED = "resolved", _("已形成决议")

    class Kind(models.TextChoices):
        PLENARY = "plenary", _("市联席会议全体会议")
        TOPICAL = "topical", _("市联席会议专题会议")

    call = models.ForeignKey(
        "workflows.FundingCall", on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(
        _("会议类型"), max_length=16, choices=Kind.choices, default=Kind.PLENARY
    )
    held_on = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=200)
    # The chair as the minutes print them (a municipal leader often has no account here), and
    # the person, when they have one.
    chair = models.CharField(_("主持人"), max_length=100)
    chair_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("主持人账号"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("出席人员")
    )
    observers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("列席人员")
    )
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
