"""Files an applicant attaches to a request, kept outside the web root."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AttachmentKind(models.TextChoices):
    NATIONAL_APPROVAL = "national_approval", _("国家批复文件")
    BUDGET = "budget", _("预算书")
    PLAN = "plan", _("实施方案")
    OTHER = "other", _("其他材料")


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Never reuse the uploaded name on disk: it is user text.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("材料类型"), max_length=32, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
