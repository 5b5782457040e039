"""Administrators lift lockouts and reset second factors from the user list; the access log is
read-only here as everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import second_factor
from .lockout import unlock
from .models import AccessEvent

User = get_user_model()


@admin.action(description=_("解除登录锁定"), permissions=["change"])
def unlock_logins(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    for user in queryset:
        unlock(username=user.get_username(), actor=request.user)
    modeladmin.message_user(
        request, gettext("已解除 %(n)d 个账号的登录锁定。") % {"n": queryset.count()}
    )


@admin.action(description=_("重置两步验证"), permissions=["change"])
def reset_second_factors(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    for user in queryset:
        second_factor.reset(user, actor=request.user)  # type: ignore[arg-type]
    modeladmin.message_user(
        request,
        gettext("已重置 %(n)d 个账号的两步验证，下次登录时重新绑定。") % {"n": queryset.count()},
        messages.SUCCESS,
    )


class ProgrammeUserAdmin(UserAdmin):  # type: ignore[type-arg]
    actions = [unlock_logins, reset_second_factors]


admin.site.unregister(User)
admin.site.register(User, ProgrammeUserAdmin)


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "kind", "username", "address", "application_id", "target")
    list_filter = ("kind",)
    search_fields = ("username", "target")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
