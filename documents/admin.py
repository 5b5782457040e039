"""Decision documents for administrators: read-only, with their status and last error."""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Document

if TYPE_CHECKING:
    _DocumentAdminBase = admin.ModelAdmin[Document]
else:  # ModelAdmin is not subscriptable at run time
    _DocumentAdminBase = admin.ModelAdmin


@admin.register(Document)
class DocumentAdmin(_DocumentAdminBase):
    list_display = ("number", "kind", "language", "status", "attempts", "issued_on", "signed")
    list_filter = ("status", "kind", "language", "year")
    search_fields = ("number", "sha256")
    date_hierarchy = "created_at"
    readonly_fields = ("download",)
    exclude = ("file",)
    list_select_related = ("application",)

    @admin.display(boolean=True, description=_("已签名"))
    def signed(self, document: Document) -> bool:
        return document.signed

    @admin.display(description=_("文件"))
    def download(self, document: Document) -> str:
        if not document.file:
            return "—"
        url = reverse("document-download", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document.file.name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False
