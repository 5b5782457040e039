"""The list of decision documents (``/documents/``): its filters (django-filter), columns
(django-tables2) and export. The rows are the originals (an English translation is offered
beside its original) of the documents the access policy lets the user read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from workflows import access
from workflows.exports import ChoiceLabels, Column
from workflows.filters import DATE, PeriodForm, search_q
from workflows.models import FundingApplication, FundingCall
from workflows.review_path import Tier
from workflows.tables import ListTable

from .models import Document, DocumentKind, DocumentStatus

if TYPE_CHECKING:
    from workflows.actors import Viewer


def listed_documents(user: Viewer) -> QuerySet[Document]:
    """The original documents the user may read (``access.visible_documents``), of any
    rendering status, with what the list shows of them and their translations ready to
    download."""
    translations = Document.objects.filter(status=DocumentStatus.READY).order_by("language")
    visible: QuerySet[Document] = access.visible_documents(user, Document.objects.all())
    # "Originals" outside the policy's OR: one condition the list's indexes start with.
    return (
        visible.filter(translation_of__isnull=True)
        .select_related(
            "application__organisation", "application__call", "meeting__call", "audit_entry"
        )
        .prefetch_related(Prefetch("translations", queryset=translations))
    )


def _issued_at(tier: str) -> Q:
    """Documents issued at ``tier``: by a decision taken there, or (the joint meeting) as the
    minutes of one of its meetings."""
    at_tier = Q(audit_entry__tier=tier)
    return at_tier | Q(meeting__isnull=False) if tier == Tier.MEETING else at_tier


class DocumentFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("搜索（文号、课题、申报单位）"), method="search")
    kind = django_filters.ChoiceFilter(label=_("文书类型"), choices=DocumentKind.choices)
    tier = django_filters.ChoiceFilter(label=_("签发环节"), choices=Tier.choices, method="at_tier")
    call = django_filters.ModelChoiceFilter(
        label=_("申报批次"), queryset=FundingCall.objects.all(), method="of_call"
    )
    since = django_filters.DateFilter(
        label=_("成文日期起"),
        field_name="issued_on",
        lookup_expr="gte",
        widget=forms.DateInput(DATE),
    )
    until = django_filters.DateFilter(
        label=_("成文日期止"),
        field_name="issued_on",
        lookup_expr="lte",
        widget=forms.DateInput(DATE),
    )

    class Meta:
        model = Document
        fields = ["q", "kind", "tier", "call"]
        form = PeriodForm

    def search(self, rows: QuerySet[Document], name: str, value: str) -> Any:
        """Every word in the document's number, or in the title, organisation or task code of
        its request (of a request on the agenda, for a meeting's minutes)."""
        on_agenda = Document.applications.through.objects
        for word in value.split()[:5]:
            # The document's own request is tested on the joined row, so the list walks its
            # order and stops at a page; the minutes' requests are few.
            requests = FundingApplication.objects.filter(search_q(word)).values("pk")
            minutes = on_agenda.filter(fundingapplication_id__in=requests).values("document_id")
            rows = rows.filter(
                Q(number__icontains=word)
                | search_q(word, prefix="application__")
                | Q(meeting__isnull=False, pk__in=minutes)
            )
        return rows

    def at_tier(self, rows: QuerySet[Document], name: str, value: str) -> Any:
        return rows.filter(_issued_at(value))

    def of_call(self, rows: QuerySet[Document], name: str, value: FundingCall) -> Any:
        return rows.filter(Q(application__call=value) | Q(meeting__call=value))


class DocumentTable(ListTable):
    number = tables.Column(verbose_name=_("文号"))
    kind = tables.Column(verbose_name=_("文书类型"), orderable=False)
    issued = tables.Column(verbose_name=_("成文日期"), accessor="issued_on", orderable=False)
    application = tables.Column(verbose_name=_("申请"), orderable=False)
    organisation = tables.Column(
        verbose_name=_("申报单位"), accessor="application__organisation", orderable=False
    )
    tier = tables.Column(verbose_name=_("签发环节"), accessor="audit_entry__tier", orderable=False)
    created = tables.Column(verbose_name=_("签发时间"), accessor="created_at")
    download = tables.Column(verbose_name=_("下载"), orderable=False, empty_values=())

    sorts = {"number": "number", "created": "created_at"}
    default_sort = "-created"
    body_template = "documents/_document_rows.html"

    class Meta(ListTable.Meta):
        empty_text = _("没有符合条件的文书。")


TIERS = ChoiceLabels(Tier.choices)
KINDS = ChoiceLabels(DocumentKind.choices)
STATES = ChoiceLabels(DocumentStatus.choices)


def issuing_tier(document: Document) -> str:
    if document.meeting_id is not None and document.audit_entry_id is None:
        return TIERS(Tier.MEETING)
    return TIERS(document.audit_entry.tier) if document.audit_entry else ""


DOCUMENT_EXPORT = (
    Column(_("文号"), lambda d: d.number),
    Column(_("文书类型"), lambda d: KINDS(d.kind)),
    Column(_("成文日期"), lambda d: d.issued_on),
    Column(_("签发环节"), issuing_tier),
    Column(
        _("国家课题(任务)编号"), lambda d: d.application.national_task_code if d.application else ""
    ),
    Column(_("课题名称"), lambda d: d.application.title if d.application else ""),
    Column(_("申报单位"), lambda d: d.application.organisation.name if d.application else ""),
    Column(_("联席会议日期"), lambda d: d.meeting.held_on if d.meeting else ""),
    Column(_("申报批次"), lambda d: (d.application or d.meeting).call.title),
    Column(_("状态"), lambda d: STATES(d.status)),
    Column(_("签发时间"), lambda d: d.created_at),
)
