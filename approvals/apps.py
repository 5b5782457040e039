from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("审核与配套政策")

    def ready(self) -> None:
        from workflows import pages

        from .assessment import preview_for
        from .views import expert_gate, review_panels

        def preview(application: Any) -> dict[str, Any] | None:
            shown = preview_for(application)
            return shown.as_dict() if shown else None

        pages.register(gate=expert_gate, panels=review_panels, preview=preview)
