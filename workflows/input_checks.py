"""Refuses requests whose parameters no page can use, before any view passes them on.

A NUL character is never part of a name, number or text anybody types, and PostgreSQL refuses
it in any query (``DataError``: a server error). Forms already refuse it field by field; this
catches the parameters views read directly, in the query string and in posted forms alike.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(params: QueryDict) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in params.lists()
    )


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if NUL in request.path or _has_nul(request.GET) or _has_nul(request.POST):
            return render(
                request,
                "error.html",
                {"message": _("请求中含有空字符（NUL），请删除后重试。"), "status": 400},
                status=400,
            )
        return None
