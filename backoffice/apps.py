from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    default = True
    name = "backoffice"
    verbose_name = _("管理后台")

    def ready(self) -> None:
        from workflows import notifications

        from .registration import MESSAGES

        notifications.register_messages(MESSAGES)


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin, served by the programme's own site (branded, role-checked, logged)."""

    default = False
    default_site = "backoffice.site.BackOfficeSite"
