"""The configuration log: every change made in the back office, who made it, before and after."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.credit_code import validate_credit_code
from workflows.models import District, Organisation, OrganisationKind
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


def licence_path(instance: OrganisationRegistration, filename: str) -> str:
    # Never reuse the uploaded name on disk: it is user text.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"registrations/{uuid.uuid4().hex}{suffix}"


class OrganisationRegistration(models.Model):
    """An organisation's own request to join: its credit code, its business licence and its
    representative's account, until an administrator approves or refuses it."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REFUSED = "refused", _("未通过")

    name = models.CharField(_("单位名称"), max_length=200)
    kind = models.CharField(_("单位类型"), max_length=32, choices=OrganisationKind.choices)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"active": True},
        verbose_name=_("所在区"),
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, validators=[validate_credit_code]
    )
    licence = models.FileField(_("营业执照或法人证书"), upload_to=licence_path)
    licence_sha256 = models.CharField(max_length=64)
    representative_name = models.CharField(_("联系人姓名"), max_length=150)
    username = models.CharField(_("登录用户名"), max_length=150)
    email = models.EmailField(_("电子邮箱"))
    password_hash = models.CharField(max_length=128)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("单位注册申请")
        verbose_name_plural = _("单位注册申请")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display()})"
