"""The configuration log: every change made in the back office, who made it, before and after."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.models.audit import AppendOnlyModel, AppendOnlyQuerySet


class ChangeAction(models.TextChoices):
    ADDED = "added", _("新增")
    CHANGED = "changed", _("修改")
    DELETED = "deleted", _("删除")


class ConfigChange(AppendOnlyModel):
    """One change of configuration (a call, a department, a person's role, a policy…): written
    once, never changed or removed (the ORM refuses, and database triggers on both engines).
    The actor is referenced without a database constraint, so a record outlives the account;
    their name is kept beside it."""

    objects = AppendOnlyQuerySet["ConfigChange"].as_manager()

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=150)
    action = models.CharField(_("操作"), max_length=16, choices=ChangeAction.choices)
    model = models.CharField(_("对象类型代码"), max_length=100, db_index=True)
    model_name = models.CharField(_("对象类型"), max_length=100)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=255)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    reason = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("配置变更记录")
        verbose_name_plural = _("配置变更记录")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["model", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    @property
    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before, after = self.before or {}, self.after or {}
        return [
            (name, before.get(name), after.get(name))
            for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)
        ]
