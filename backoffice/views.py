"""The configuration log's page: auditors and administrators read who changed what, when, and
the values before and after."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from approvals.models import MatchingPolicyVersion
from approvals.policy import PolicyValidationError
from workflows import access, acting
from workflows.errors import DomainError
from workflows.models import ActingHead

from . import registration
from .forms import (
    ActingHeadForm,
    ConfigLogFilter,
    PolicyForm,
    RegistrationDecisionForm,
    RegistrationForm,
    StaffForm,
)
from .models import ConfigChange, OrganisationRegistration
from .policies import PolicyCheck, activate_policy, check_policy

if TYPE_CHECKING:
    from workflows.actors import Actor


@login_required
def config_log(request: HttpRequest) -> HttpResponse:
    """Every configuration change, newest first, filtered by object type, person and period."""
    if not access.may_read_configuration(request.user):
        raise PermissionDenied
    form = ConfigLogFilter(request.GET or None)
    changes: QuerySet[ConfigChange] = ConfigChange.objects.all()
    if form.is_bound:
        changes = form.filter(changes) if form.is_valid() else changes.none()
    page = Paginator(changes, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/config_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
def policies(request: HttpRequest) -> HttpResponse:
    """Check a policy document (every problem by rule and field), see the what-if beside the
    policy in force, then activate it for the period it states."""
    if not access.may_configure(request.user):
        raise PermissionDenied
    form = PolicyForm(request.POST or None, request.FILES or None)
    checked = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        if request.POST.get("activate"):
            try:
                loaded = activate_policy(text=text, actor=cast("Actor", request.user))
            except PolicyValidationError as exc:
                checked = PolicyCheck(tuple(exc.problems), None, ())
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    gettext("政策 %(policy)s 已启用，生效期 %(period)s。")
                    % {"policy": loaded.record, "period": _period(loaded.record)},
                )
                return redirect("backoffice-policies")
        else:
            checked = check_policy(text=text, call=form.cleaned_data["call"])
        form = PolicyForm(initial={"text": text, "call": form.cleaned_data["call"]})
    return render(
        request,
        "backoffice/policies.html",
        {
            "form": form,
            "checked": checked,
            "versions": MatchingPolicyVersion.objects.order_by("-effective_from", "-pk")[:50],
        },
    )


def _period(record: MatchingPolicyVersion) -> str:
    return f"{record.effective_from} – {record.effective_to or '…'}"


@login_required
def acting_heads(request: HttpRequest) -> HttpResponse:
    """A head names who acts for them during an absence, and sees whom they named."""
    actor = cast("Actor", request.user)
    if not acting.is_head(actor):
        raise PermissionDenied
    form = ActingHeadForm(request.POST or None, candidates=acting.candidates_for(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            named = acting.name_acting_head(
                actor=actor,
                acting_id=data["acting"].pk,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                gettext("已指定 %(acting)s 于 %(start)s 至 %(end)s 代理。")
                % {"acting": named.acting, "start": named.starts_on, "end": named.ends_on},
            )
            return redirect("acting-heads")
    named_by_me = ActingHead.objects.filter(head=actor).select_related("acting", "ending")
    return render(
        request,
        "backoffice/acting_heads.html",
        {"form": form, "named": named_by_me, "today": timezone.localdate()},
    )


@login_required
@require_POST
def acting_head_end(request: HttpRequest, pk: int) -> HttpResponse:
    """The head ends an acting period early (the naming itself stays as it was)."""
    actor = cast("Actor", request.user)
    if not acting.is_head(actor):
        raise PermissionDenied
    try:
        ending = acting.end_acting_head(actor=actor, appointment_id=pk)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            gettext("%(acting)s 自 %(day)s 起不再代理。")
            % {"acting": ending.appointment.acting, "day": ending.ended_on},
        )
    return redirect("acting-heads")


# --- organisations register themselves ------------------------------------------------------


def register(request: HttpRequest) -> HttpResponse:
    """The public registration page: credit code, licence and the representative's account."""
    form = RegistrationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.register_organisation(
                data=form.cleaned_data, licence=form.cleaned_data["licence"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            return render(request, "backoffice/registered.html", status=201)
    return render(request, "backoffice/register.html", {"form": form})


@login_required
def registrations(request: HttpRequest) -> HttpResponse:
    """Administrators approve or refuse (with a reason) the registrations waiting."""
    if not access.may_configure(request.user):
        raise PermissionDenied
    actor = cast("Actor", request.user)
    form = RegistrationDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                registration.approve_registration(registration_id=data["registration"], actor=actor)
            else:
                registration.refuse_registration(
                    registration_id=data["registration"], actor=actor, reason=data["reason"]
                )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, gettext("审核结论已记录，已通知注册联系人。"))
            return redirect("registrations")
    waiting = OrganisationRegistration.objects.filter(
        state=OrganisationRegistration.State.PENDING
    ).select_related("district")
    return render(request, "backoffice/registrations.html", {"form": form, "waiting": waiting})


@login_required
def organisation_staff(request: HttpRequest) -> HttpResponse:
    """An organisation's administrator sees, adds and removes its users."""
    organisation = registration.administered_organisation(request.user)
    if organisation is None:
        raise PermissionDenied
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.add_staff(actor=cast("Actor", request.user), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, gettext("已添加用户，并已通过邮件告知其设置密码。"))
            return redirect("organisation-staff")
    staff = organisation.members.select_related("user").order_by("user__username")
    return render(
        request,
        "backoffice/organisation_staff.html",
        {"form": form, "organisation": organisation, "staff": staff},
    )


@login_required
@require_POST
def organisation_staff_remove(request: HttpRequest, pk: int) -> HttpResponse:
    if registration.administered_organisation(request.user) is None:
        raise PermissionDenied
    try:
        registration.remove_staff(actor=cast("Actor", request.user), user_id=pk)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("已移除该用户。"))
    return redirect("organisation-staff")
