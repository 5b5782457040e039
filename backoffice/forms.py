from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ChangeAction, ConfigChange


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ConfigLogFilter(forms.Form):
    person = forms.CharField(label=_("操作人（用户名）"), max_length=150, required=False)
    subject = forms.CharField(label=_("对象（名称或编号）"), max_length=100, required=False)
    action = forms.ChoiceField(
        label=_("操作"), choices=[("", _("全部")), *ChangeAction.choices], required=False
    )
    since = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return data

    def filter(self, changes: QuerySet[ConfigChange]) -> QuerySet[ConfigChange]:
        data = self.cleaned_data
        if data.get("person"):
            changes = changes.filter(actor_name=data["person"])
        if data.get("subject"):
            subject = data["subject"].strip()
            changes = changes.filter(object_repr__icontains=subject) | changes.filter(
                object_id=subject
            )
        if data.get("action"):
            changes = changes.filter(action=data["action"])
        if data.get("since"):
            changes = changes.filter(at__gte=_start_of(data["since"]))
        if data.get("until"):
            changes = changes.filter(at__lt=_start_of(data["until"] + datetime.timedelta(days=1)))
        return changes
