"""The list of joint meetings: its filters (django-filter) and columns (django-tables2)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from workflows.exports import ChoiceLabels, Column
from workflows.models import FundingCall
from workflows.tables import ListTable

from .models import Meeting

DATE = {"type": "date"}


class MeetingFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("搜索（地点、主持人）"), method="search")
    call = django_filters.ModelChoiceFilter(label=_("申报批次"), queryset=FundingCall.objects.all())
    state = django_filters.ChoiceFilter(label=_("状态"), choices=Meeting.State.choices)
    since = django_filters.DateFilter(
        label=_("会议日期起"), field_name="held_on", lookup_expr="gte", widget=forms.DateInput(DATE)
    )
    until = django_filters.DateFilter(
        label=_("会议日期止"), field_name="held_on", lookup_expr="lte", widget=forms.DateInput(DATE)
    )

    class Meta:
        model = Meeting
        fields = ["q", "call", "state"]

    def search(self, rows: QuerySet[Meeting], name: str, value: str) -> Any:
        for word in value.split()[:5]:
            rows = rows.filter(Q(place__icontains=word) | Q(chair__icontains=word))
        return rows


class MeetingTable(ListTable):
    held_on = tables.DateColumn(verbose_name=_("会议日期"), format="Y-m-d")
    call = tables.Column(verbose_name=_("申报批次"), accessor="call__title", orderable=False)
    place = tables.Column(verbose_name=_("地点"))
    chair = tables.Column(verbose_name=_("主持人"), orderable=False)
    item_count = tables.Column(
        verbose_name=_("议程项数"), orderable=False, attrs={"td": {"class": "num"}}
    )
    state = tables.Column(verbose_name=_("状态"), orderable=False)

    sorts = {"held_on": "held_on", "place": "place"}
    default_sort = "-held_on"
    body_template = "approvals/_meetings_rows.html"

    class Meta(ListTable.Meta):
        empty_text = _("暂无会议。")


MEETING_STATES = ChoiceLabels(Meeting.State.choices)
MEETING_EXPORT = (
    Column(_("会议日期"), lambda m: m.held_on),
    Column(_("申报批次"), lambda m: m.call.title),
    Column(_("地点"), lambda m: m.place),
    Column(_("主持人"), lambda m: m.chair),
    Column(_("议程项数"), lambda m: m.item_count),
    Column(_("状态"), lambda m: MEETING_STATES(m.state)),
)
