"""The review path, described once: every status a request can have, and every step a person can
take on it — the tier, who may take it, the public service that performs it, the document it
issues, who hears of it, the fields it sets, and its labels in Chinese and English.

"What happens when the joint meeting approves?" is answered by the ``approve`` entry below:
the meeting secretary records it through ``approvals.meetings.record_resolutions`` (never on
its own: the meeting's budget, pool draw and minutes go with it), it moves ``meeting_review``
or ``deferred`` to ``approved``, sets the approved amount and the decision time, completes the
``meeting_review`` task, issues the approval (配套资金批复), and the applicant hears of it.

The tables other modules need (the fields a transition saves, the tier of a status, the task a
status waits for, the documents a decision issues, who hears of it, the labels of the audit
trail) are derived from this data at the bottom of the file; none is written by hand elsewhere.
This module imports nothing of the project, so every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    LEAD_REVIEW = "lead_review", _("牵头部门审查中")
    GROUP_REVIEW = "group_review", _("审核工作小组审核中")
    MEETING_REVIEW = "meeting_review", _("待市联席会议审议")
    DEFERRED = "deferred", _("联席会议暂缓")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("已批复")
    IN_NOTICE = "in_notice", _("公示中")
    OBJECTION_REVIEW = "objection_review", _("异议核查中")
    FINAL = "final", _("已正式批复")
    IN_EXECUTION = "in_execution", _("执行中")
    ACCEPTANCE_REVIEW = "acceptance_review", _("验收中")
    COMPLETED = "completed", _("已通过验收")
    FAILED = "failed", _("验收未通过")
    RECOVERY = "recovery", _("追回中")
    CLOSED = "closed", _("已结项")
    REJECTED = "rejected", _("不予支持")
    WITHDRAWN = "withdrawn", _("已撤回")


class Tier(models.TextChoices):
    LEAD = "lead", _("牵头部门")
    GROUP = "group", _("审核工作小组")
    MEETING = "meeting", _("市联席会议")


class Role(models.TextChoices):
    APPLICANT = "applicant", _("申报单位用户")
    LEAD_OFFICER = "lead_officer", _("牵头部门经办人")
    GROUP_MEMBER = "group_member", _("审核工作小组成员")
    GROUP_CHAIR = "group_chair", _("审核工作小组组长")
    MEETING_SECRETARY = "meeting_secretary", _("联席会议秘书")
    AUDITOR = "auditor", _("审计员")
    ADMINISTRATOR = "administrator", _("管理员")


# Who hears of a step (see ``workflows.notifications``): the applicant organisation, or the
# people of a tier (``current``: the tier the request is at once the step is done).
APPLICANT = "applicant"
CURRENT_TIER = "current"


@dataclass(frozen=True)
class Label:
    """A label in Chinese and English; ``str()`` gives the one of the active language."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if (get_language() or "").startswith("en") else self.zh


@dataclass(frozen=True)
class Step:
    """One thing a person can do on a request.

    ``transition`` is the state machine's method (``FundingApplication.<transition>``) and
    the name the audit trail records; a step that moves no status (a people-side event) has
    ``sources`` empty. ``tier`` is where it is taken (None: the applicant's own steps).
    ``service`` is the one public function that performs it (dotted path). ``task`` is the flow
    task its completion ends. ``documents`` are the kinds of decision document it issues;
    ``notices`` who hears of it; ``touches`` the fields it sets besides the status.
    """

    transition: str
    label: Label
    who: tuple[Role, ...]
    service: str
    sources: tuple[Status, ...] = ()
    targets: tuple[Status, ...] = ()
    tier: Tier | None = None
    task: str | None = None
    documents: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    touches: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, Tier | None]:
        return (self.transition, self.tier)

    @property
    def moves(self) -> bool:
        return bool(self.sources)


@dataclass(frozen=True)
class Stage:
    """One stop of the step tracker every request page shows, in the order a request passes
    them; ``tier`` when the stop is a tier's review."""

    key: str
    label: Label
    tier: Tier | None = None


STAGES = (
    Stage("application", Label("申报", "Application")),
    Stage("lead", Label("牵头部门审查", "Lead department"), Tier.LEAD),
    Stage("group", Label("审核工作小组审核", "Review group"), Tier.GROUP),
    Stage("meeting", Label("市联席会议审议", "Joint meeting"), Tier.MEETING),
    Stage("approved", Label("批复", "Approval")),
    Stage("notice", Label("公示", "Public notice")),
    Stage("agreement", Label("资金协议", "Agreement")),
    Stage("execution", Label("执行与报告", "Execution and reports")),
    Stage("acceptance", Label("验收", "Acceptance")),
    Stage("closed", Label("结项", "Closed")),
)


@dataclass(frozen=True)
class State:
    """One status: its tier, the flow tasks that may be open meanwhile, and the task whose
    completion is the decision the status waits for.

    ``stage`` is its stop on the step tracker (None: the request stays at the stop it was at
    when it was returned, rejected or withdrawn). ``for_applicant`` is what the applicant
    reads while the request has this status: what is happening, who acts next and what they
    must do, in plain words; ``{lead}`` is the lead department's name and ``{tier}`` the tier
    the request is with or goes back to."""

    status: Status
    tier: Tier | None = None
    open_tasks: frozenset[str] = field(default_factory=frozenset)
    decision_task: str | None = None
    final: bool = False
    applicant_edits: bool = False
    stage: str | None = None
    for_applicant: Label = Label("", "")


STATES = (
    State(
        Status.DRAFT,
        applicant_edits=True,
        stage="application",
        for_applicant=Label(
            "草稿尚未提交。请填写完整、上传国家批复文件后提交申请；提交后由{lead}受理。",
            "This draft is not submitted yet. Complete it, attach the national approval and "
            "submit it; {lead} then receives it.",
        ),
    ),
    State(
        Status.SUBMITTED,
        Tier.LEAD,
        frozenset({"lead_review"}),
        "lead_review",
        stage="lead",
        for_applicant=Label(
            "已提交，等待{lead}受理。您现在无需操作。",
            "Submitted; waiting for {lead} to receive it. Nothing for you to do now.",
        ),
    ),
    State(
        Status.LEAD_REVIEW,
        Tier.LEAD,
        frozenset({"lead_review"}),
        "lead_review",
        stage="lead",
        for_applicant=Label(
            "{lead}正在进行形式审查。您现在无需操作；如需修改，申请会退回给您并写明原因。",
            "{lead} is checking the request. Nothing for you to do now; if anything must "
            "change, the request comes back to you with the reasons.",
        ),
    ),
    State(
        Status.GROUP_REVIEW,
        Tier.GROUP,
        frozenset({"assign_experts", "score", "group_decision"}),
        "group_decision",
        stage="group",
        for_applicant=Label(
            "审核工作小组正在组织专家评审并测算配套金额。您现在无需操作。",
            "The review group's experts are scoring the request and the matching amount is "
            "being assessed. Nothing for you to do now.",
        ),
    ),
    State(
        Status.MEETING_REVIEW,
        Tier.MEETING,
        frozenset({"meeting_review"}),
        "meeting_review",
        stage="meeting",
        for_applicant=Label(
            "审核工作小组已建议支持，等待市联席会议审议。您现在无需操作。",
            "The review group recommends the request; it waits for the municipal joint "
            "meeting. Nothing for you to do now.",
        ),
    ),
    State(
        Status.DEFERRED,
        Tier.MEETING,
        frozenset({"meeting_review"}),
        "meeting_review",
        stage="meeting",
        for_applicant=Label(
            "市联席会议决定暂缓，申请将列入下一次会议重新审议。您现在无需操作。",
            "The joint meeting deferred the request; it goes on the next meeting's agenda. "
            "Nothing for you to do now.",
        ),
    ),
    State(
        Status.RETURNED,
        None,
        frozenset({"revision"}),
        "revision",
        applicant_edits=True,
        for_applicant=Label(
            "申请已退回修改。请按下面列出的意见修改后重新提交；重新提交后由{tier}继续审查。",
            "The request was returned for revision. Change what is listed below and resubmit "
            "it; {tier} then takes it up again.",
        ),
    ),
    State(
        Status.APPROVED,
        final=True,
        stage="approved",
        for_applicant=Label(
            "市联席会议已批准配套资金，批复文书可在下方下载。联席会议秘书处将在公示网页上公示，"
            "公示期满无异议后正式批复。",
            "The joint meeting approved the matching funds; the decision can be downloaded "
            "below. The secretariat will publish it for public notice; once the notice ends "
            "without objection the approval becomes final.",
        ),
    ),
    # After the approval (``awards``): the public notice, the 批复, the agreement.
    State(
        Status.IN_NOTICE,
        stage="notice",
        for_applicant=Label(
            "批准结果正在公示（标题、单位和金额）。公示期满无异议后，联席会议秘书处正式批复；"
            "您无需办理。",
            "The approval is on public notice (title, organisation and amount). When the notice "
            "ends without objection the secretariat makes it final; nothing for you to do.",
        ),
    ),
    State(
        Status.OBJECTION_REVIEW,
        stage="notice",
        for_applicant=Label(
            "公示期间收到异议，联席会议秘书处正在核查，核查期间暂停正式批复；如需说明，秘书处会联系您。",
            "An objection was lodged during the notice; the secretariat is looking into it and "
            "the final approval waits meanwhile. The secretariat will contact you if needed.",
        ),
    ),
    State(
        Status.FINAL,
        stage="agreement",
        for_applicant=Label(
            "已正式批复。{lead}将起草资金协议（任务书），请在协议页面核对金额、节点和目标后确认。",
            "The approval is final. {lead} drafts the funding agreement; check its amounts, "
            "milestones and targets on the agreement page and confirm it.",
        ),
    ),
    State(
        Status.IN_EXECUTION,
        stage="execution",
        for_applicant=Label(
            "资金协议已签订，项目执行中。请在每个报告期结束后提交进展报告；项目期满前可申请验收。",
            "The funding agreement is signed and the project is under way. Submit a progress "
            "report after each reporting period; near the end of the project, request the "
            "completion acceptance.",
        ),
    ),
    # After the agreement (``outcomes``): completion acceptance and recovery.
    State(
        Status.ACCEPTANCE_REVIEW,
        stage="acceptance",
        for_applicant=Label(
            "已申请验收，{lead}正在组织专家验收；请按通知配合，您无需在系统中办理。",
            "Acceptance requested: {lead} is convening the expert panel. Follow its notices; "
            "nothing to do here meanwhile.",
        ),
    ),
    State(
        Status.COMPLETED,
        stage="acceptance",
        for_applicant=Label(
            "项目已通过验收，验收结论通知书可在下方下载；{lead}办理结项后项目结束。",
            "The project passed its acceptance; the notice can be downloaded below. {lead} "
            "then closes the project.",
        ),
    ),
    State(
        Status.FAILED,
        stage="acceptance",
        for_applicant=Label(
            "项目未通过验收，验收结论通知书可在下方下载。市联席会议将决定追回的配套资金金额。",
            "The project did not pass its acceptance; the notice can be downloaded below. The "
            "joint meeting will set the amount of matching funds to be repaid.",
        ),
    ),
    State(
        Status.RECOVERY,
        stage="acceptance",
        for_applicant=Label(
            "配套资金追回中：请按追回通知书载明的金额退回资金；全部退回后结项。",
            "Matching funds are being recovered: repay the amount the recovery order states; "
            "the project is closed once it is repaid in full.",
        ),
    ),
    State(
        Status.CLOSED,
        final=True,
        stage="closed",
        for_applicant=Label("项目已结项，办理已结束。", "The project is closed."),
    ),
    State(
        Status.REJECTED,
        final=True,
        for_applicant=Label(
            "申请未获支持，办理已结束。不予支持通知书可在下方下载。",
            "The request was not supported; its review has ended. The notice can be "
            "downloaded below.",
        ),
    ),
    State(
        Status.WITHDRAWN,
        final=True,
        for_applicant=Label(
            "申请已撤回，办理已结束。",
            "The request was withdrawn; its review has ended.",
        ),
    ),
)

_REVIEWING = (Status.LEAD_REVIEW, Status.GROUP_REVIEW, Status.MEETING_REVIEW, Status.DEFERRED)
_AT_MEETING = (Status.MEETING_REVIEW, Status.DEFERRED)
_FORMAL_CHECK = "approvals.lead_review.record_formal_check"
_GROUP_DECISION = "approvals.group_review.record_group_recommendation"
_MEETING = "approvals.meetings.record_resolutions"
_NOTICE = "awards.notice"
_AGREEMENT = "awards.agreements"
_DISBURSEMENT = "awards.disbursement"

STEPS = (
    # --- the applicant ----------------------------------------------------------------------
    Step(
        "submit",
        Label("提交申请", "Request submitted"),
        (Role.APPLICANT,),
        "workflows.submission.submit_application",
        sources=(Status.DRAFT,),
        targets=(Status.SUBMITTED,),
        notices=(Tier.LEAD,),
        touches=("submitted_at",),
    ),
    Step(
        "resubmit",
        Label("修改后重新提交", "Resubmitted after revision"),
        (Role.APPLICANT,),
        "workflows.submission.resubmit_application",
        sources=(Status.RETURNED,),
        targets=(Status.LEAD_REVIEW, Status.GROUP_REVIEW, Status.MEETING_REVIEW),
        task="revision",
        notices=(CURRENT_TIER,),
        touches=("returned_from_tier", "revision"),
    ),
    Step(
        "withdraw",
        Label("撤回申请", "Request withdrawn"),
        (Role.APPLICANT,),
        "workflows.submission.withdraw_application",
        sources=(Status.SUBMITTED, Status.RETURNED, *_REVIEWING),
        targets=(Status.WITHDRAWN,),
        notices=(APPLICANT,),
        touches=("decided_at",),
    ),
    # --- tier 1: the lead department ----------------------------------------------------------
    Step(
        "receive",
        Label("牵头部门接收", "Received by the lead department"),
        (Role.LEAD_OFFICER,),
        "workflows.assignments.claim_task",
        sources=(Status.SUBMITTED,),
        targets=(Status.LEAD_REVIEW,),
        tier=Tier.LEAD,
    ),
    Step(
        "accept_for_review",
        Label("受理并转审核工作小组", "Accepted for review"),
        (Role.LEAD_OFFICER,),
        _FORMAL_CHECK,
        sources=(Status.LEAD_REVIEW,),
        targets=(Status.GROUP_REVIEW,),
        tier=Tier.LEAD,
        task="lead_review",
        documents=("acceptance",),
        notices=(Tier.GROUP,),
    ),
    Step(
        "return_for_revision",
        Label("牵头部门退回修改", "Returned for revision by the lead department"),
        (Role.LEAD_OFFICER,),
        _FORMAL_CHECK,
        sources=(Status.LEAD_REVIEW,),
        targets=(Status.RETURNED,),
        tier=Tier.LEAD,
        task="lead_review",
        documents=("return_notice",),
        notices=(APPLICANT,),
        touches=("returned_from_tier",),
    ),
    Step(
        "reject",
        Label("牵头部门不予支持", "Rejected by the lead department"),
        (Role.LEAD_OFFICER,),
        _FORMAL_CHECK,
        sources=(Status.LEAD_REVIEW,),
        targets=(Status.REJECTED,),
        tier=Tier.LEAD,
        task="lead_review",
        documents=("rejection",),
        notices=(APPLICANT,),
        touches=("decided_at",),
    ),
    # --- tier 2: the review working group ---------------------------------------------------
    Step(
        "assign_experts",
        Label("指派评审专家", "Experts assigned"),
        (Role.GROUP_CHAIR,),
        "approvals.group_review.assign_experts",
        tier=Tier.GROUP,
        task="assign_experts",
    ),
    Step(
        "declare_no_conflict",
        Label("专家声明无利益冲突", "Expert declared no conflict of interest"),
        (Role.GROUP_MEMBER,),
        "approvals.group_review.declare_interest",
        tier=Tier.GROUP,
    ),
    Step(
        "declare_conflict",
        Label("专家声明利益冲突并回避", "Expert declared a conflict of interest and withdrew"),
        (Role.GROUP_MEMBER,),
        "approvals.group_review.declare_interest",
        tier=Tier.GROUP,
    ),
    Step(
        "score",
        Label("专家评分", "Expert scored"),
        (Role.GROUP_MEMBER,),
        "approvals.group_review.submit_scores",
        tier=Tier.GROUP,
        task="score",
    ),
    Step(
        "recommend",
        Label("审核工作小组建议支持", "Recommended by the review group"),
        (Role.GROUP_CHAIR,),
        _GROUP_DECISION,
        sources=(Status.GROUP_REVIEW,),
        targets=(Status.MEETING_REVIEW,),
        tier=Tier.GROUP,
        task="group_decision",
        documents=("review_opinion",),
        notices=(Tier.MEETING,),
    ),
    Step(
        "return_for_revision",
        Label("审核工作小组退回修改", "Returned for revision by the review group"),
        (Role.GROUP_CHAIR,),
        _GROUP_DECISION,
        sources=(Status.GROUP_REVIEW,),
        targets=(Status.RETURNED,),
        tier=Tier.GROUP,
        task="group_decision",
        documents=("return_notice", "review_opinion"),
        notices=(APPLICANT,),
        touches=("returned_from_tier",),
    ),
    Step(
        "reject",
        Label("审核工作小组不予支持", "Rejected by the review group"),
        (Role.GROUP_CHAIR,),
        _GROUP_DECISION,
        sources=(Status.GROUP_REVIEW,),
        targets=(Status.REJECTED,),
        tier=Tier.GROUP,
        task="group_decision",
        documents=("rejection", "review_opinion"),
        notices=(APPLICANT,),
        touches=("decided_at",),
    ),
    # --- tier 3: the municipal joint meeting (only through a meeting's resolutions) ---------
    Step(
        "approve",
        Label("联席会议批准", "Approved by the joint meeting"),
        (Role.MEETING_SECRETARY,),
        _MEETING,
        sources=_AT_MEETING,
        targets=(Status.APPROVED,),
        tier=Tier.MEETING,
        task="meeting_review",
        documents=("approval",),
        notices=(APPLICANT,),
        touches=("approved_amount", "decided_at"),
    ),
    Step(
        "defer",
        Label("联席会议暂缓", "Deferred by the joint meeting"),
        (Role.MEETING_SECRETARY,),
        _MEETING,
        sources=_AT_MEETING,
        targets=(Status.DEFERRED,),
        tier=Tier.MEETING,
        task="meeting_review",
        notices=(APPLICANT,),
    ),
    Step(
        "return_for_revision",
        Label("联席会议退回修改", "Returned for revision by the joint meeting"),
        (Role.MEETING_SECRETARY,),
        _MEETING,
        sources=_AT_MEETING,
        targets=(Status.RETURNED,),
        tier=Tier.MEETING,
        task="meeting_review",
        documents=("return_notice",),
        notices=(APPLICANT,),
        touches=("returned_from_tier",),
    ),
    Step(
        "reject",
        Label("联席会议不予支持", "Rejected by the joint meeting"),
        (Role.MEETING_SECRETARY,),
        _MEETING,
        sources=_AT_MEETING,
        targets=(Status.REJECTED,),
        tier=Tier.MEETING,
        task="meeting_review",
        documents=("rejection",),
        notices=(APPLICANT,),
        touches=("decided_at",),
    ),
    # --- who holds which task ---------------------------------------------------------------
    Step(
        "reassign",
        Label("改派任务", "Task reassigned"),
        (Role.LEAD_OFFICER, Role.GROUP_CHAIR, Role.MEETING_SECRETARY),
        "workflows.assignments.reassign_task",
    ),
    Step(
        "remind",
        Label("逾期提醒", "Overdue reminder"),
        (),
        "workflows.deadlines.process_deadlines",
    ),
    Step(
        "escalate",
        Label("逾期升级", "Escalated after the time limit"),
        (),
        "workflows.deadlines.process_deadlines",
    ),
    # --- after the approval: public notice, 批复, agreement, tranches, equity (awards) -------
    Step(
        "open_notice",
        Label("公示开始", "Public notice opened"),
        (Role.MEETING_SECRETARY,),
        f"{_NOTICE}.open_notice",
        sources=(Status.APPROVED,),
        targets=(Status.IN_NOTICE,),
        tier=Tier.MEETING,
        documents=("notice_opening",),
        notices=(APPLICANT,),
    ),
    Step(
        "lodge_objection",
        Label("收到公示异议", "Objection lodged during the public notice"),
        (),
        f"{_NOTICE}.lodge_objection",
        documents=("objection_receipt",),
    ),
    Step(
        "review_objection",
        Label("受理异议并核查", "Objection taken up for review"),
        (Role.MEETING_SECRETARY,),
        f"{_NOTICE}.review_objection",
        sources=(Status.IN_NOTICE,),
        targets=(Status.OBJECTION_REVIEW,),
        tier=Tier.MEETING,
        notices=(APPLICANT,),
    ),
    Step(
        "dismiss_objection",
        Label("异议不成立", "Objection dismissed"),
        (Role.MEETING_SECRETARY,),
        f"{_NOTICE}.resolve_objection",
        sources=(Status.OBJECTION_REVIEW,),
        targets=(Status.IN_NOTICE, Status.OBJECTION_REVIEW),
        tier=Tier.MEETING,
        documents=("objection_resolution",),
        notices=(APPLICANT,),
    ),
    Step(
        "uphold_objection",
        Label("异议成立，提请联席会议重新审议", "Objection upheld; back to the joint meeting"),
        (Role.MEETING_SECRETARY,),
        f"{_NOTICE}.resolve_objection",
        sources=(Status.OBJECTION_REVIEW,),
        targets=(Status.MEETING_REVIEW,),
        tier=Tier.MEETING,
        documents=("objection_resolution",),
        notices=(APPLICANT,),
        touches=("approved_amount",),
    ),
    Step(
        "finalise",
        Label("公示结束，正式批复", "Notice closed; approval made final"),
        (Role.MEETING_SECRETARY,),
        f"{_NOTICE}.finalise",
        sources=(Status.IN_NOTICE,),
        targets=(Status.FINAL,),
        tier=Tier.MEETING,
        documents=("notice_closing", "final_approval"),
        notices=(APPLICANT, Tier.LEAD),
    ),
    Step(
        "draft_agreement",
        Label("起草资金协议", "Funding agreement drafted"),
        (Role.LEAD_OFFICER,),
        f"{_AGREEMENT}.draft_agreement",
        tier=Tier.LEAD,
    ),
    Step(
        "edit_agreement",
        Label("修改资金协议", "Funding agreement edited"),
        (Role.LEAD_OFFICER,),
        f"{_AGREEMENT}.edit_agreement",
        tier=Tier.LEAD,
    ),
    Step(
        "confirm_agreement",
        Label("申报单位确认资金协议", "Funding agreement confirmed by the applicant"),
        (Role.APPLICANT,),
        f"{_AGREEMENT}.confirm_agreement",
    ),
    Step(
        "sign_agreement",
        Label("签订资金协议", "Funding agreement signed"),
        (Role.LEAD_OFFICER,),
        f"{_AGREEMENT}.sign_agreement",
        sources=(Status.FINAL,),
        targets=(Status.IN_EXECUTION,),
        tier=Tier.LEAD,
        documents=("agreement",),
        notices=(APPLICANT,),
    ),
    Step(
        "propose_amendment",
        Label("提出协议变更", "Amendment to the agreement proposed"),
        (Role.LEAD_OFFICER,),
        f"{_AGREEMENT}.propose_amendment",
        tier=Tier.LEAD,
    ),
    Step(
        "approve_amendment",
        Label("批准协议变更", "Amendment to the agreement approved"),
        (Role.MEETING_SECRETARY,),
        f"{_AGREEMENT}.approve_amendment",
        tier=Tier.MEETING,
        documents=("amendment",),
    ),
    Step(
        "release_tranche",
        Label("拨付资金", "Tranche released"),
        (Role.LEAD_OFFICER,),
        f"{_DISBURSEMENT}.release_tranche",
        tier=Tier.LEAD,
        documents=("payment_notice",),
    ),
    Step(
        "record_equity",
        Label("登记股权投资", "Equity holding recorded"),
        (Role.LEAD_OFFICER,),
        f"{_DISBURSEMENT}.record_equity",
        tier=Tier.LEAD,
    ),
    Step(
        "exit_equity",
        Label("股权退出", "Equity holding exited"),
        (Role.LEAD_OFFICER,),
        f"{_DISBURSEMENT}.exit_equity",
        tier=Tier.LEAD,
    ),
    # --- stages 4 and 5: outcome reports, completion acceptance, recovery (outcomes) ----------
    Step(
        "submit_report",
        Label("提交进展报告", "Progress report submitted"),
        (Role.APPLICANT,),
        "outcomes.reports.submit_report",
    ),
    Step(
        "accept_report",
        Label("牵头部门确认进展报告", "Progress report accepted by the lead department"),
        (Role.LEAD_OFFICER,),
        "outcomes.reports.review_report",
        tier=Tier.LEAD,
        documents=("report_outcome",),
    ),
    Step(
        "return_report",
        Label("牵头部门退回进展报告", "Progress report returned by the lead department"),
        (Role.LEAD_OFFICER,),
        "outcomes.reports.review_report",
        tier=Tier.LEAD,
        documents=("report_outcome",),
    ),
    Step(
        "remind_report",
        Label("进展报告逾期提醒", "Overdue progress report reminder"),
        (),
        "outcomes.deadlines.process_report_deadlines",
    ),
    Step(
        "escalate_report",
        Label("进展报告逾期升级", "Overdue progress report escalated"),
        (),
        "outcomes.deadlines.process_report_deadlines",
    ),
    Step(
        "request_acceptance",
        Label("申请验收", "Completion acceptance requested"),
        (Role.APPLICANT,),
        "outcomes.acceptance.request_acceptance",
        sources=(Status.IN_EXECUTION,),
        targets=(Status.ACCEPTANCE_REVIEW,),
        notices=(Tier.LEAD,),
    ),
    Step(
        "assign_acceptance_experts",
        Label("组织验收专家组", "Acceptance panel convened"),
        (Role.LEAD_OFFICER,),
        "outcomes.acceptance.assign_acceptance_experts",
        tier=Tier.LEAD,
    ),
    Step(
        "declare_acceptance_no_conflict",
        Label("验收专家声明无利益冲突", "Acceptance expert declared no conflict of interest"),
        (Role.GROUP_MEMBER,),
        "outcomes.acceptance.declare_acceptance_interest",
        tier=Tier.GROUP,
    ),
    Step(
        "declare_acceptance_conflict",
        Label(
            "验收专家声明利益冲突并回避",
            "Acceptance expert declared a conflict of interest and withdrew",
        ),
        (Role.GROUP_MEMBER,),
        "outcomes.acceptance.declare_acceptance_interest",
        tier=Tier.GROUP,
    ),
    Step(
        "score_acceptance",
        Label("验收专家评分", "Acceptance expert scored"),
        (Role.GROUP_MEMBER,),
        "outcomes.acceptance.submit_acceptance_scores",
        tier=Tier.GROUP,
    ),
    Step(
        "record_acceptance",
        Label("记录验收结论", "Completion acceptance concluded"),
        (Role.LEAD_OFFICER,),
        "outcomes.acceptance.record_acceptance_outcome",
        sources=(Status.ACCEPTANCE_REVIEW,),
        targets=(Status.COMPLETED, Status.FAILED),
        tier=Tier.LEAD,
        documents=("acceptance_outcome",),
        notices=(APPLICANT,),
    ),
    Step(
        "abandon",
        Label("项目终止", "Project abandoned"),
        (Role.LEAD_OFFICER,),
        "outcomes.recovery.abandon_project",
        sources=(Status.IN_EXECUTION,),
        targets=(Status.RECOVERY,),
        tier=Tier.LEAD,
        notices=(APPLICANT, Tier.MEETING),
    ),
    Step(
        "order_recovery",
        Label("联席会议决定追回", "Recovery ordered by the joint meeting"),
        (Role.MEETING_SECRETARY,),
        "outcomes.recovery.set_recovery_amount",
        sources=(Status.FAILED,),
        targets=(Status.RECOVERY,),
        tier=Tier.MEETING,
        documents=("recovery_order",),
        notices=(APPLICANT,),
    ),
    Step(
        "set_recovery_amount",
        Label("联席会议确定追回金额", "Recovery amount set by the joint meeting"),
        (Role.MEETING_SECRETARY,),
        "outcomes.recovery.set_recovery_amount",
        tier=Tier.MEETING,
        documents=("recovery_order",),
    ),
    Step(
        "record_repayment",
        Label("登记追回款", "Repayment recorded"),
        (Role.LEAD_OFFICER,),
        "outcomes.recovery.record_repayment",
        tier=Tier.LEAD,
    ),
    Step(
        "close_recovery",
        Label("追回完毕结项", "Closed after full recovery"),
        (Role.LEAD_OFFICER,),
        "outcomes.recovery.close_recovery",
        sources=(Status.RECOVERY,),
        targets=(Status.CLOSED,),
        tier=Tier.LEAD,
        documents=("recovery_closed",),
        notices=(APPLICANT,),
    ),
    Step(
        "close_project",
        Label("验收通过后结项", "Closed after completion acceptance"),
        (Role.LEAD_OFFICER,),
        "outcomes.recovery.close_project",
        sources=(Status.COMPLETED,),
        targets=(Status.CLOSED,),
        tier=Tier.LEAD,
        notices=(APPLICANT,),
    ),
)


# The flow's human tasks, as the pages name them.
TASKS = {
    "lead_review": Label("形式审查", "Formal check"),
    "assign_experts": Label("指派专家", "Assign experts"),
    "score": Label("专家评分", "Expert scoring"),
    "group_decision": Label("小组意见", "Group opinion"),
    "meeting_review": Label("联席会议审议", "Joint meeting"),
    "revision": Label("申报单位修改", "Revision by the applicant"),
}


# --- derived tables ---------------------------------------------------------------------------

STATE = {s.status: s for s in STATES}
STEP = {s.key: s for s in STEPS}
DECISIONS = tuple(s for s in STEPS if s.tier is not None and s.moves and s.task is not None)

# The tier of each status under review, and where a resubmission goes back to.
STATUS_TIER = {s.status: s.tier for s in STATES if s.tier is not None}
TIER_STATUS = {
    Tier.LEAD: Status.LEAD_REVIEW,
    Tier.GROUP: Status.GROUP_REVIEW,
    Tier.MEETING: Status.MEETING_REVIEW,
}
UNDER_REVIEW = _REVIEWING
# The tiers in the order a request passes them.
TIER_ORDER: tuple[Tier, ...] = (Tier.LEAD, Tier.GROUP, Tier.MEETING)


def furthest_tier_after(reached: str, status: str) -> str:
    """The furthest tier a request has reached (``""``: none) once its status is ``status``,
    having reached ``reached`` before. A request reaches the group only through
    ``group_review`` and the meeting only through ``meeting_review`` (``deferred`` comes after
    it), so "the group" reached means the status was once ``group_review``, "the meeting" that
    it was once ``meeting_review``."""
    tier = STATUS_TIER.get(Status(status))
    if tier is None or (reached and TIER_ORDER.index(Tier(reached)) >= TIER_ORDER.index(tier)):
        return reached
    return str(tier)


def tiers_from(tier: Tier) -> list[str]:
    """``tier`` and the tiers after it: the furthest tiers of a request that reached ``tier``."""
    return [str(t) for t in TIER_ORDER[TIER_ORDER.index(tier) :]]


# The statuses of a request whose approved amount stands (the call's budget counts it).
AWARDED = (
    Status.APPROVED,
    Status.IN_NOTICE,
    Status.OBJECTION_REVIEW,
    Status.FINAL,
    Status.IN_EXECUTION,
    Status.ACCEPTANCE_REVIEW,
    Status.COMPLETED,
    Status.FAILED,
    Status.RECOVERY,
    Status.CLOSED,
)
FINAL = tuple(s.status for s in STATES if s.final)
APPLICANT_EDITS = tuple(s.status for s in STATES if s.applicant_edits)
OPEN_TASKS_FOR_STATUS = {s.status: set(s.open_tasks) for s in STATES if s.open_tasks}
DECISION_TASK = {s.status: s.decision_task for s in STATES if s.decision_task}

# The fields each transition sets besides the status (the same at every tier).
TOUCHED_FIELDS: dict[str, list[str]] = {}
for _step in STEPS:
    if _step.moves:
        TOUCHED_FIELDS.setdefault(_step.transition, list(_step.touches))


STAGE = {s.key: s for s in STAGES}
TIER_STAGE = {s.tier: s.key for s in STAGES if s.tier is not None}


def for_applicant(status: str, *, lead: str, tier: str = "") -> str:
    """What the applicant reads about a request with ``status``, in the active language."""
    return str(STATE[Status(status)].for_applicant).format(lead=lead, tier=tier)


def step_for(transition: str, tier: str | None) -> Step | None:
    """The step the audit trail recorded as ``transition`` at ``tier`` ('' for none)."""
    return STEP.get((transition, Tier(tier) if tier else None)) or next(
        (s for s in STEPS if s.transition == transition), None
    )


def label_for(transition: str, tier: str | None = None) -> str:
    """What an audit entry's action is called on the pages."""
    step = step_for(transition, tier)
    return str(step.label) if step else transition


def documents_for(transition: str, tier: str | None) -> tuple[str, ...]:
    """The kinds of decision document the step issues."""
    step = STEP.get((transition, Tier(tier) if tier else None))
    return step.documents if step else ()


def notices_for(transition: str, tier: str | None) -> tuple[str, ...]:
    """Who hears of the step: ``APPLICANT``, a tier, or ``CURRENT_TIER``."""
    step = STEP.get((transition, Tier(tier) if tier else None))
    return step.notices if step else ()
