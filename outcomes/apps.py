from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = _("成果报告与验收")

    def ready(self) -> None:
        from workflows import access, deadlines, notifications, pages

        from .deadlines import process_report_deadlines
        from .notices import MESSAGES
        from .panels import outcome_fragments, outcome_queue
        from .selectors import acceptance_panel_applications

        access.register_expert_panel(acceptance_panel_applications)
        deadlines.register(process_report_deadlines)
        notifications.register_messages(MESSAGES)
        pages.register(fragments=outcome_fragments, queue=outcome_queue)
