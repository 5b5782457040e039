from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("申报与审批流程")

    def ready(self) -> None:
        from . import audit_guard, converters, districts, notifications, permissions  # noqa: F401

        converters.register()  # <id:…> in every app's URLs
        audit_guard.connect()
        post_migrate.connect(
            districts.ensure_districts, sender=self, dispatch_uid="workflows.districts"
        )
