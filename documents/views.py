"""The list of decision documents, downloading one, and the public page that verifies one."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from workflows import access
from workflows.actors import Viewer
from workflows.exports import export_response
from workflows.listing import export_query, list_page, ordered_for_export
from workflows.signals import object_read

from . import throttle
from .letterhead import issuer
from .lists import DOCUMENT_EXPORT, DocumentFilter, DocumentTable, listed_documents
from .models import Document, DocumentStatus
from .verification import Verification, verify_content, verify_number

# A decision document is a few hundred kilobytes; anything far larger is not one.
MAX_VERIFY_UPLOAD_BYTES = 20 * 1024 * 1024


def documents_visible_to(user: Viewer) -> QuerySet[Document]:
    """Issued documents the user may download, as the access policy says (the minutes name
    every applicant on the agenda, so only the meetings' readers get them)."""
    return access.visible_documents(user, Document.objects.filter(status=DocumentStatus.READY))


def _documents_filter(request: HttpRequest) -> DocumentFilter:
    if not access.may_list_documents(request.user):
        raise PermissionDenied
    return DocumentFilter(request.GET or None, queryset=listed_documents(request.user))


@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    """The decision documents of the requests the user may read (and the meetings' minutes
    for the meetings' readers): searched, filtered, sorted, one keyset page at a time."""
    listing = list_page(
        request, _documents_filter(request), DocumentTable, export_url=reverse("documents-export")
    )
    return render(request, "documents/documents.html", listing.context())


@login_required
@require_GET
def documents_export(request: HttpRequest) -> HttpResponseBase:
    """The list of documents with its filters and order, as CSV or Excel."""
    return export_response(
        request,
        name="documents",
        label=str(_("决定文书")),
        fmt=request.GET.get("format", "csv"),
        columns=DOCUMENT_EXPORT,
        rows=ordered_for_export(_documents_filter(request), DocumentTable, request.GET),
        filters=export_query(request.GET),
    )


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    document = documents_visible_to(request.user).filter(pk=pk).first()
    if document is None:
        raise Http404
    object_read.send(sender=Document, request=request, obj=document)
    suffix = "" if document.translation_of_id is None else f"-{document.language}"
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{document.number}{suffix}.pdf",
        content_type="application/pdf",
    )


class VerifyUploadForm(forms.Form):
    file = forms.FileField(label=_("文书 PDF 文件"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_VERIFY_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件过大，不是本系统签发的文书。"))
        return upload


def _number_asked(request: HttpRequest) -> str:
    return request.GET.get("number", "").strip()[:64]


def _verify_limit(request: HttpRequest) -> HttpResponse | None:
    """The per-address limit of lookups and uploads, checked before an upload is parsed."""
    if not (_number_asked(request) or request.method == "POST"):
        return None
    if throttle.allow(request, scope="verify", limit=settings.DOCUMENT_VERIFY_RATE_LIMIT):
        return None
    context = {
        "form": VerifyUploadForm(),
        "number": _number_asked(request),
        "issuer": issuer(get_language()),
        "throttled": True,
    }
    response = render(request, "documents/verify.html", context, status=429)
    response["Retry-After"] = str(throttle.WINDOW_SECONDS)
    return response


@throttle.before_parsing(_verify_limit)
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anybody, without logging in: is the document with this number, or this file, genuine?
    Shows only the number, kind, date and issuing body. Limited per client address, before the
    upload is read (``throttle.ThrottleMiddleware``)."""
    number = _number_asked(request)
    form = VerifyUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "number": number, "result": None, "issuer": issuer(get_language())}
    if number or request.method == "POST":
        result: Verification | None = None
        if request.method == "POST":
            if form.is_valid():
                result = verify_content(b"".join(form.cleaned_data["file"].chunks()))
        else:
            result = verify_number(number)
        context["result"] = result
        context["application_url"] = _application_url(request, result)
    return render(request, "documents/verify.html", context)


def _application_url(request: HttpRequest, result: Verification | None) -> str:
    """A link to the application, for a user who may see it anyway."""
    document = result.document if result is not None else None
    if document is None or document.application_id is None or not request.user.is_authenticated:
        return ""
    if not access.applications_for(request.user).filter(pk=document.application_id).exists():
        return ""
    return reverse("application-detail", args=[document.application_id])
