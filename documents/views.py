"""Downloading a decision document, for the people allowed to see its application."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from workflows import selectors

from .models import Document, DocumentStatus


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    visible = selectors.applications_visible_to(request.user)
    document = Document.objects.filter(
        pk=pk, application__in=visible, status=DocumentStatus.READY
    ).first()
    if document is None:
        raise Http404
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{document.number}.pdf",
        content_type="application/pdf",
    )
