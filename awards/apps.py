from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("批复后的公示、协议与拨付")

    def ready(self) -> None:
        from outcomes import targets
        from outcomes.selectors import has_accepted_report
        from workflows import pages

        from . import hooks, selectors
        from .panels import application_fragments

        pages.register(fragments=application_fragments)
        # The outcome reports are checked against the agreement's targets, and a tranche paid
        # on an accepted report waits for one.
        targets.register(selectors.period_targets)
        hooks.register_accepted_report(has_accepted_report)
