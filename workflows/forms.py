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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = timezone.now()
        cast("_CallChoiceField", self.fields["call"]).queryset = FundingCall.objects.filter(
            closes_at__gte=now
        )


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
