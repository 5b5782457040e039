from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .drafts import EDITABLE_FIELDS
from .models import AttachmentKind, FundingApplication, FundingCall
from .widgets import DateInput

if TYPE_CHECKING:
    _ApplicationFormBase = forms.ModelForm[FundingApplication]
    _CallChoiceField = forms.ModelChoiceField[FundingCall]
else:  # Django's forms are not subscriptable at run time
    _ApplicationFormBase = forms.ModelForm


class ApplicationForm(_ApplicationFormBase):
    class Meta:
        model = FundingApplication
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
        }

    # The form's sections, in order: (legend, fields).
    SECTIONS = (
        (_("申报批次与专项"), ("call", "special_project")),
        (_("国家课题"), ("national_task_code", "title", "national_approval_number")),
        (
            _("资金"),
            (
                "national_funding",
                "own_funds",
                "other_local_funds",
                "requested_amount",
                "funding_form",
            ),
        ),
        (
            _("落地转化与实施期"),
            ("landing_district", "industrialised_in_beijing", "period_start", "period_end"),
        ),
        (_("预期成果"), ("expected_sales_revenue", "expected_patents", "expected_jobs", "summary")),
    )
    HELP = {
        "call": _("只列出尚在受理期内的批次。"),
        "special_project": _("选择课题所属的国家科技重大专项；申请由该专项的牵头部门受理。"),
        "national_task_code": _("国家下达的课题（任务）编号，如 2026ZX03001。"),
        "national_approval_number": _("国家批复文件的文号；并请在附件中上传该文件。"),
        "national_funding": _("以元为单位，可保留两位小数。"),
        "requested_amount": _("不得超过中央财政资金；审核时按配套资金政策测算建议金额。"),
        "industrialised_in_beijing": _("成果在北京转化和产业化的，优先支持。"),
        "period_end": _("须晚于实施期开始日期。"),
        "summary": _("简述研究内容、转化路径和预期效益，不超过 4000 字。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, text in self.HELP.items():
            if not self.fields[name].help_text:
                self.fields[name].help_text = text
        now = timezone.now()
        cast("_CallChoiceField", self.fields["call"]).queryset = FundingCall.objects.filter(
            closes_at__gte=now
        )

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.SECTIONS]


class ReasonForm(forms.Form):
    """A written reason, for the steps on the application page that take one (withdrawing)."""

    reason = forms.CharField(
        label=_("意见/理由"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("文件"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("文件不得超过 %(mb)d MB。") % {"mb": settings.ATTACHMENT_MAX_BYTES // 2**20}
            )
        return upload
