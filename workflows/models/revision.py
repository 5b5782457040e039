"""Each submitted version of a request, so reviewers can compare a resubmission with what they
returned."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApplicationRevision(models.Model):
    application = models.ForeignKey(
        "workflows.FundingApplication", on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("版本"))
    content = models.JSONField(_("内容"))
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("申报版本")
        verbose_name_plural = _("申报版本")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="one_snapshot_per_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} v{self.number}"
