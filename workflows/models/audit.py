"""The append-only audit trail of state changes. Hashing and verification live in ``audit.py``."""

from typing import Any, NoReturn, TypeVar

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


_Row = TypeVar("_Row", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_Row]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit entries are append-only")


AuditEntryQuerySet = AppendOnlyQuerySet


class AppendOnlyModel(models.Model):
    """Rows written once and never changed or removed through the ORM."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only")


class AuditEntry(AppendOnlyModel):
    """One state change or people-side step: who did what to which application, when and why.

    Each application's entries form their own hash chain (``app_seq`` 1, 2, …, each entry
    holding the hash of the one before it), guarded by the application's row lock; ``seq``
    orders all entries globally and is drawn from a sequence, so appends to different
    applications never wait for each other. Entries written before per-application chains
    (``hash_version`` 1) stay as they were, one global chain ending at ``AuditChainHead``.
    """

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    application = models.ForeignKey(
        "workflows.FundingApplication",
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("申请"),
        db_index=False,  # one_entry_per_chain_position starts with it
    )
    app_seq = models.PositiveIntegerField(_("本申请序号"))
    hash_version = models.PositiveSmallIntegerField(default=2)
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
    state_digest = models.CharField(_("决定字段摘要"), max_length=64, blank=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    # Unique by a constraint, not unique=True: PostgreSQL then keeps one index on it, not a
    # second one for LIKE that nothing asks (every append writes each index).
    entry_hash = models.CharField(_("本条哈希"), max_length=64)

    objects = AppendOnlyQuerySet["AuditEntry"].as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["seq"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["application", "app_seq"], name="one_entry_per_chain_position"
            ),
            models.UniqueConstraint(fields=["entry_hash"], name="one_entry_per_hash"),
        ]
        indexes = [
            # The audit trail's period filter and the dashboard's times at each tier.
            models.Index(fields=["at"], name="audit_entry_at_idx"),
            # The access policy's "reached the group / the meeting" (the chair's, the
            # secretariat's lists) reads the entries by status reached, then request.
            models.Index(fields=["target", "application"], name="audit_entry_target_idx"),
        ]

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
    """The end of the single chain that entries followed before each application had its own:
    its length and last hash, frozen when the log moved to per-application chains. Comparing
    against it still reveals old entries removed from that chain's end."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    length = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_chain_head")]

    def __str__(self) -> str:
        return f"audit chain: {self.length} entries"


class AuditCheckpoint(AppendOnlyModel):
    """A signed tree head: the Merkle root over the first ``size`` entries (in ``seq`` order,
    up to ``last_seq``), as in RFC 6962. The signed copy that counts is the file written out of
    the database; this row lets later checkpoints and inclusion proofs continue from it."""

    size = models.PositiveBigIntegerField(_("条目数"), unique=True)
    last_seq = models.PositiveBigIntegerField(_("最后序号"))
    root = models.CharField(_("树根"), max_length=64)
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    key_id = models.CharField(_("密钥标识"), max_length=16)
    signature = models.CharField(_("签名"), max_length=128)
    frontier = models.JSONField(default=list)

    objects = AppendOnlyQuerySet["AuditCheckpoint"].as_manager()

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["size"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"checkpoint {self.size} {self.root[:12]}"


class AuditTreeNode(AppendOnlyModel):
    """A complete subtree of the Merkle tree (``2**level`` leaves from ``index * 2**level``),
    kept so that an inclusion proof needs only a few hundred leaves, not the whole log."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    digest = models.CharField(max_length=64)
    first_seq = models.PositiveBigIntegerField()

    objects = AppendOnlyQuerySet["AuditTreeNode"].as_manager()

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="one_node_per_position")
        ]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class AuditVerification(models.Model):
    """One run of the verifier started from the auditors' page: its progress and its result.
    Runs in the background (a Celery worker, or a thread when embedded), never in a request."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("校验中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未能完成")

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    total = models.PositiveBigIntegerField(default=0)
    checked = models.PositiveBigIntegerField(default=0)
    intact = models.BooleanField(null=True)
    result = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"verification {self.pk} ({self.state})"


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

    objects = AppendOnlyQuerySet["RefusedAttempt"].as_manager()

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
