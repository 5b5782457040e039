from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("审核与配套政策")

    def ready(self) -> None:
        from workflows import access, pages

        from .panels import application_fragments, expert_gate
        from .selectors import EXPERT_DECLARATIONS

        access.register_expert_declarations(EXPERT_DECLARATIONS)
        pages.register(gate=expert_gate, fragments=application_fragments)
