"""The append-only audit trail of state changes. Hashing and verification live in ``audit.py``."""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..review_path import Status, Tier, label_for


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit entries are append-only")


class AppendOnlyModel(models.Model):
    """Rows written once and never changed or removed through the ORM."""

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only")


class AuditEntry(AppendOnlyModel):
    """One state change: who moved which application from where to where, when and why."""

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    application = models.ForeignKey(
        "workflows.FundingApplication",
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("申请"),
    )
    transition = models.CharField(_("操作"), max_length=40)
    source = models.CharField(_("原状态"), max_length=20)
    target = models.CharField(_("新状态"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150)
    actor_role = models.CharField(_("角色"), max_length=32)
    tier = models.CharField(_("环节"), max_length=16, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.TextField(_("理由"), blank=True)
    details = models.JSONField(_("附加信息"), default=dict, blank=True)
    content_digest = models.CharField(_("内容摘要"), max_length=64)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    entry_hash = models.CharField(_("本条哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["seq"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.seq} {self.transition} {self.source}→{self.target}"

    @property
    def action_label(self) -> str:
        return label_for(self.transition, self.tier)

    @property
    def moved(self) -> bool:
        return self.source != self.target

    @property
    def source_label(self) -> str:
        return _label(Status, self.source)

    @property
    def target_label(self) -> str:
        return _label(Status, self.target)

    @property
    def tier_label(self) -> str:
        return _label(Tier, self.tier)


class AuditChainHead(models.Model):
    """The end of the chain: its length and last hash. Locking this row serialises appends,
    and comparing against it reveals entries removed from the end."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    length = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_chain_head")]

    def __str__(self) -> str:
        return f"audit chain: {self.length} entries"


class RefusedAttempt(AppendOnlyModel):
    """An action somebody tried and was refused: conflicts of interest, separation of duties,
    wrong tier. Kept for auditors beside the trail of state changes."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        "workflows.FundingApplication", null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("操作"), max_length=60)
    message = models.TextField(_("拒绝原因"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("被拒绝的操作")
        verbose_name_plural = _("被拒绝的操作")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.action}: {self.message}"


class DeadlineNotice(models.Model):
    """A reminder or escalation sent for one overdue task; unique, so a job run twice sends
    nothing twice."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("逾期提醒")
        ESCALATION = "escalation", _("逾期升级")

    task = models.ForeignKey("viewflow.Task", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "kind"], name="one_notice_per_task_and_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for task {self.task_id}"
