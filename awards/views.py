"""Pages of the stages after the approval: the public notice (anybody), the objection form
(anybody, rate-limited), the secretariat's notice and objection pages, the agreement, the
tranches and the equity holding, and the queue of this work.

Thin: each form is parsed and handed to one public service; reads come through the access
policy and the selectors. A refusal the user can correct (``InvalidInput``) comes back as a
form error; any other domain error goes to the error page through ``workflows.middleware``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from documents import throttle
from workflows import access, selectors
from workflows.actors import AuthenticatedRequest
from workflows.errors import InvalidInput
from workflows.models import FundingApplication
from workflows.review_path import Role
from workflows.signals import object_read

from . import agreements, disbursement, notice
from . import selectors as award_selectors
from .forms import (
    AgreementForm,
    AmendmentForm,
    EquityExitForm,
    EquityForm,
    ObjectionForm,
    ResolutionForm,
)
from .models import Objection

# --- public: the notice and the objection form -----------------------------------------------


@require_safe
def notice_list(request: HttpRequest) -> HttpResponse:
    return render(request, "awards/notice_list.html", {"notices": award_selectors.public_notices()})


def _objection_limit(request: HttpRequest) -> HttpResponse | None:
    if request.method != "POST" or throttle.allow(
        request, scope="objection", limit=settings.OBJECTION_RATE_LIMIT
    ):
        return None
    response = render(
        request,
        "error.html",
        {"message": _("提交过于频繁，请稍后再试。"), "status": 429},
        status=429,
    )
    response["Retry-After"] = str(throttle.WINDOW_SECONDS)
    return response


@throttle.before_parsing(_objection_limit)
def objection_form(request: HttpRequest, pk: int) -> HttpResponse:
    """Anybody lodges an objection to a request in public notice; the receipt number is shown
    once, on the page that answers the objection."""
    noticed = award_selectors.public_notice(pk)
    if noticed is None:
        raise Http404
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            objection = notice.lodge_objection(
                application_id=pk,
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                grounds=form.cleaned_data["grounds"],
                attachment=form.cleaned_data["attachment"],
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            return render(
                request,
                "awards/objection_receipt.html",
                {"noticed": noticed, "objection": objection},
            )
    return render(request, "awards/objection_form.html", {"noticed": noticed, "form": form})


# --- the request's pages ----------------------------------------------------------------------


def _application(request: AuthenticatedRequest, pk: int) -> FundingApplication:
    application = selectors.visible_application(request.user, pk)
    if application is None:
        raise Http404
    return application


def _back(request: AuthenticatedRequest, pk: int, done: str) -> HttpResponse:
    messages.success(request, done)
    return redirect("application-detail", pk=pk)


@login_required
def notice_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The secretariat's page of a request's notice: its periods and objections, and the
    actions open to it (open, take up the objections, finalise)."""
    application = _application(request, pk)
    if not access.may_read_objections(request.user):
        raise PermissionDenied
    if request.method == "POST":
        if access.role_of(request.user) != Role.MEETING_SECRETARY:
            raise PermissionDenied
        action: dict[str, Callable[..., Any]] = {
            "open": notice.open_notice,
            "review": notice.review_objection,
            "finalise": notice.finalise,
        }
        chosen = action.get(request.POST.get("action", ""))
        if chosen is None:
            raise InvalidInput(_("未知的操作。"))
        chosen(application_id=pk, actor=request.user)
        return _back(request, pk, _("已办理。"))
    return render(
        request,
        "awards/notice_page.html",
        {"application": application, "periods": award_selectors.notice_periods(application)},
    )


@login_required
def objection_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One objection as the secretariat reads and resolves it."""
    if not access.may_read_objections(request.user):
        raise PermissionDenied
    objection = award_selectors.objection(request.user, pk)
    if objection is None:
        raise Http404
    form = ResolutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice.resolve_objection(
                objection_id=pk,
                actor=request.user,
                upheld=form.cleaned_data["decision"] == "uphold",
                resolution=form.cleaned_data["resolution"],
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            return _back(request, objection.notice.application_id, _("核查结论已记录。"))
    return render(request, "awards/objection_page.html", {"objection": objection, "form": form})


@login_required
@require_safe
def objection_attachment(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The evidence lodged with an objection, for those who read the objections."""
    if not access.may_read_objections(request.user):
        raise PermissionDenied
    objection = award_selectors.objection(request.user, pk)
    if objection is None or not objection.attachment:
        raise Http404
    object_read.send(sender=Objection, request=request, obj=objection)
    return FileResponse(
        objection.attachment.open("rb"),
        as_attachment=True,
        filename=f"{objection.receipt_number}{Path(objection.attachment.name or '').suffix}",
        content_type=objection.attachment_type or "application/octet-stream",
    )


@login_required
def agreement_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The agreement: the lead department drafts and edits it, the applicant confirms it, the
    lead department signs it; everybody who sees the request reads it."""
    application = _application(request, pk)
    agreement = award_selectors.agreement_of(application)
    proposed = agreements.proposed_terms(application)
    current = award_selectors.terms_of(agreement) if agreement is not None else proposed
    form = AgreementForm(
        request.POST or None, initial=AgreementForm.initial_for(current), periods=current.targets
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "confirm":
            agreements.confirm_agreement(application_id=pk, actor=request.user)
            return _back(request, pk, _("协议已确认。"))
        if action == "sign":
            agreements.sign_agreement(application_id=pk, actor=request.user)
            return _back(request, pk, _("协议已签订。"))
        if action not in ("draft", "edit"):
            raise InvalidInput(_("未知的操作。"))
        if form.is_valid():
            service = agreements.draft_agreement if action == "draft" else agreements.edit_agreement
            try:
                service(application_id=pk, actor=request.user, terms=form.terms(proposed))
            except InvalidInput as exc:
                form.add_error(None, exc.message)
            else:
                return _back(request, pk, _("协议已保存。"))
    return render(
        request,
        "awards/agreement_page.html",
        {
            "application": application,
            "agreement": agreement,
            "form": form,
            "amendment_form": AmendmentForm(),
            "may_edit": award_selectors.may_edit_agreement(request.user, application),
        },
    )


@login_required
@require_POST
def amendment_propose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("请说明变更内容，节点每行以日期开头。"))
    agreements.propose_amendment(
        application_id=application.pk,
        actor=request.user,
        summary=form.cleaned_data["summary"],
        milestones=form.cleaned_data["milestones"],
    )
    return _back(request, pk, _("变更已提出，待批准。"))


@login_required
@require_POST
def amendment_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    amendment = award_selectors.amendment(request.user, pk)
    if amendment is None:
        raise Http404
    agreements.approve_amendment(amendment_id=pk, actor=request.user)
    return _back(request, amendment.agreement.application_id, _("变更已批准。"))


@login_required
@require_POST
def tranche_release(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    tranche = award_selectors.tranche(request.user, pk)
    if tranche is None:
        raise Http404
    disbursement.release_tranche(tranche_id=pk, actor=request.user)
    return _back(request, tranche.agreement.application_id, _("资金已拨付。"))


@login_required
def equity_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The equity holding: recorded, and later exited, by the lead department."""
    application = _application(request, pk)
    holding = award_selectors.holding_of(application)
    form: EquityForm | EquityExitForm = (
        EquityForm(request.POST or None)
        if holding is None
        else EquityExitForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if isinstance(form, EquityForm):
                disbursement.record_equity(application_id=pk, actor=request.user, **data)
            else:
                disbursement.exit_equity(application_id=pk, actor=request.user, **data)
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            return _back(request, pk, _("股权投资已登记。"))
    return render(
        request,
        "awards/equity_page.html",
        {"application": application, "holding": holding, "form": form},
    )


@login_required
@require_safe
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """The work after the approval waiting for this user."""
    if not access.may_use_award_queue(request.user):
        raise PermissionDenied
    return render(request, "awards/queue.html", {"items": award_selectors.work_for(request.user)})
