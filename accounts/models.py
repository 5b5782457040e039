"""The access log: who signed in, failed, was locked out, changed whose rights, read what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.models.audit import AppendOnlyModel, AppendOnlyQuerySet


class AccessKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("登录被锁定")
    UNLOCKED = "unlocked", _("解除登录锁定")
    SECOND_FACTOR_ENROLLED = "2fa_enrolled", _("启用两步验证")
    SECOND_FACTOR_PASSED = "2fa_passed", _("通过两步验证")
    SECOND_FACTOR_FAILED = "2fa_failed", _("两步验证失败")
    BACKUP_CODES_ISSUED = "2fa_backup_codes", _("生成备用验证码")
    SECOND_FACTOR_RESET = "2fa_reset", _("重置两步验证")
    ROLE_CHANGED = "role_changed", _("角色变更")
    PERMISSION_CHANGED = "permission_changed", _("权限变更")
    READ_APPLICATION = "read_application", _("查看申请")
    READ_ATTACHMENT = "read_attachment", _("下载附件")
    READ_DOCUMENT = "read_document", _("下载文书")
    EXPORTED = "exported", _("导出")


class AccessEvent(AppendOnlyModel):
    """One access: written once, never changed. Users and applications are referenced without a
    database constraint, so a record outlives what it names (the name is kept beside it)."""

    objects = AppendOnlyQuerySet["AccessEvent"].as_manager()

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("事件"), max_length=24, choices=AccessKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("人员"),
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    application = models.ForeignKey(
        "workflows.FundingApplication",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("申请"),
    )
    target = models.CharField(_("对象"), max_length=255, blank=True)
    detail = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("访问记录")
        verbose_name_plural = _("访问记录")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["application", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.kind}"
