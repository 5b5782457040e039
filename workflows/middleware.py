"""Maps the domain errors users can hit to HTTP responses, in one place."""

from django.shortcuts import render

from .errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return render(
                request,
                "error.html",
                {"message": exception.message, "status": exception.status_code},
                status=exception.status_code,
            )
        return None
