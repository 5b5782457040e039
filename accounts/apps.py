from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who may sign in and how (lockouts, the staff's second factor), and the access log."""

    name = "accounts"
    verbose_name = _("账号与访问记录")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
