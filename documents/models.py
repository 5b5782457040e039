"""Decision documents: their numbers (文号), files, hashes and rendering status."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理通知书")
    RETURN_NOTICE = "return_notice", _("退回修改通知书")
    REJECTION = "rejection", _("不予支持通知书")
    REVIEW_OPINION = "review_opinion", _("审核意见书")
    MEETING_MINUTES = "meeting_minutes", _("联席会议纪要")
    APPROVAL = "approval", _("配套资金批复")
    NOTICE_OPENING = "notice_opening", _("配套资金项目公示")
    OBJECTION_RECEIPT = "objection_receipt", _("公示异议受理回执")
    OBJECTION_RESOLUTION = "objection_resolution", _("公示异议核查意见")
    NOTICE_CLOSING = "notice_closing", _("公示结果通知")
    FINAL_APPROVAL = "final_approval", _("配套资金正式批复")
    AGREEMENT = "agreement", _("配套资金任务书（协议）")
    AMENDMENT = "amendment", _("任务书（协议）变更批复")
    PAYMENT_NOTICE = "payment_notice", _("配套资金拨付通知")
    REPORT_OUTCOME = "report_outcome", _("进展报告审核意见")
    ACCEPTANCE_OUTCOME = "acceptance_outcome", _("验收结论通知书")
    RECOVERY_ORDER = "recovery_order", _("配套资金追回通知")
    RECOVERY_CLOSED = "recovery_closed", _("追回完毕结项通知")


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
    rendered and stored after it commits.

    A decision about one application links its audit entry and ``application``; the minutes
    of a joint meeting link the meeting and every application on its agenda (``applications``
    lists the applications of every document). An English translation is a document of its
    own with the original's number, kind and cause, ``translation_of`` pointing to it.
    """

    number = models.CharField(_("文号"), max_length=64)
    kind = models.CharField(_("文书类型"), max_length=32, choices=DocumentKind.choices)
    language = models.CharField(
        _("语言"), max_length=8, choices=settings.LANGUAGES, default="zh-hans"
    )
    year = models.PositiveIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    issued_on = models.DateField(_("成文日期"), null=True, blank=True)
    application = models.ForeignKey(
        "workflows.FundingApplication",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("申请"),
    )
    applications = models.ManyToManyField(
        "workflows.FundingApplication",
        blank=True,
        related_name="decision_documents",
        verbose_name=_("涉及的申请"),
    )
    audit_entry = models.ForeignKey(
        "workflows.AuditEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("对应审计记录"),
    )
    meeting = models.ForeignKey(
        "approvals.Meeting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("联席会议"),
    )
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="translations",
        verbose_name=_("原文"),
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    file = models.FileField(_("文件"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(_("大小(字节)"), null=True, blank=True)
    template_version = models.CharField(_("模板版本"), max_length=16, blank=True)
    signer_fingerprint = models.CharField(
        _("签名证书指纹(SHA-256)"), max_length=64, blank=True, help_text=_("未签名时为空")
    )
    attempts = models.PositiveSmallIntegerField(_("生成次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("决定文书")
        verbose_name_plural = _("决定文书")
        ordering = ["-created_at", "-id"]
        # The list's pages: originals, keyset on the creation time or the number, then the id.
        # Partial (originals only): PostgreSQL reads an index in a list's order only where
        # the order's columns lead it, and "translation_of IS NULL" fixes no column's value.
        indexes = [
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(translation_of__isnull=True),
                name="original_document_list_idx",
            ),
            models.Index(
                fields=["number", "id"],
                condition=models.Q(translation_of__isnull=True),
                name="original_document_number_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number", "language"], name="one_document_per_number_and_language"
            ),
            models.UniqueConstraint(
                fields=["audit_entry", "kind", "language"],
                condition=Q(audit_entry__isnull=False),
                name="one_document_per_decision_kind_and_language",
            ),
            models.UniqueConstraint(
                fields=["meeting", "kind", "language"],
                condition=Q(meeting__isnull=False),
                name="one_document_per_meeting_kind_and_language",
            ),
            models.UniqueConstraint(
                fields=["kind", "year", "serial", "language"], name="serials_unique_per_language"
            ),
            models.CheckConstraint(
                condition=Q(audit_entry__isnull=False) | Q(meeting__isnull=False),
                name="document_has_a_cause",
            ),
        ]

    def __str__(self) -> str:
        return self.number if self.translation_of_id is None else f"{self.number} ({self.language})"

    @property
    def signed(self) -> bool:
        return bool(self.signer_fingerprint)
