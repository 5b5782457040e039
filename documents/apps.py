from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("决定文书")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to workflow signals)
