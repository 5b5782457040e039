"""What every list of the back office shares: who may read and change it (the access policy,
not Django's per-model permissions), and the configuration log of every change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from workflows import access

from .config_log import Snapshot, record_change, snapshot
from .models import ChangeAction

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[Any]
else:  # ModelAdmin is not subscriptable at run time
    _Base = admin.ModelAdmin

_BEFORE = "_backoffice_before"


class ReadableAdmin(_Base):
    """Auditors and administrators read the list and every entry."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.may_read_configuration(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_read_configuration(request.user)


class ReadOnlyAdmin(ReadableAdmin):
    """Changed only through the decision path: no adding, changing or deleting here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LoggedAdmin(ReadableAdmin):
    """Administrators change it; every addition, change and deletion is recorded, before and
    after, in the configuration log, in the change's transaction."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return access.may_configure(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_configure(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_configure(request.user)

    def snapshot(self, obj: models.Model) -> Snapshot:
        """What the log keeps of ``obj`` (an admin with inlines adds theirs)."""
        return snapshot(obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change:
            stored = type(obj)._default_manager.get(pk=obj.pk)
            before = self.snapshot(stored)
        setattr(request, _BEFORE, before)
        self.write(request, obj, form, change)

    def write(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Store the change (a plain save; an admin whose model has a service calls it)."""
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, _BEFORE, None)
        record_change(
            actor=request.user,  # type: ignore[arg-type]
            action=ChangeAction.CHANGED if change else ChangeAction.ADDED,
            obj=obj,
            before=before,
            after=self.snapshot(type(obj)._default_manager.get(pk=obj.pk)),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = self.snapshot(obj)
        pk = obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        record_change(
            actor=request.user,  # type: ignore[arg-type]
            action=ChangeAction.DELETED,
            obj=obj,
            before=before,
            after=None,
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
