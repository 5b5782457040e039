from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("申报与审批流程")

    def ready(self) -> None:
        from . import audit_guard, converters, notifications, permissions  # noqa: F401

        converters.register()  # <id:…> in every app's URLs
        audit_guard.connect()
