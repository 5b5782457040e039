"""What the review tiers record besides the status: the lead department's formal check, the
scoring rubric, the experts and their scores, and the review group's recommendation."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.compact_json import CompactJSONEncoder
from workflows.money import MONEY


class CheckItem(models.TextChoices):
    """The lead department's formal check list (形式审查)."""

    ATTACHMENTS_COMPLETE = "attachments_complete", _("申报材料齐全")
    NATIONAL_APPROVAL_PRESENT = "national_approval_present", _("国家批复文件齐备")
    AMOUNTS_CONSISTENT = "amounts_consistent", _("资金数额前后一致")
    SPECIAL_PROJECT_COVERED = "special_project_covered", _("属于本批次支持的重大专项")


class FormalCheck(models.Model):
    """The formal check recorded with a tier-1 decision: each item passed or not, with a note."""

    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="formal_checks"
    )
    revision = models.PositiveIntegerField()
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    items = models.JSONField(help_text="{item: {passed: bool, note: str}}")
    decision = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("形式审查")
        verbose_name_plural = _("形式审查")

    def __str__(self) -> str:
        return f"{self.application_id} r{self.revision} {self.decision}"


class RubricCriterion(models.Model):
    """One scoring criterion of a call, with its weight; a call's weights add up to 100."""

    call = models.ForeignKey(
        "workflows.FundingCall", on_delete=models.CASCADE, related_name="rubric"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(_("评分项"), max_length=100)
    name_en = models.CharField(max_length=200, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("权重"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["call", "position", "id"]
        verbose_name = _("评分标准")
        verbose_name_plural = _("评分标准")
        constraints = [
            models.UniqueConstraint(fields=["call", "code"], name="criterion_code_unique_in_call")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class ExpertAssignment(models.Model):
    """An expert asked by the chair to score one revision of a request."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("待申报利益冲突")
        DECLARED = "declared", _("已声明无利益冲突")
        CONFLICT = "conflict", _("利益冲突回避")
        SCORED = "scored", _("已评分")

    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="expert_assignments"
    )
    revision = models.PositiveIntegerField()
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_assignments"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.ASSIGNED)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    declared_at = models.DateTimeField(null=True, blank=True)
    conflict_reason = models.TextField(blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "revision", "id"]
        verbose_name = _("评审专家")
        verbose_name_plural = _("评审专家")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "revision", "expert"],
                name="one_assignment_per_expert_and_revision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} on {self.application_id} r{self.revision}: {self.state}"


class CriterionScore(models.Model):
    """One expert's score on one criterion (0–100), with the criterion's weight at the time."""

    assignment = models.ForeignKey(
        ExpertAssignment, on_delete=models.PROTECT, related_name="scores"
    )
    criterion_code = models.SlugField(max_length=40)
    criterion_name = models.CharField(max_length=100)
    weight = models.PositiveSmallIntegerField()
    value = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    comment = models.TextField(max_length=2000)

    class Meta:
        ordering = ["assignment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion_code"], name="one_score_per_criterion"
            ),
            models.CheckConstraint(condition=models.Q(value__lte=100), name="score_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_code}={self.value}"


class GroupRecommendation(models.Model):
    """The review group's recommendation on one revision, recorded by its chair."""

    class Decision(models.TextChoices):
        RECOMMEND = "recommend", _("建议支持")
        RETURN = "return", _("退回修改")
        REJECT = "reject", _("不予推荐")

    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="recommendations"
    )
    revision = models.PositiveIntegerField()
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    weighted_score = models.DecimalField(max_digits=6, decimal_places=2)
    score_spread = models.DecimalField(max_digits=6, decimal_places=2)
    recommended_amount = models.DecimalField(null=True, blank=True, **MONEY)
    assessment = models.JSONField(
        default=dict,
        blank=True,
        encoder=CompactJSONEncoder,
        help_text="the policy evaluation behind the amount, if any",
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application", "-created_at", "-id"]
        verbose_name = _("审核工作小组意见")
        verbose_name_plural = _("审核工作小组意见")

    def __str__(self) -> str:
        return f"{self.application_id} r{self.revision}: {self.decision}"
