"""Forms of the outcome stages. They parse what a person typed into the arguments of one
service; the rules (who may, how much, in which state) stay in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.districts import district_choices
from workflows.money import money_form_field

from .models import AcceptanceOutcome
from .reports import ReportFigures

COUNT_HELP = _("本报告期内的数量（不是累计数）。")


class ReportForm(forms.Form):
    """The applicant's report of one period: typed measures, each with what it means."""

    sales_revenue = money_form_field(_("新增销售收入（元）"), min_value=Decimal("0"))
    of_which_industrial = money_form_field(_("其中产业化项目收入（元）"), min_value=Decimal("0"))
    patents_filed = forms.IntegerField(
        label=_("专利申请数"), min_value=0, max_value=10_000_000, help_text=COUNT_HELP
    )
    patents_granted = forms.IntegerField(
        label=_("专利授权数"), min_value=0, max_value=10_000_000, help_text=COUNT_HELP
    )
    jobs = forms.IntegerField(
        label=_("新增就业（人）"), min_value=0, max_value=10_000_000, help_text=COUNT_HELP
    )
    district = forms.ChoiceField(
        label=_("成果落地区或园区"),
        choices=district_choices,
        help_text=_("成果转化落地的区；在京外落地请选择“京外”。"),
    )
    industrialised_in_beijing = forms.BooleanField(label=_("在京实现产业化"), required=False)
    narrative = forms.CharField(
        label=_("进展情况"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("同比增长由系统根据上年同期报告计算，无需填写。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sales_revenue"].help_text = _(
            "本报告期内新增的销售收入，单位：元，最多两位小数。"
        )
        self.fields["of_which_industrial"].help_text = _(
            "新增销售收入中来自产业化应用项目的部分，不超过新增销售收入。"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        revenue, industrial = data.get("sales_revenue"), data.get("of_which_industrial")
        if revenue is not None and industrial is not None and industrial > revenue:
            self.add_error("of_which_industrial", _("产业化项目收入不能超过新增销售收入。"))
        return data

    def figures(self) -> ReportFigures:
        return ReportFigures(**self.cleaned_data)


class ReportReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        widget=forms.RadioSelect,
        choices=(("accept", _("确认")), ("return", _("退回补充"))),
    )
    reason = forms.CharField(
        label=_("意见"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AcceptanceRequestForm(forms.Form):
    summary = forms.CharField(
        label=_("完成情况总结"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("任务书目标的完成情况、成果转化和产业化情况、配套资金使用情况。"),
    )


class AcceptanceOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("验收结论"), widget=forms.RadioSelect, choices=AcceptanceOutcome.choices
    )
    conditions = forms.CharField(
        label=_("整改条件"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("有条件通过验收时必填。"),
    )
    reason = forms.CharField(
        label=_("验收意见"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("未通过验收时必填。"),
    )


class AbandonForm(forms.Form):
    reason = forms.CharField(
        label=_("终止理由"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RecoveryAmountForm(forms.Form):
    amount = money_form_field(_("追回金额（元）"))
    reason = forms.CharField(
        label=_("联席会议意见"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RepaymentForm(forms.Form):
    amount = money_form_field(_("还款金额（元）"))
    paid_on = forms.DateField(label=_("到账日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("凭证号"), required=False, max_length=80)
