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
            "市联席会议已批准配套资金。批复文书可在下方下载。",
            "The joint meeting approved the matching funds. The approval can be downloaded below.",
        ),
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
