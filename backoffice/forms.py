from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.credit_code import validate_credit_code
from workflows.filters import PeriodForm
from workflows.models import District, FundingCall, OrganisationKind

from .models import ChangeAction, ConfigChange


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ConfigLogFilter(PeriodForm):
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


MAX_POLICY_BYTES = 256 * 1024
POLICY_SUFFIXES = (".yaml", ".yml", ".json")


class PolicyForm(forms.Form):
    """A policy document, uploaded as a file or pasted, and the call to try it on."""

    file = forms.FileField(
        label=_("政策文件（YAML 或 JSON）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(POLICY_SUFFIXES)}),
    )
    text = forms.CharField(
        label=_("或粘贴政策文本"),
        required=False,
        max_length=MAX_POLICY_BYTES,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )
    call = forms.ModelChoiceField(
        label=_("测算批次"),
        queryset=FundingCall.objects.all(),
        required=False,
        empty_label=_("所有有在审申请的批次"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload:
            if not upload.name.lower().endswith(POLICY_SUFFIXES):
                self.add_error("file", _("请上传 .yaml、.yml 或 .json 文件。"))
                return data
            if upload.size > MAX_POLICY_BYTES:
                self.add_error("file", _("政策文件不能超过 256 KB。"))
                return data
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", _("政策文件须为 UTF-8 编码的文本。"))
                return data
        if not (data.get("text") or "").strip():
            self.add_error("text", _("请上传政策文件或粘贴政策文本。"))
        return data


class ActingHeadForm(forms.Form):
    acting: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("代理人"), queryset=get_user_model()._default_manager.none()
    )
    starts_on = forms.DateField(
        label=_("代理开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("代理结束日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("事由"), max_length=200, required=False)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["acting"]).queryset = candidates


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    kind = forms.ChoiceField(label=_("单位类型"), choices=OrganisationKind.choices)
    district = forms.ModelChoiceField(
        label=_("所在区"), queryset=District.objects.filter(active=True)
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=18, validators=[validate_credit_code]
    )
    licence = forms.FileField(label=_("营业执照或法人证书（PDF 或图片）"))
    representative_name = forms.CharField(label=_("联系人姓名"), max_length=150)
    username = forms.CharField(label=_("登录用户名"), max_length=150)
    email = forms.EmailField(label=_("电子邮箱"))
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, min_length=12)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class RegistrationDecisionForm(forms.Form):
    registration = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("审核结论"), choices=[("approve", _("通过")), ("refuse", _("不予通过"))]
    )
    reason = forms.CharField(label=_("理由"), required=False, max_length=1000)


class StaffForm(forms.Form):
    username = forms.CharField(label=_("登录用户名"), max_length=150)
    name = forms.CharField(label=_("姓名"), max_length=150)
    email = forms.EmailField(label=_("电子邮箱"))
