"""Decision documents for administrators: read-only, with their status and last error."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
