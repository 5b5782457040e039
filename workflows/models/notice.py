from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """One notification in the application, beside the e-mail that carries the same words:
    one row per recipient and message, read or not."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("收件人"),
    )
    application = models.ForeignKey(
        "workflows.FundingApplication",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("申请"),
    )
    kind = models.CharField(_("类型"), max_length=32)
    subject_zh = models.CharField(_("标题"), max_length=300)
    subject_en = models.CharField(_("英文标题"), max_length=300)
    body_zh = models.TextField(_("内容"))
    body_en = models.TextField(_("英文内容"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread")]

    def __str__(self) -> str:
        return self.subject

    @property
    def subject(self) -> str:
        return self.subject_en if (get_language() or "").startswith("en") else self.subject_zh

    @property
    def body(self) -> str:
        return self.body_en if (get_language() or "").startswith("en") else self.body_zh
