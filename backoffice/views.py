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
from django.utils.translation import gettext

from approvals.models import MatchingPolicyVersion
from approvals.policy import PolicyValidationError
from workflows import access, acting
from workflows.errors import DomainError
from workflows.models import ActingHead

from .forms import ActingHeadForm, ConfigLogFilter, PolicyForm
from .models import ConfigChange
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
    named_by_me = ActingHead.objects.filter(head=actor).select_related("acting")
    return render(request, "backoffice/acting_heads.html", {"form": form, "named": named_by_me})
