"""Decision documents: their numbers (文号), files, hashes and rendering status."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理通知书")
    RETURN_NOTICE = "return_notice", _("退回修改通知书")
    REJECTION = "rejection", _("不予支持通知书")
    APPROVAL = "approval", _("配套资金批复")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("生成中")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")


class DocumentCounter(models.Model):
    """The last number issued per kind and year; locking the row keeps numbers gapless."""

    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="one_counter_per_kind_and_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Document(models.Model):
    """One decision document. Created, numbered and pending in the decision's transaction;
    rendered and stored after it commits."""

    number = models.CharField(_("文号"), max_length=64, unique=True)
    kind = models.CharField(_("文书类型"), max_length=32, choices=DocumentKind.choices)
    year = models.PositiveIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    application = models.ForeignKey(
        "workflows.FundingApplication",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("申请"),
    )
    audit_entry = models.ForeignKey(
        "workflows.AuditEntry",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("对应审计记录"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    file = models.FileField(_("文件"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(_("大小(字节)"), null=True, blank=True)
    template_version = models.CharField(_("模板版本"), max_length=16, blank=True)
    attempts = models.PositiveSmallIntegerField(_("生成次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("决定文书")
        verbose_name_plural = _("决定文书")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit_entry", "kind"], name="one_document_per_decision_and_kind"
            ),
            models.UniqueConstraint(fields=["kind", "year", "serial"], name="serials_unique"),
        ]

    def __str__(self) -> str:
        return self.number
