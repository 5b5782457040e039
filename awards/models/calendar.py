"""The calendar of working days that the public notice is counted in."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Holiday(models.Model):
    """A day that differs from the ordinary week: a public holiday on a weekday, or a weekend
    day worked in its place (调休, ``working=True``)."""

    day = models.DateField(_("日期"), unique=True)
    name = models.CharField(_("名称"), max_length=60)
    working = models.BooleanField(_("调休上班"), default=False)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"
