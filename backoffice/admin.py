"""The back office's lists: configuration that administrators change (every change logged),
and the decision path's records that everybody here only reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import AccessEventAdmin, ProgrammeUserAdmin
from accounts.models import AccessEvent
from approvals import budgets, expert_pool, meeting_schedule, rubric
from approvals.forms import meeting_people_from
from approvals.models import (
    DepartmentBudget,
    ExpertAssignment,
    ExpertDraw,
    ExpertField,
    ExpertProfile,
    MatchingPolicyVersion,
    Meeting,
    PoolBalance,
    RubricCriterion,
)
from documents.admin import DocumentAdmin
from documents.models import Document
from workflows.errors import DomainError
from workflows.models import (
    ActingHead,
    AttachmentKind,
    AuditEntry,
    Department,
    District,
    FundingApplication,
    FundingCall,
    Organisation,
    Profile,
    SpecialProject,
)

from .admin_base import LoggedAdmin, ReadOnlyAdmin
from .capabilities import summary_for
from .config_log import Snapshot, snapshot
from .models import ConfigChange

if TYPE_CHECKING:
    from workflows.actors import Actor

User = get_user_model()


# --- calls ----------------------------------------------------------------------------------


class RubricFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """The rubric's own rules (``approvals.rubric``): weights adding up to 100, distinct codes,
    frozen once a request is submitted to the call."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            if self.has_changed() and self.instance.pk is not None:
                rubric.ensure_rubric_open(self.instance)
            if rows:
                rubric.check_rubric(rows)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc


class RubricInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RubricCriterion
    formset = RubricFormSet
    extra = 0
    fields = ("position", "code", "name", "name_en", "weight")
    verbose_name = _("评分项")
    verbose_name_plural = _("评分标准（权重之和为100；不设则用默认四项）")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.has_submissions()

    has_change_permission = has_add_permission
    has_delete_permission = has_add_permission


class FundingCallForm(forms.ModelForm):  # type: ignore[type-arg]
    required_attachment_kinds = forms.MultipleChoiceField(
        label=_("必须上传的材料"),
        choices=AttachmentKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("申请提交前必须上传的材料类型；有申请提交后不可再改。"),
    )

    class Meta:
        model = FundingCall
        fields = (
            "year",
            "title",
            "special_projects",
            "opens_at",
            "closes_at",
            "total_budget",
            "lead_days",
            "group_days",
            "meeting_days",
            "escalate_after_days",
            "experts_required",
            "required_attachment_kinds",
        )


@admin.register(FundingCall)
class FundingCallAdmin(LoggedAdmin):
    form = FundingCallForm
    list_display = ("title", "year", "opens_at", "closes_at", "total_budget", "experts_required")
    list_filter = ("year", "special_projects")
    search_fields = ("title",)
    filter_horizontal = ("special_projects",)
    inlines = (RubricInline,)
    fieldsets = (
        (None, {"fields": ("year", "title", "special_projects")}),
        (_("受理时间与预算"), {"fields": ("opens_at", "closes_at", "total_budget")}),
        (
            _("办理时限"),
            {"fields": ("lead_days", "group_days", "meeting_days", "escalate_after_days")},
        ),
        (_("评审与材料"), {"fields": ("experts_required", "required_attachment_kinds")}),
    )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The rubric is set through its service (``approvals.rubric.set_rubric``)."""
        if formset.model is not RubricCriterion:
            super().save_formset(request, form, formset, change)
            return
        # What the admin's own history message reads; the configuration log has the details.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not formset.has_changed():
            return
        rows = [
            f.cleaned_data
            for f in sorted(formset.forms, key=lambda f: f.cleaned_data.get("position") or 0)
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if rows:
            rubric.set_rubric(
                call_id=form.instance.pk, actor=cast("Actor", request.user), criteria=rows
            )
        else:
            formset.save()

    def snapshot(self, obj: models.Model) -> Snapshot:
        values = snapshot(obj)
        values["rubric"] = [
            f"{c.code}:{c.name}:{c.weight}"
            for c in RubricCriterion.objects.filter(call_id=obj.pk).order_by("position", "id")
        ]
        return values


# --- special projects, departments, organisations --------------------------------------------


@admin.register(District)
class DistrictAdmin(LoggedAdmin):
    list_display = ("name", "code", "kind", "counted_as", "active", "position")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "name_en")


@admin.register(Department)
class DepartmentAdmin(LoggedAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")


class DepartmentBudgetForm(forms.ModelForm):  # type: ignore[type-arg]
    """A department of the policies' pools, a year and an amount, checked by the budgets' own
    rules (``approvals.budgets.check_yearly_budget``)."""

    department_code = forms.ChoiceField(label=_("出资部门"))

    class Meta:
        model = DepartmentBudget
        fields = ("department_code", "year", "amount")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ChoiceField", self.fields["department_code"])
        field.choices = [
            (code, f"{name}（{code}）") for code, name in budgets.pool_departments().items()
        ]
        if self.instance.pk is not None:
            # The department and year of a row stay; a new year is a new row.
            for name in ("department_code", "year"):
                self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            budgets.check_yearly_budget(
                department_code=data["department_code"], year=data["year"], amount=data["amount"]
            )
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        return data


@admin.register(DepartmentBudget)
class DepartmentBudgetAdmin(LoggedAdmin):
    """Each funding department's pooled budget per year; where none is set for a call's year
    the policy file's budget applies. Set through ``approvals.budgets`` (the pools already drawn
    on follow); never deleted, as meetings may have drawn on it."""

    form = DepartmentBudgetForm
    list_display = ("year", "department_name", "department_code", "amount", "updated_at")
    list_filter = ("year", "department_name")
    search_fields = ("department_code", "department_name")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def write(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        stored = budgets.set_yearly_budget(
            actor=cast("Actor", request.user),
            department_code=data["department_code"],
            year=data["year"],
            amount=data["amount"],
        )
        obj.pk = stored.pk
        obj.refresh_from_db()


@admin.register(SpecialProject)
class SpecialProjectAdmin(LoggedAdmin):
    list_display = ("code", "name", "lead_department")
    list_filter = ("lead_department",)
    search_fields = ("code", "name", "name_en")
    list_select_related = ("lead_department",)


class MemberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Profile
    fk_name = "organisation"
    fields = ("user", "role", "is_head")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("单位用户")
    verbose_name_plural = _("单位用户")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(Organisation)
class OrganisationAdmin(LoggedAdmin):
    list_display = ("name", "kind", "district", "credit_code")
    list_filter = ("kind", "district")
    search_fields = ("name", "credit_code")
    inlines = (MemberInline,)


# --- people and roles ---------------------------------------------------------------------


class ProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Profile
    can_delete = False
    max_num = 1
    min_num = 1
    fields = ("role", "department", "organisation", "is_head")
    verbose_name = _("角色与所属")
    verbose_name_plural = _("角色与所属")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(LoggedAdmin, ProgrammeUserAdmin):
    """One page to create a person, give the role, tier, department or organisation, and see
    what the role may do on the review path."""

    inlines = (ProfileInline,)
    list_display = ("username", "last_name", "first_name", "role", "organisation", "is_active")
    list_filter = ("profile__role", "profile__department", "profile__is_head", "is_active")
    search_fields = ("username", "first_name", "last_name", "email", "profile__organisation__name")
    list_select_related = ("profile__organisation",)
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "last_name",
                    "first_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("last_name", "first_name", "email")}),
        (_("可执行的操作"), {"fields": ("may_do",)}),
        (_("状态"), {"fields": ("is_active", "last_login", "date_joined")}),
        (
            _("后台权限"),
            {"classes": ("collapse",), "fields": ("is_staff", "is_superuser", "groups")},
        ),
    )
    readonly_fields = ("may_do", "last_login", "date_joined")

    @admin.display(description=_("角色"))
    def role(self, user: Any) -> str:
        profile = getattr(user, "profile", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description=_("所属单位"))
    def organisation(self, user: Any) -> str:
        profile = getattr(user, "profile", None)
        return str(profile.organisation) if profile and profile.organisation else ""

    @admin.display(description=_("按其角色可执行"))
    def may_do(self, user: Any) -> str:
        profile = getattr(user, "profile", None)
        return summary_for(profile.role if profile else None)

    def snapshot(self, obj: models.Model) -> Snapshot:
        values = snapshot(obj, exclude=("password", "last_login"))
        profile = Profile.objects.filter(user_id=obj.pk).first()
        values["profile"] = snapshot(profile) if profile else None
        return values


# --- read-only: the decision path's own records --------------------------------------------


@admin.register(FundingApplication)
class FundingApplicationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "title", "organisation", "call", "special_project", "status")
    list_filter = ("status", "call", "special_project", "funding_form")
    search_fields = ("title", "national_task_code", "organisation__name")
    list_select_related = ("organisation", "call", "special_project")
    exclude = ("review_process",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "application_id", "transition", "source", "target", "actor_name")
    list_filter = ("transition", "tier", "actor_role")
    search_fields = ("actor_name", "reason", "application__title")
    date_hierarchy = "at"


class MeetingAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """A planned meeting's kind, date, place and people, checked by the meeting's own rules
    (``approvals.meeting_schedule``)."""

    class Meta:
        model = Meeting
        fields = ("kind", "held_on", "place", "chair", "chair_person", "attendees", "observers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = meeting_schedule.meeting_people()
        for name in ("chair_person", "attendees", "observers"):
            if name in self.fields:
                cast("Any", self.fields[name]).queryset = people
        if "chair" in self.fields:
            self.fields["chair"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            self.people = meeting_people_from(data)
        return data


@admin.register(Meeting)
class MeetingAdmin(LoggedAdmin):
    """Meetings are created by the secretariat on the meetings page; here administrators change
    a planned meeting's kind, date, place, chair and people (every change logged). A resolved
    meeting is read only: its minutes name who was there."""

    form = MeetingAdminForm
    list_display = ("held_on", "kind", "place", "chair", "call", "state")
    list_filter = ("state", "kind", "call")
    search_fields = ("place", "chair")
    list_select_related = ("call",)
    filter_horizontal = ("attendees", "observers")
    readonly_fields = ("call", "state")
    fields = (
        "call",
        "state",
        "kind",
        "held_on",
        "place",
        "chair_person",
        "chair",
        "attendees",
        "observers",
    )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        planned = obj is None or obj.state == Meeting.State.PLANNED
        return planned and super().has_change_permission(request, obj)

    def write(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Through the meeting's service, not a plain save."""
        data = form.cleaned_data
        meeting_schedule.update_meeting(
            meeting_id=obj.pk,
            actor=cast("Actor", request.user),
            held_on=data["held_on"],
            place=data["place"],
            kind=data["kind"],
            people=form.people,
        )
        obj.refresh_from_db()


@admin.register(MatchingPolicyVersion)
class MatchingPolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("name", "version", "effective_from", "effective_to", "active", "used_at")
    list_filter = ("active",)
    search_fields = ("name", "version")


@admin.register(PoolBalance)
class PoolBalanceAdmin(ReadOnlyAdmin):
    list_display = ("call", "department_name", "budget", "balance", "policy")
    list_filter = ("call", "department_code")
    search_fields = ("department_name", "department_code")


# --- the expert pool -------------------------------------------------------------------------


@admin.register(ExpertField)
class ExpertFieldAdmin(LoggedAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")


@admin.register(ExpertProfile)
class ExpertProfileAdmin(LoggedAdmin):
    list_display = ("user", "affiliation", "affiliation_group", "open_workload")
    list_filter = ("fields", "affiliation_group")
    search_fields = ("user__username", "user__last_name", "affiliation", "affiliation_group")
    filter_horizontal = ("fields",)
    autocomplete_fields = ("user",)
    readonly_fields = ("history",)

    @admin.display(description=_("在办评审任务"))
    def open_workload(self, profile: ExpertProfile) -> int:
        return ExpertAssignment.objects.filter(
            expert_id=profile.user_id, state__in=expert_pool.OPEN_WORK
        ).count()

    @admin.display(description=_("评审经历"))
    def history(self, profile: ExpertProfile) -> str:
        rows = expert_pool.assignment_history(profile.user)[:50]
        return (
            "；".join(
                f"{a.assigned_at:%Y-%m-%d} {a.application} ({a.get_state_display()})" for a in rows
            )
            or "—"
        )


@admin.register(ExpertDraw)
class ExpertDrawAdmin(ReadOnlyAdmin):
    list_display = ("at", "application", "drawn_by", "seed", "count", "replays")
    search_fields = ("seed", "application__title")
    date_hierarchy = "at"

    @admin.display(boolean=True, description=_("可复现"))
    def replays(self, draw: ExpertDraw) -> bool:
        return expert_pool.replay_draw(draw)


@admin.register(ActingHead)
class ActingHeadAdmin(ReadOnlyAdmin):
    list_display = ("head", "acting", "starts_on", "ends_on", "ended_on", "reason", "named_at")
    search_fields = ("head__username", "acting__username", "reason")
    date_hierarchy = "starts_on"
    list_select_related = ("head", "acting", "ending")

    @admin.display(description=_("提前终止于"))
    def ended_on(self, appointment: ActingHead) -> Any:
        ending = getattr(appointment, "ending", None)
        return ending.ended_on if ending else "—"


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "model_name", "object_repr")
    list_filter = ("action", "model_name")
    search_fields = ("actor_name", "object_repr", "object_id")
    date_hierarchy = "at"


admin.site.unregister(Document)
admin.site.unregister(AccessEvent)


@admin.register(Document)
class BackOfficeDocumentAdmin(ReadOnlyAdmin, DocumentAdmin):
    pass


@admin.register(AccessEvent)
class BackOfficeAccessEventAdmin(ReadOnlyAdmin, AccessEventAdmin):
    pass
