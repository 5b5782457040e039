"""Forms of the review tiers. They parse what a reviewer typed into the arguments of one service;
the rules themselves (who may, how much, in which state) stay in the services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from workflows.errors import InvalidInput
from workflows.models import FundingCall
from workflows.money import LIMIT_HELP, money_form_field
from workflows.names import person_name
from workflows.widgets import DateInput

from .meeting_schedule import MeetingPeople, check_meeting_people, meeting_people
from .meetings import Resolution
from .models import AgendaItem, CheckItem, ExpertField, Meeting
from .rubric import Criterion

YES_NO = (("yes", _("通过")), ("no", _("未通过")))


if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    _UserChoiceField = forms.ModelChoiceField[Any]
    _UsersChoiceField = forms.ModelMultipleChoiceField[Any]
else:  # Django's form fields are not subscriptable at run time
    _UserChoiceField = forms.ModelChoiceField
    _UsersChoiceField = forms.ModelMultipleChoiceField


class ExpertChoiceField(_UserChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return cast(str, obj.get_full_name() or obj.get_username())


class ExpertsChoiceField(_UsersChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return cast(str, obj.get_full_name() or obj.get_username())


# --- tier 1 ---------------------------------------------------------------------------------


class FormalCheckForm(forms.Form):
    """The lead department's formal check list (one row per item) and its decision."""

    decision = forms.ChoiceField(
        label=_("审查结论"),
        widget=forms.RadioSelect,
        choices=(
            ("accept", _("受理，提交审核工作小组")),
            ("return", pgettext_lazy("decision", "退回修改")),
            ("reject", pgettext_lazy("decision", "不予支持")),
        ),
    )
    reason = forms.CharField(
        label=_("意见"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(
        label=_("不予支持时请确认：该决定一经记录不能撤销"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in CheckItem:
            # No item starts decided: the officer decides each one (a form error otherwise).
            self.fields[f"passed_{item.value}"] = forms.ChoiceField(
                label=item.label,
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": _("请对本项作出审查结论。")},
            )
            self.fields[f"note_{item.value}"] = forms.CharField(
                label=_("%(item)s · 说明") % {"item": item.label}, required=False, max_length=1000
            )

    @property
    def rows(self) -> list[tuple[StrOrPromise, forms.BoundField, forms.BoundField]]:
        return [
            (item.label, self[f"passed_{item.value}"], self[f"note_{item.value}"])
            for item in CheckItem
        ]

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("decision") == "reject" and not data.get("confirm"):
            self.add_error("confirm", _("不予支持不能撤销，请勾选确认。"))
        if data.get("decision") == "return":
            for item in CheckItem:
                if (
                    data.get(f"passed_{item.value}") == "no"
                    and not data.get(f"note_{item.value}", "").strip()
                ):
                    self.add_error(
                        f"note_{item.value}", _("退回修改时，请说明未通过项需要如何修改。")
                    )
        return data

    def items(self) -> dict[str, dict[str, Any]]:
        return {
            item.value: {
                "passed": self.cleaned_data[f"passed_{item.value}"] == "yes",
                "note": self.cleaned_data[f"note_{item.value}"].strip(),
            }
            for item in CheckItem
        }


# --- tier 2 ---------------------------------------------------------------------------------


class AssignExpertsForm(forms.Form):
    experts = ExpertsChoiceField(
        label=_("评审专家"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("ExpertsChoiceField", self.fields["experts"]).queryset = (
            get_user_model()
            .objects.filter(pk__in=[c.pk for c in candidates])
            .order_by("first_name", "username")
        )


class DeclarationForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("利益冲突声明"),
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
        choices=(
            ("no", _("本人与该申请及申报单位不存在利益冲突")),
            ("yes", _("本人存在利益冲突，申请回避")),
        ),
    )
    reason = forms.CharField(
        label=_("利益冲突情形"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("conflict") and not data.get("reason", "").strip():
            self.add_error("reason", _("请说明利益冲突的情形。"))
        return data


class ScoreForm(forms.Form):
    """One row per criterion of the call's rubric: a score from 0 to 100 and a comment."""

    def __init__(self, *args: Any, rubric: Sequence[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        for criterion in rubric:
            self.fields[f"score_{criterion.code}"] = forms.IntegerField(
                label=criterion.name,
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
            )
            self.fields[f"comment_{criterion.code}"] = forms.CharField(
                label=_("评语"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )

    @property
    def rows(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.code}"], self[f"comment_{c.code}"]) for c in self.rubric]

    def scores(self) -> dict[str, tuple[int, str]]:
        return {
            c.code: (self.cleaned_data[f"score_{c.code}"], self.cleaned_data[f"comment_{c.code}"])
            for c in self.rubric
        }


class ReplaceExpertForm(forms.Form):
    expert = ExpertChoiceField(label=_("改派给"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("ExpertChoiceField", self.fields["expert"]).queryset = (
            get_user_model()
            .objects.filter(pk__in=[c.pk for c in candidates])
            .order_by("first_name", "username")
        )


class RecommendationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核工作小组意见"),
        widget=forms.RadioSelect,
        choices=(
            ("recommend", _("建议支持，提交联席会议")),
            ("return", pgettext_lazy("decision", "退回修改")),
            ("reject", pgettext_lazy("decision", "不予推荐")),
        ),
    )
    amount = money_form_field(_("建议配套金额(元)"), required=False)
    amount.help_text = format_lazy("{}{}", _("留空即采用按配套资金政策测算的金额。"), LIMIT_HELP)
    reason = forms.CharField(
        label=_("意见/理由"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("不予推荐时请确认：该决定一经记录不能撤销"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("decision") == "reject" and not data.get("confirm"):
            self.add_error("confirm", _("不予推荐不能撤销，请勾选确认。"))
        if data.get("decision") != "recommend":
            data["amount"] = None
        return data


# --- tier 3 ---------------------------------------------------------------------------------


class PersonChoiceField(_UserChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        profile = getattr(obj, "profile", None)
        role = f"（{profile.get_role_display()}）" if profile else ""
        return person_name(obj) + role


class PeopleChoiceField(_UsersChoiceField):
    label_from_instance = PersonChoiceField.label_from_instance


def meeting_people_from(data: dict[str, Any]) -> MeetingPeople:
    """The people a meeting's form names, checked by ``check_meeting_people`` (its refusal
    as the form's error)."""
    chair = data.get("chair_person")
    try:
        return check_meeting_people(
            chair=data.get("chair") or "",
            chair_id=chair.pk if chair else None,
            attendee_ids=[u.pk for u in data.get("attendees", [])],
            observer_ids=[u.pk for u in data.get("observers", [])],
        )
    except InvalidInput as exc:
        raise forms.ValidationError(str(exc.message)) from exc


class MeetingDetailsForm(forms.Form):
    """A meeting's kind, date, place and people (``meeting_schedule.check_meeting_people``)."""

    kind = forms.TypedChoiceField(
        label=_("会议类型"),
        choices=Meeting.Kind.choices,
        required=False,
        empty_value=Meeting.Kind.PLENARY,
        initial=Meeting.Kind.PLENARY,
    )
    held_on = forms.DateField(label=_("会议日期"), widget=DateInput())
    place = forms.CharField(label=_("地点"), max_length=200)
    chair_person = PersonChoiceField(
        label=_("主持人账号"),
        queryset=get_user_model()._default_manager.none(),
        required=False,
        help_text=_("主持人在本系统有账号时选择；纪要印其姓名。"),
    )
    chair = forms.CharField(
        label=_("主持人"),
        max_length=100,
        required=False,
        help_text=_("纪要所印的主持人姓名或职务；选择了账号时可不填。"),
    )
    attendees = PeopleChoiceField(
        label=_("出席人员"), queryset=get_user_model()._default_manager.none(), required=False
    )
    observers = PeopleChoiceField(
        label=_("列席人员"), queryset=get_user_model()._default_manager.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = meeting_people()
        for name in ("chair_person", "attendees", "observers"):
            cast("Any", self.fields[name]).queryset = people

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if not self.errors:
            self.people = meeting_people_from(data)
        return data

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict[str, Any]:
        return {
            "kind": meeting.kind,
            "held_on": meeting.held_on,
            "place": meeting.place,
            "chair": meeting.chair,
            "chair_person": meeting.chair_person_id,
            "attendees": list(meeting.attendees.values_list("pk", flat=True)),
            "observers": list(meeting.observers.values_list("pk", flat=True)),
        }


class MeetingForm(MeetingDetailsForm):
    call = forms.ModelChoiceField(label=_("申报批次"), queryset=FundingCall.objects.all())

    field_order = ("call", "kind", "held_on", "place", "chair_person", "chair")


class BatchConfirmForm(forms.Form):
    """The confirmation asked before the whole agenda is approved as the group recommended."""

    confirm = forms.BooleanField(
        label=_("确认全部按审核工作小组建议金额批准（记录后不能撤销）"),
        error_messages={"required": _("请勾选确认后再按建议全部批准。")},
    )


class ResolutionsForm(forms.Form):
    """The joint meeting's resolutions on its whole agenda, one row per item."""

    DECISIONS = (
        ("", _("—请选择—")),
        ("approve", pgettext_lazy("decision", "批准")),
        ("reject", pgettext_lazy("decision", "不予支持")),
        ("defer", pgettext_lazy("decision", "暂缓")),
        ("return", pgettext_lazy("decision", "退回修改")),
    )

    def __init__(self, *args: Any, items: list[AgendaItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            pk = item.application_id
            self.fields[f"decision_{pk}"] = forms.ChoiceField(
                label=_("决议"), choices=self.DECISIONS
            )
            self.fields[f"amount_{pk}"] = money_form_field(
                _("批准金额(元)"), required=False, initial=item.recommended_amount
            )
            self.fields[f"reason_{pk}"] = forms.CharField(
                label=_("理由"),
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 1}),
            )

        self.fields["confirm"] = forms.BooleanField(
            label=_("我已核对以上决议，确认一并记录（记录后不能撤销）"),
            error_messages={"required": _("请确认后再记录决议。")},
        )

    def row(self, item: AgendaItem) -> tuple[forms.BoundField, ...]:
        pk = item.application_id
        return self[f"decision_{pk}"], self[f"amount_{pk}"], self[f"reason_{pk}"]

    def resolutions(self) -> list[Resolution]:
        data = self.cleaned_data
        return [
            Resolution(
                application_id=item.application_id,
                decision=data[f"decision_{item.application_id}"],
                amount=(
                    data[f"amount_{item.application_id}"]
                    if data[f"decision_{item.application_id}"] == "approve"
                    else None
                ),
                reason=data[f"reason_{item.application_id}"].strip(),
            )
            for item in self.items
        ]


class ExpertDrawForm(forms.Form):
    """The chair's filter on the pool and the random draw from it."""

    expertise = forms.ModelMultipleChoiceField(
        label=_("专业领域"),
        queryset=ExpertField.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    count = forms.IntegerField(label=_("抽取人数"), min_value=1, max_value=50, required=False)
