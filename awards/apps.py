from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("批复后的公示、协议与拨付")

    def ready(self) -> None:
        from workflows import pages

        from .panels import application_fragments

        pages.register(fragments=application_fragments)
