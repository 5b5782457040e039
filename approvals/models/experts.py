"""The expert pool: fields of expertise, each expert's affiliation, and the chair's random
draws, kept with their seed so that an auditor can replay them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.models.audit import AppendOnlyModel, AppendOnlyQuerySet


class ExpertField(models.Model):
    """A field of expertise (集成电路, 新药创制…)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("专业领域"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("专业领域")
        verbose_name_plural = _("专业领域")

    def __str__(self) -> str:
        return self.name


class ExpertProfile(models.Model):
    """What the chair needs to choose an expert well: fields, affiliation and its group."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="expert_profile",
        verbose_name=_("专家"),
    )
    fields = models.ManyToManyField(
        ExpertField, related_name="experts", verbose_name=_("专业领域"), blank=True
    )
    affiliation = models.CharField(_("工作单位"), max_length=200)
    affiliation_group = models.CharField(
        _("所属集团或系统"),
        max_length=200,
        blank=True,
        help_text=_("与申报单位同属一个集团或系统的专家自动回避。"),
    )

    class Meta:
        verbose_name = _("专家信息")
        verbose_name_plural = _("专家信息")

    def __str__(self) -> str:
        return f"{self.user} · {self.affiliation}"


class ExpertDraw(AppendOnlyModel):
    """A random draw of experts from the eligible, as the chair made it: the candidates in
    their order, the seed, and who was drawn. Replaying the seed over the candidates gives the
    same experts (``approvals.expert_pool.replay_draw``)."""

    objects = AppendOnlyQuerySet["ExpertDraw"].as_manager()

    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.PROTECT, related_name="expert_draws"
    )
    revision = models.PositiveIntegerField()
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("抽取时间"), default=timezone.now)
    seed = models.CharField(_("随机种子"), max_length=64)
    field_codes = models.JSONField(_("专业领域"), default=list)
    count = models.PositiveSmallIntegerField(_("抽取人数"))
    candidate_ids = models.JSONField(_("候选专家"))
    drawn_ids = models.JSONField(_("抽中专家"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("专家随机抽取记录")
        verbose_name_plural = _("专家随机抽取记录")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.application_id} r{self.revision} seed {self.seed}"
