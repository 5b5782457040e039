"""Who hears of the outcome stages' events, in the messenger's shape (registered with
``workflows.notifications``): subject zh, subject en, body zh, body en."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflows.models import FundingApplication
from workflows.notifications import (
    applicant_users,
    notify_after_commit,
    recipients_for_tier,
    tier_heads,
)
from workflows.review_path import Tier

if TYPE_CHECKING:
    from collections.abc import Iterable

MESSAGES: dict[str, tuple[str, str, str, str]] = {
    "report_submitted": (
        "进展报告待确认：{title}",
        "A progress report awaits you: {title}",
        "项目“{title}”（{code}）提交了进展报告，请登录系统确认或退回。{reason}",
        'The project "{title}" ({code}) submitted a progress report; please accept or return '
        "it. {reason}",
    ),
    "report_shortfall": (
        "进展报告未达目标：{title}",
        "A progress report falls short of its targets: {title}",
        "项目“{title}”（{code}）的进展报告有指标未达到任务书目标：{reason}",
        'The progress report of "{title}" ({code}) falls short of its targets: {reason}',
    ),
    "report_reviewed": (
        "您的进展报告有新进展：{title}",
        "News on your progress report: {title}",
        "项目“{title}”（{code}）的进展报告：{reason}\n通知书可登录系统下载。",
        'The progress report of "{title}" ({code}): {reason}\n'
        "The notice can be downloaded after signing in.",
    ),
    "report_overdue": (
        "进展报告逾期提醒：{title}",
        "Reminder: a progress report is overdue: {title}",
        "项目“{title}”（{code}）的进展报告已超过报送时限，请尽快提交。{reason}",
        'The progress report of "{title}" ({code}) is past its time limit; please submit it. '
        "{reason}",
    ),
    "report_escalation": (
        "进展报告逾期升级：{title}",
        "Escalation: an overdue progress report: {title}",
        "项目“{title}”（{code}）的进展报告在提醒后仍未提交，现升级至您处。{reason}",
        'The progress report of "{title}" ({code}) is still missing after a reminder and is '
        "escalated to you. {reason}",
    ),
    "acceptance_expert_assigned": (
        "请参加验收评审：{code}",
        "Please take part in a completion acceptance: {code}",
        "您被邀请参加申报单位“{organisation}”一个项目（{code}）的验收评审。查看材料前，"
        "请先声明是否存在利益冲突。",
        'You are asked to score the completion acceptance of a project of "{organisation}" '
        "({code}). Before you see its material, please declare whether you have a conflict "
        "of interest.",
    ),
    "acceptance_replace_needed": (
        "验收专家回避，请增补：{title}",
        "An acceptance expert withdrew; please add another: {title}",
        "一名验收专家就项目“{title}”（{code}）声明利益冲突，请增补专家。",
        'An acceptance expert declared a conflict of interest on "{title}" ({code}); please '
        "add another expert.",
    ),
    "recovery_needed": (
        "待联席会议确定追回金额：{title}",
        "The joint meeting is to set a recovery amount: {title}",
        "项目“{title}”（{code}）{reason}，请联席会议确定追回金额。",
        'The project "{title}" ({code}): {reason}; the joint meeting is to set the amount to '
        "recover.",
    ),
}


def _ids(users: Iterable[Any]) -> list[int]:
    return [u.pk for u in users]


def tell_lead_department(
    kind: str, application: FundingApplication, reason: str = "", *, heads: bool = False
) -> None:
    people = recipients_for_tier(application, Tier.LEAD)
    if heads:
        people += tier_heads(application, Tier.LEAD)
    notify_after_commit(kind, application.pk, _ids(people), reason)


def tell_applicant(kind: str, application: FundingApplication, reason: str = "") -> None:
    notify_after_commit(kind, application.pk, _ids(applicant_users(application)), reason)


def tell_meeting(kind: str, application: FundingApplication, reason: str = "") -> None:
    notify_after_commit(
        kind, application.pk, _ids(recipients_for_tier(application, Tier.MEETING)), reason
    )


def tell_experts(kind: str, application: FundingApplication, expert_ids: list[int]) -> None:
    notify_after_commit(kind, application.pk, expert_ids)
