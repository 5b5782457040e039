"""The back office: Django's admin, branded for the programme, in Chinese first.

Who may enter is the access policy's answer (``workflows.access``): auditors and administrators
read every list; only administrators change anything. Every change is validated by the model's
form and recorded in the configuration log (``backoffice.admin_base``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from workflows import access


class BackOfficeLoginForm(AdminAuthenticationForm):
    """Staff as in Django's admin, and whoever the access policy lets read the back office."""

    def confirm_login_allowed(self, user: Any) -> None:
        if access.may_read_configuration(user) and user.is_active:
            return
        super().confirm_login_allowed(user)


class BackOfficeSite(admin.AdminSite):
    site_header = _("北京市重大科技专项配套资金 管理后台")
    site_title = _("配套资金管理后台")
    index_title = _("配置与人员")
    enable_nav_sidebar = True
    login_form = BackOfficeLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return access.may_read_configuration(request.user)

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Any:
        """A signed-in person without the right is refused (403), not asked to sign in again."""
        wrapped = super().admin_view(view, cacheable)

        @functools.wraps(view)
        def refuse_or_serve(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return wrapped(request, *args, **kwargs)

        return refuse_or_serve

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        context["may_configure"] = access.may_configure(request.user)
        return context
