from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("申报与审批流程")

    def ready(self) -> None:
        from . import audit_guard, notifications  # noqa: F401  (connects the messenger)

        audit_guard.connect()
