"""The demo after the joint meeting: some approved requests go through their public notice (one
objection dismissed, one upheld and decided again by the joint meeting), the final approval, the
funding agreement (one amended), the first tranches, and an equity holding that exits. Called at
the end of ``manage.py demo``; the stages that follow have their demo beside this one."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from approvals import meetings
from awards import agreements, disbursement, notice
from awards.models import FundingAgreement, NoticePeriod, Tranche
from workflows.models import FundingApplication, FundingCall, Status


@dataclass
class AfterApproval:
    """What the demo did after the approvals, for its summary."""

    noticed: int = 0
    objections_dismissed: int = 0
    objections_upheld: int = 0
    final: int = 0
    signed: int = 0
    tranches_released: int = 0
    amendments: int = 0
    equity: list[str] = field(default_factory=list)


def _people(users: dict[str, Any], application: FundingApplication) -> tuple[Any, Any, Any]:
    officer = users[f"officer_{application.special_project.lead_department.code}"]
    applicant = users[f"applicant_{application.organisation.kind}"]
    return users["secretary"], officer, applicant


def _notice_over(application: FundingApplication) -> None:
    """The demo does not wait for the working days of the notice to pass: its end is dated
    back, as the escalation's task is."""
    NoticePeriod.objects.filter(application=application, closed_at__isnull=True).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )


def _objection(application: FundingApplication, secretary: Any, *, upheld: bool) -> None:
    lodged = notice.lodge_objection(
        application_id=application.pk,
        name="某科技公司",
        contact="010-12345678",
        grounds="该单位申报的新增销售收入预期与其上年度财务报表不符。"
        if upheld
        else "该课题与本单位在研项目重复。",
    )
    notice.review_objection(application_id=application.pk, actor=secretary)
    notice.resolve_objection(
        objection_id=lodged.pk,
        actor=secretary,
        upheld=upheld,
        resolution="经核查，申报的销售收入预期依据不足，提请市联席会议重新审议。"
        if upheld
        else "经核查，两项目研究内容不同，异议不成立。",
    )


def _decide_again(application: FundingApplication, secretary: Any) -> None:
    """The joint meeting decides again on a request whose objection was upheld: it approves a
    lower amount."""
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=application.call_id,
        held_on=timezone.localdate(),
        place="北京市人民政府第一会议室",
        chair="主管副市长",
    )
    items = meetings.build_agenda(
        meeting_id=meeting.pk, actor=secretary, application_ids=[application.pk]
    )
    amount = (items[0].recommended_amount or application.requested_amount) * Decimal("0.6")
    meetings.record_resolutions(
        meeting_id=meeting.pk,
        actor=secretary,
        resolutions=[
            meetings.Resolution(
                application.pk, "approve", amount.quantize(Decimal("10000")), "核减后支持。"
            )
        ],
    )


def _to_execution(application: FundingApplication, users: dict[str, Any]) -> FundingAgreement:
    secretary, officer, applicant = _people(users, application)
    _notice_over(application)
    notice.finalise(application_id=application.pk, actor=secretary)
    agreements.draft_agreement(application_id=application.pk, actor=officer)
    agreements.confirm_agreement(application_id=application.pk, actor=applicant)
    return agreements.sign_agreement(application_id=application.pk, actor=officer)


def carry_to_execution(application_ids: list[int], users: dict[str, Any]) -> None:
    """Approved requests through an unopposed notice and a signed agreement, for the stages
    that follow (the outcome reports' demo)."""
    approved = (
        FundingApplication.objects.filter(pk__in=application_ids, status=Status.APPROVED)
        .select_related("organisation", "special_project__lead_department")
        .order_by("id")
    )
    for application in approved:
        secretary, _officer, _applicant = _people(users, application)
        notice.open_notice(application_id=application.pk, actor=secretary)
        _to_execution(application, users)


def run_after_approval(
    users: dict[str, Any], call: FundingCall, *, exclude: list[int] | None = None
) -> AfterApproval:
    done = AfterApproval()
    approved = list(
        FundingApplication.objects.filter(call=call, status=Status.APPROVED)
        .exclude(pk__in=exclude or [])
        .select_related("organisation", "special_project__lead_department")
        .order_by("id")
    )
    # The last approved request is left waiting for its notice to open.
    for position, application in enumerate(approved[:-1]):
        secretary, officer, _applicant = _people(users, application)
        notice.open_notice(application_id=application.pk, actor=secretary)
        done.noticed += 1
        if position == 1:
            _objection(application, secretary, upheld=True)
            done.objections_upheld += 1
            _decide_again(application, secretary)
            notice.open_notice(application_id=application.pk, actor=secretary)
            continue  # in its second notice
        if position == 0:
            _objection(application, secretary, upheld=False)
            done.objections_dismissed += 1
        if position == 3:
            _notice_over(application)
            notice.finalise(application_id=application.pk, actor=secretary)
            done.final += 1
            continue  # final, its agreement to draft
        agreement = _to_execution(application, users)
        done.final += 1
        done.signed += 1
        first = Tranche.objects.get(agreement=agreement, position=1)
        disbursement.release_tranche(tranche_id=first.pk, actor=officer)
        done.tranches_released += 1
        if position == 0:
            middle = (
                application.period_start + (application.period_end - application.period_start) / 2
            )
            amendment = agreements.propose_amendment(
                application_id=application.pk,
                actor=officer,
                summary="因设备到货延迟，中期节点延后三个月。",
                milestones=[
                    agreements.Milestone("完成中期目标", middle + datetime.timedelta(days=90)),
                    agreements.Milestone("完成全部任务并申请验收", application.period_end),
                ],
            )
            agreements.approve_amendment(amendment_id=amendment.pk, actor=secretary)
            done.amendments += 1
        if agreement.equity_amount > 0 and not done.equity:
            disbursement.record_equity(
                application_id=application.pk,
                actor=officer,
                investing_body="北京市科技创新基金",
                amount=agreement.equity_amount,
                share=Decimal("5.00"),
                valuation=agreement.equity_amount * 20,
                invested_on=timezone.localdate(),
            )
            disbursement.exit_equity(
                application_id=application.pk,
                actor=officer,
                kind="buy_back",
                exited_on=timezone.localdate(),
                proceeds=agreement.equity_amount * Decimal("1.1"),
            )
            done.equity.append(application.title)
    return done
