"""The site's own error pages (400, 403, 404, 500 and a failed CSRF check), in its look and
language, each telling the person what to do next. They replace Django's plain pages and the
ones the viewflow library ships (``handler*`` in ``config.urls``, ``CSRF_FAILURE_VIEW``)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        context = {"limit_mb": settings.ATTACHMENT_MAX_BYTES // 2**20}
        return render(request, "413.html", context, status=413)
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request's context: reading the session or the user could fail
    # for the same reason the page did.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
