"""The forms of the stages after the approval; they parse, the services decide."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflows.money import money_form_field

from .agreements import Milestone, Target, Terms, TrancheTerms
from .models import EquityHolding, Tranche


class ObjectionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("异议人（单位或个人）"), max_length=100)
    contact = forms.CharField(label=gettext_lazy("联系方式"), max_length=200)
    grounds = forms.CharField(
        label=gettext_lazy("异议事实和理由"), max_length=4000, widget=forms.Textarea
    )
    attachment = forms.FileField(label=gettext_lazy("证明材料（可选）"), required=False)


class ResolutionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("核查结论"),
        choices=[("dismiss", gettext_lazy("异议不成立")), ("uphold", gettext_lazy("异议成立"))],
    )
    resolution = forms.CharField(
        label=gettext_lazy("核查意见"), max_length=4000, widget=forms.Textarea
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_milestones(text: str) -> list[Milestone]:
    """One milestone a line: its date (YYYY-MM-DD), a space, its title."""
    milestones = []
    for line in _lines(text):
        day, _sep, title = line.partition(" ")
        try:
            due_on = datetime.date.fromisoformat(day)
        except ValueError as exc:
            raise forms.ValidationError(_("每行以日期（YYYY-MM-DD）开头：%s") % line) from exc
        milestones.append(Milestone(title.strip(), due_on))
    return milestones


class AgreementForm(forms.Form):
    """The terms the lead department may change: the amount within the approval, its equity
    part, the milestones, the tranches' shares, and the outcome targets of each reporting period
    (one row of fields per period; the periods themselves are the reports')."""

    TARGET_MEASURES = (
        ("sales_revenue", gettext_lazy("新增销售收入(元)"), True),
        ("of_which_industrial", gettext_lazy("其中产业化项目(元)"), True),
        ("patents_filed", gettext_lazy("专利申请"), False),
        ("patents_granted", gettext_lazy("专利授权"), False),
        ("jobs", gettext_lazy("新增就业"), False),
    )

    amount = money_form_field(gettext_lazy("协议金额(元)"))
    equity_amount = money_form_field(
        gettext_lazy("其中股权投资(元)"), required=False, min_value=Decimal(0)
    )
    milestones = forms.CharField(
        label=gettext_lazy("实施节点"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("每行一个：日期（YYYY-MM-DD）空格 节点名称。"),
    )
    share_on_signing = forms.DecimalField(
        label=gettext_lazy("协议签订后拨付(%)"), max_digits=5, decimal_places=2, min_value=0
    )
    share_on_accepted_report = forms.DecimalField(
        label=gettext_lazy("进展报告通过后拨付(%)"), max_digits=5, decimal_places=2, min_value=0
    )
    share_on_completion = forms.DecimalField(
        label=gettext_lazy("通过验收后拨付(%)"), max_digits=5, decimal_places=2, min_value=0
    )

    def __init__(self, *args: Any, periods: Sequence[Target] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periods = list(periods)
        for i, period in enumerate(self.periods, 1):
            span = f"{period.start.isoformat()} – {period.end.isoformat()}"
            for code, label, money in self.TARGET_MEASURES:
                name = gettext_lazy("第%(n)s期（%(span)s）%(measure)s")
                field_label = name % {"n": i, "span": span, "measure": label}
                self.fields[f"target_{i}_{code}"] = (
                    money_form_field(field_label, min_value=Decimal(0))
                    if money
                    else forms.IntegerField(label=field_label, min_value=0, max_value=10_000_000)
                )

    def clean_milestones(self) -> list[Milestone]:
        return parse_milestones(self.cleaned_data["milestones"])

    def targets(self) -> tuple[Target, ...]:
        data = self.cleaned_data
        return tuple(
            Target(
                period.start,
                period.end,
                *(data[f"target_{i}_{code}"] for code, _label, _money in self.TARGET_MEASURES),
            )
            for i, period in enumerate(self.periods, 1)
        )

    def tranche_terms(self) -> list[TrancheTerms]:
        return [
            TrancheTerms(self.cleaned_data[f"share_{condition}"], condition)
            for condition in Tranche.Condition.values
            if self.cleaned_data[f"share_{condition}"]
        ]

    def terms(self, proposed: Terms) -> Terms:
        data = self.cleaned_data
        return Terms(
            amount=data["amount"],
            equity_amount=data["equity_amount"] or Decimal(0),
            milestones=tuple(data["milestones"]),
            targets=self.targets() if self.periods else proposed.targets,
            tranches=tuple(self.tranche_terms()),
        )

    @staticmethod
    def initial_for(terms: Terms) -> dict[str, Any]:
        return {
            "amount": terms.amount,
            "equity_amount": terms.equity_amount,
            "milestones": "\n".join(f"{m.due_on.isoformat()} {m.title}" for m in terms.milestones),
            **{f"share_{c}": Decimal(0) for c in Tranche.Condition.values},
            **{f"share_{t.condition}": t.share for t in terms.tranches},
            **{
                f"target_{i}_{code}": getattr(t, code)
                for i, t in enumerate(terms.targets, 1)
                for code, _label, _money in AgreementForm.TARGET_MEASURES
            },
        }


class AmendmentForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("变更内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    milestones = forms.CharField(
        label=gettext_lazy("变更后的实施节点"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一个：日期（YYYY-MM-DD）空格 节点名称；留空则节点不变。"),
    )

    def clean_milestones(self) -> list[Milestone]:
        return parse_milestones(self.cleaned_data["milestones"])


class EquityForm(forms.Form):
    investing_body = forms.CharField(label=gettext_lazy("出资主体"), max_length=200)
    amount = money_form_field(gettext_lazy("投资金额(元)"))
    share = forms.DecimalField(
        label=gettext_lazy("持股比例(%)"), max_digits=5, decimal_places=2, min_value=Decimal("0.01")
    )
    valuation = money_form_field(gettext_lazy("投后估值(元)"))
    invested_on = forms.DateField(label=gettext_lazy("投资日期"))


class EquityExitForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("退出方式"), choices=EquityHolding.Exit.choices)
    exited_on = forms.DateField(label=gettext_lazy("退出日期"))
    proceeds = money_form_field(gettext_lazy("收回金额(元)"), min_value=Decimal(0))
