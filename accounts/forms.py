from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.filters import PeriodForm
from workflows.widgets import DateInput

from .models import AccessEvent, AccessKind


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("验证码"),
        max_length=20,
        help_text=_("身份验证器应用显示的 6 位数字，或一个未用过的备用验证码。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class AccessLogFilter(PeriodForm):
    person = forms.CharField(label=_("人员（用户名）"), max_length=150, required=False)
    application = forms.CharField(
        label=_("申请（编号或国家课题编号）"), max_length=40, required=False
    )
    kind = forms.ChoiceField(
        label=_("事件"), choices=[("", _("全部")), *AccessKind.choices], required=False
    )
    since = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())

    def filter(self, events: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
        """The events that match the valid filters (all of them when none is given)."""
        data = self.cleaned_data
        if data.get("person"):
            events = events.filter(username=data["person"])
        if data.get("application"):
            value = data["application"].strip()
            match = Q(application__national_task_code=value)
            if value.isascii() and value.isdigit() and len(value) <= 18:
                match |= Q(application_id=int(value))
            events = events.filter(match)
        if data.get("kind"):
            events = events.filter(kind=data["kind"])
        if data.get("since"):
            events = events.filter(at__gte=_start_of(data["since"]))
        if data.get("until"):
            events = events.filter(at__lt=_start_of(data["until"] + datetime.timedelta(days=1)))
        return events


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
