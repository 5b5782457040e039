"""The completion acceptance (验收): the applicant's request, the expert panel the lead
department convenes, each expert's declaration and scores, and the outcome."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AcceptanceOutcome(models.TextChoices):
    PASS = "pass", _("通过验收")
    PASS_WITH_CONDITIONS = "pass_with_conditions", _("有条件通过验收")
    FAIL = "fail", _("未通过验收")


class AcceptanceRequest(models.Model):
    """One request's completion acceptance, from the applicant's request to the outcome."""

    application = models.OneToOneField(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="acceptance"
    )
    summary = models.TextField(_("完成情况总结"), max_length=4000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    convened_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("验收结论"), max_length=24, choices=AcceptanceOutcome.choices, blank=True
    )
    conditions = models.TextField(_("整改条件"), blank=True)
    reason = models.TextField(_("验收意见"), blank=True)
    weighted_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("验收申请")
        verbose_name_plural = _("验收申请")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.outcome or 'open'}"


class AcceptanceReview(models.Model):
    """One expert of the acceptance panel: asked, declared (or withdrew for a conflict), scored."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("待申报利益冲突")
        DECLARED = "declared", _("已声明无利益冲突")
        CONFLICT = "conflict", _("利益冲突回避")
        SCORED = "scored", _("已评分")

    acceptance = models.ForeignKey(
        AcceptanceRequest, on_delete=models.PROTECT, related_name="reviews"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acceptance_reviews"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.ASSIGNED)
    declared_at = models.DateTimeField(null=True, blank=True)
    conflict_reason = models.TextField(blank=True)
    # [{code, name, weight, value, comment}], validated by approvals' scoring rules.
    scores = models.JSONField(default=list, blank=True)
    weighted = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["acceptance", "id"]
        verbose_name = _("验收专家")
        verbose_name_plural = _("验收专家")
        constraints = [
            models.UniqueConstraint(
                fields=["acceptance", "expert"], name="one_acceptance_review_per_expert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} on {self.acceptance_id}: {self.state}"
