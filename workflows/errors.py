"""Errors a user can hit, each with a translatable message; mapped once to HTTP and exit codes."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    """Base of the errors that users can cause. ``message`` is shown to them as it is."""

    status_code = 400
    exit_code = 1
    default_message = _("操作无法完成。")

    def __init__(self, message: "StrOrPromise | None" = None) -> None:
        self.message: StrOrPromise = message if message is not None else self.default_message
        # The request it was about, when the refused call named several (a meeting's batch).
        self.application_id: int | None = None
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    default_message = _("输入有误。")


class NotAllowed(DomainError):
    status_code = 403
    exit_code = 3
    default_message = _("您无权执行此操作。")


class NotFound(DomainError):
    status_code = 404
    exit_code = 4
    default_message = _("未找到。")


class TransitionConflict(DomainError):
    """The application is no longer in the state the actor saw: somebody decided first."""

    status_code = 409
    exit_code = 5
    default_message = _("该申报的状态已被他人更改，请刷新后再试。")
