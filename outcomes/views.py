"""Pages of the outcome stages: the applicant's reports and their form, the lead department's
review of a report (targets against actuals), the completion acceptance (request, panel,
declaration, scores, outcome) and the recovery order.

Thin: each posted form is parsed and handed to one public service; reads come through the
access policy and the selectors. A refusal the user can correct (``InvalidInput``) comes back
as a form error; every other domain error goes to the error page (``workflows.middleware``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from approvals.forms import AssignExpertsForm, DeclarationForm, ScoreForm
from workflows import access, selectors
from workflows.actors import AuthenticatedRequest
from workflows.errors import InvalidInput
from workflows.models import FundingApplication, Status
from workflows.review_path import Role

from . import acceptance, recovery, reports
from . import selectors as outcomes
from .acceptance import ACCEPTANCE_RUBRIC
from .forms import (
    AbandonForm,
    AcceptanceOutcomeForm,
    AcceptanceRequestForm,
    RecoveryAmountForm,
    RepaymentForm,
    ReportForm,
    ReportReviewForm,
)
from .measures import measure_lines
from .models import AcceptanceReview, OutcomeReport
from .targets import target_for


def _application(request: AuthenticatedRequest, pk: int) -> FundingApplication:
    application = selectors.visible_application(request.user, pk)
    if application is None:
        raise Http404
    return application


def _posted(
    request: AuthenticatedRequest, form: forms.Form, act: Callable[[], Any], done: str
) -> bool:
    """Run ``act`` (one service call) for a valid form; False (the refusal on the form) if the
    page is to be shown again."""
    if not form.is_valid():
        return False
    try:
        act()
    except InvalidInput as exc:
        form.add_error(None, exc.message)
        return False
    messages.success(request, done)
    return True


def _form_name(request: AuthenticatedRequest, allowed: tuple[str, ...]) -> str:
    name = request.POST.get("form", "")
    if name not in allowed:
        raise PermissionDenied
    return name


# --- reports ----------------------------------------------------------------------------------


@login_required
def report_list(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if request.method != "GET":
        return HttpResponse(status=405)
    return render(
        request,
        "outcomes/reports.html",
        {
            "application": application,
            "lines": outcomes.period_lines(application),
            "due_next": outcomes.due_next(application),
            "is_applicant": access.role_of(request.user) == Role.APPLICANT,
        },
    )


@login_required
def report_page(request: AuthenticatedRequest, pk: int, index: int) -> HttpResponse:
    """The applicant's form for one period, or the lead department's review of its report."""
    application = _application(request, pk)
    target = target_for(application, index)
    if target is None:
        raise Http404
    report = outcomes.report_of(application, index)
    role = access.role_of(request.user)
    report_form = ReportForm(initial=_initial(report, application))
    review_form = ReportReviewForm()
    if request.method == "POST":
        if _form_name(request, ("submit", "review")) == "submit":
            report_form = ReportForm(request.POST)
            if _posted(
                request,
                report_form,
                lambda: reports.submit_report(
                    application_id=pk,
                    actor=request.user,
                    period_index=index,
                    figures=report_form.figures(),
                ),
                _("进展报告已提交。"),
            ):
                return redirect("outcomes:report", pk=pk, index=index)
        else:
            review_form = ReportReviewForm(request.POST)
            if _posted(
                request,
                review_form,
                lambda: reports.review_report(
                    application_id=pk,
                    actor=request.user,
                    period_index=index,
                    **review_form.cleaned_data,
                ),
                _("进展报告审核意见已记录。"),
            ):
                return redirect("outcomes:report", pk=pk, index=index)
    editable = report is None or report.state in (
        OutcomeReport.State.DRAFT,
        OutcomeReport.State.RETURNED,
    )
    submitted = report is not None and report.state != OutcomeReport.State.DRAFT
    return render(
        request,
        "outcomes/report.html",
        {
            "application": application,
            "target": target,
            "report": report if submitted else None,
            "lines": measure_lines(report) if submitted and report else [],
            "growth": outcomes.report_growth(report) if submitted and report else None,
            "report_form": report_form
            if role == Role.APPLICANT and editable and application.status in reports.REPORTING
            else None,
            "review_form": review_form
            if role == Role.LEAD_OFFICER
            and report is not None
            and report.state == OutcomeReport.State.SUBMITTED
            else None,
        },
    )


def _initial(report: OutcomeReport | None, application: FundingApplication) -> dict[str, Any]:
    if report is None:
        return {
            "district": application.landing_district_id,
            "industrialised_in_beijing": application.industrialised_in_beijing,
        }
    return {
        **report.measures(),
        "district": report.district,
        "industrialised_in_beijing": report.industrialised_in_beijing,
        "narrative": report.narrative,
    }


# --- completion acceptance --------------------------------------------------------------------


@login_required
def acceptance_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The acceptance: the applicant's request, the lead department's panel and outcome, and
    each expert's declaration and scores. An expert asked onto the panel who has not declared
    sees only the declaration."""
    application = selectors.visible_application(request.user, pk)
    declaring = outcomes.awaiting_acceptance_declaration(request.user, pk)
    if application is None and declaring is None:
        raise Http404
    forms_shown: dict[str, forms.Form] = {}
    if request.method == "POST":
        name = _form_name(request, ("request", "experts", "declare", "scores", "outcome", "close"))
        if _post_acceptance(request, pk, name, forms_shown, application):
            if name == "declare" and forms_shown["declare"].cleaned_data["conflict"]:
                return redirect("home")  # withdrawn: nothing of the request is theirs to see
            return redirect("outcomes:acceptance", pk=pk)
    if application is None:
        return render(
            request,
            "outcomes/acceptance_declaration.html",
            {"application": declaring, "form": forms_shown.get("declare", DeclarationForm())},
        )
    return render(
        request, "outcomes/acceptance.html", _acceptance_context(request, application, forms_shown)
    )


def _post_acceptance(
    request: AuthenticatedRequest,
    pk: int,
    name: str,
    shown: dict[str, forms.Form],
    application: FundingApplication | None,
) -> bool:
    user, data = request.user, request.POST
    if name == "request":
        form: Any = AcceptanceRequestForm(data)
        act: Callable[[], Any] = lambda: acceptance.request_acceptance(  # noqa: E731
            application_id=pk, actor=user, summary=form.cleaned_data["summary"]
        )
        done = _("验收申请已提交。")
    elif name == "experts":
        candidates = outcomes.acceptance_candidates(application, user) if application else []
        form = AssignExpertsForm(data, candidates=candidates)
        act = lambda: acceptance.assign_acceptance_experts(  # noqa: E731
            application_id=pk, actor=user, expert_ids=[e.pk for e in form.cleaned_data["experts"]]
        )
        done = _("验收专家已指派。")
    elif name == "declare":
        form = DeclarationForm(data)
        act = lambda: acceptance.declare_acceptance_interest(  # noqa: E731
            application_id=pk, actor=user, **form.cleaned_data
        )
        done = _("利益冲突声明已提交。")
    elif name == "scores":
        form = ScoreForm(data, rubric=ACCEPTANCE_RUBRIC)
        act = lambda: acceptance.submit_acceptance_scores(  # noqa: E731
            application_id=pk, actor=user, scores=form.scores()
        )
        done = _("验收评分已提交。")
    elif name == "outcome":
        form = AcceptanceOutcomeForm(data)
        act = lambda: acceptance.record_acceptance_outcome(  # noqa: E731
            application_id=pk, actor=user, **form.cleaned_data
        )
        done = _("验收结论已记录。")
    else:
        form = forms.Form(data)
        act = lambda: recovery.close_project(application_id=pk, actor=user)  # noqa: E731
        done = _("项目已结项。")
    shown[name] = form
    return _posted(request, form, act, done)


def _acceptance_context(
    request: AuthenticatedRequest, application: FundingApplication, shown: dict[str, forms.Form]
) -> dict[str, Any]:
    user = request.user
    role = access.role_of(user)
    record = outcomes.acceptance_of(application)
    review = outcomes.review_of(application, user) if role == Role.GROUP_MEMBER else None
    officer = role == Role.LEAD_OFFICER and application.status == Status.ACCEPTANCE_REVIEW
    context: dict[str, Any] = {
        "application": application,
        "acceptance": record,
        "panel": outcomes.panel_of(record) if record else [],
        "sees_experts": access.sees_expert_identities(user) or role == Role.LEAD_OFFICER,
        "score": acceptance.panel_score(record) if record else None,
        "review": review,
    }
    if role == Role.APPLICANT and application.status == Status.IN_EXECUTION:
        context["request_form"] = shown.get("request", AcceptanceRequestForm())
    if officer and record is not None and not record.outcome:
        context["experts_form"] = shown.get(
            "experts",
            AssignExpertsForm(candidates=outcomes.acceptance_candidates(application, user)),
        )
        context["outcome_form"] = shown.get("outcome", AcceptanceOutcomeForm())
    if review is not None and review.state == AcceptanceReview.State.DECLARED:
        context["score_form"] = shown.get("scores", ScoreForm(rubric=ACCEPTANCE_RUBRIC))
    if role == Role.LEAD_OFFICER and application.status == Status.COMPLETED:
        context["close_form"] = True
    return context


# --- recovery ---------------------------------------------------------------------------------


@login_required
def recovery_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The recovery order: the lead department records an abandonment, the repayments and the
    closing; the meeting's secretariat sets the amount."""
    application = _application(request, pk)
    user = request.user
    shown: dict[str, forms.Form] = {}
    if request.method == "POST":
        name = _form_name(request, ("abandon", "amount", "repayment", "close"))
        form: Any
        if name == "abandon":
            form = AbandonForm(request.POST)
            act: Callable[[], Any] = lambda: recovery.abandon_project(  # noqa: E731
                application_id=pk, actor=user, reason=form.cleaned_data["reason"]
            )
            done = _("项目终止已记录。")
        elif name == "amount":
            form = RecoveryAmountForm(request.POST)
            act = lambda: recovery.set_recovery_amount(  # noqa: E731
                application_id=pk, actor=user, **form.cleaned_data
            )
            done = _("追回金额已记录。")
        elif name == "repayment":
            form = RepaymentForm(request.POST)
            act = lambda: recovery.record_repayment(  # noqa: E731
                application_id=pk, actor=user, **form.cleaned_data
            )
            done = _("还款已登记。")
        else:
            form = forms.Form(request.POST)
            act = lambda: recovery.close_recovery(application_id=pk, actor=user)  # noqa: E731
            done = _("追回完毕，项目已结项。")
        shown[name] = form
        if _posted(request, form, act, done):
            return redirect("outcomes:recovery", pk=pk)
    role = access.role_of(user)
    order = outcomes.recovery_of(application)
    left = recovery.outstanding(order) if order is not None else None
    status = application.status
    context: dict[str, Any] = {
        "application": application,
        "order": order,
        "repaid": recovery.repaid(order) if order is not None else None,
        "outstanding": left,
    }
    if role == Role.LEAD_OFFICER:
        if status == Status.IN_EXECUTION:
            context["abandon_form"] = shown.get("abandon", AbandonForm())
        if status == Status.RECOVERY and left:
            context["repayment_form"] = shown.get("repayment", RepaymentForm())
        if status == Status.RECOVERY and left == 0:
            context["close_form"] = True
    if role == Role.MEETING_SECRETARY and (
        status == Status.FAILED
        or (status == Status.RECOVERY and order is not None and order.amount is None)
    ):
        context["amount_form"] = shown.get("amount", RecoveryAmountForm())
    return render(request, "outcomes/recovery.html", context)
