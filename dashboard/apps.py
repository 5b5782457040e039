from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("统计")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .after_approval import register_after_approval_sections
        from .figures import register_review_sections

        register_review_sections()
        register_after_approval_sections()
