from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demonstration data and the ``loaddemo`` and ``demo`` commands, outside the core apps."""

    name = "demo"
    verbose_name = _("演示数据")
