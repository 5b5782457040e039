"""The lists' columns (django-tables2): headings, cells, which columns sort, and the
database ordering each sortable column stands for. The rows come one keyset page at a time
(``workflows.keyset``), already in order: a table never sorts them again."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_tables2.utils import OrderByTuple

from .keyset import Keyset
from .review_path import Role


class ListTable(tables.Table):  # type: ignore[misc]
    """A table over one page of rows the database has ordered. ``sorts`` maps each sortable
    column to the database field it orders by; ``default_sort`` is the list's order when the
    query string asks for none."""

    sorts: dict[str, str] = {}
    default_sort = "-created"
    # The rows of a long list are written by a template of their own (``page`` is the keyset
    # page): django-tables2's per-cell rendering costs milliseconds a row.
    body_template: str | None = None
    page_rows: list[Any] = []

    class Meta:
        template_name = "workflows/_list_table.html"
        attrs = {"class": "list"}
        order_by_field = "sort"

    @property
    def order_by(self) -> OrderByTuple | None:
        return self._order_by

    @order_by.setter
    def order_by(self, value: Any) -> None:
        # The header links show which column sorts; the rows are already in that order.
        names = value.split(",") if isinstance(value, str) else list(value or ())
        self._order_by = OrderByTuple(
            [
                n
                for n in names
                if n.lstrip("-") in self.columns and self.columns[n.lstrip("-")].orderable
            ]
        )

    @classmethod
    def keyset(cls, query: QueryDict) -> tuple[str, Keyset]:
        """The column the query string sorts by (or the default) and its database order."""
        requested = query.get("sort") or cls.default_sort
        name = requested.lstrip("-")
        if name not in cls.sorts:
            requested, name = cls.default_sort, cls.default_sort.lstrip("-")
        sign = "-" if requested.startswith("-") else ""
        return requested, Keyset(f"{sign}{cls.sorts[name]}")


class ApplicationTable(ListTable):
    task = tables.Column(
        verbose_name=_("课题"), accessor="national_task_code", order_by=("national_task_code",)
    )
    title = tables.Column(verbose_name=_("课题名称"))
    organisation = tables.Column(
        verbose_name=_("申报单位"), accessor="organisation__name", order_by=("organisation",)
    )
    special_project = tables.Column(
        verbose_name=_("专项"), accessor="special_project__code", orderable=False
    )
    requested = tables.Column(
        verbose_name=_("申请金额(元)"),
        accessor="requested_amount",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    status = tables.Column(verbose_name=_("状态"))
    created = tables.DateTimeColumn(
        verbose_name=_("创建时间"), accessor="created_at", format="Y-m-d H:i"
    )

    sorts = {
        "task": "national_task_code",
        "title": "title",
        "organisation": "organisation__name",
        "requested": "requested_amount",
        "status": "status",
        "created": "created_at",
    }
    default_sort = "-created"
    body_template = "workflows/_applications_rows.html"

    class Meta(ListTable.Meta):
        empty_text = _("暂无申请。")


def role_label(code: str) -> str:
    """A role as people call it ("联席会议秘书"), for codes written to the audit trail."""
    try:
        return str(Role(code).label)
    except ValueError:
        return code or "—"


class AuditTable(ListTable):
    seq = tables.Column(verbose_name="#")
    at = tables.DateTimeColumn(verbose_name=_("时间"), format="Y-m-d H:i:s")
    application = tables.Column(
        verbose_name=_("申请"), accessor="application__national_task_code", orderable=False
    )
    action = tables.Column(verbose_name=_("操作"), accessor="transition", orderable=False)
    actor_name = tables.Column(verbose_name=_("办理人"), orderable=False)
    actor_role = tables.Column(verbose_name=_("角色"), orderable=False)
    tier = tables.Column(verbose_name=_("环节"), orderable=False)
    reason = tables.Column(verbose_name=_("理由"), orderable=False)

    sorts = {"seq": "seq", "at": "seq"}
    default_sort = "-seq"
    body_template = "workflows/_audit_rows.html"

    class Meta(ListTable.Meta):
        empty_text = _("没有符合条件的记录。")
