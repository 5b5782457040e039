from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("统计")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from workflows.signals import transition_recorded

        from .after_approval import register_after_approval_sections
        from .figures import register_review_sections

        register_review_sections()
        register_after_approval_sections()
        transition_recorded.connect(_on_step, dispatch_uid="dashboard-figures-changed")


def _on_step(**_kwargs: object) -> None:
    """Every decision and step is sent inside its transaction: the figures change once it
    commits (and not at all if it rolls back)."""
    from django.db import transaction

    from .sections import figures_changed

    transaction.on_commit(figures_changed)
