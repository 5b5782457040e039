"""One function per action a user can take on an application.

Each runs in one transaction: it locks the application row, checks the actor's right and the
source state under that lock, performs exactly one transition, saves the fields it touched,
appends the audit entry, completes the flow task that was waiting for the decision, and
announces the change only after commit. Views, the flow, commands and tests call these; nothing
else changes an application's status.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm
from viewflow.workflow.status import STATUS

from . import permissions as rights
from .audit import canonical_json, record_refusal, record_transition
from .errors import InvalidInput, NotAllowed, NotFound, TransitionConflict
from .flows import DECISION_TASK, ReviewFlow
from .models import ApplicationRevision, Attachment, FundingApplication, Status, Tier
from .selectors import OPEN_TASK_STATES
from .signals import application_transitioned, transition_recorded
from .uploads import checked_content_type

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

_Service = TypeVar("_Service", bound=Callable[..., Any])

ONE_OPEN_REQUEST = next(
    c
    for c in FundingApplication._meta.constraints
    if c.name == "one_open_request_per_national_task_per_call"
)

# The fields each transition sets besides the status; saves name them explicitly.
TOUCHED_FIELDS: dict[str, list[str]] = {
    "submit": ["submitted_at"],
    "receive": [],
    "accept_for_review": [],
    "recommend": [],
    "approve": ["approved_amount", "decided_at"],
    "defer": [],
    "return_for_revision": ["returned_from_tier"],
    "reject": ["decided_at"],
    "resubmit": ["returned_from_tier", "revision"],
    "withdraw": ["decided_at"],
}

EDITABLE_FIELDS = (
    "call",
    "special_project",
    "national_task_code",
    "title",
    "national_approval_number",
    "national_funding",
    "own_funds",
    "other_local_funds",
    "requested_amount",
    "funding_form",
    "landing_district",
    "industrialised_in_beijing",
    "period_start",
    "period_end",
    "expected_sales_revenue",
    "expected_patents",
    "expected_jobs",
    "summary",
)


def refusals_recorded(service: _Service) -> _Service:
    """Keep every refused attempt (NotAllowed) for auditors, after the action rolled back."""

    @functools.wraps(service)
    def wrapper(*, actor: Any, **kwargs: Any) -> Any:
        try:
            return service(actor=actor, **kwargs)
        except NotAllowed as exc:
            if transaction.get_connection().needs_rollback:
                # Refused inside a caller's transaction that is now ending (``locked=``): the
                # caller is a service too, and records the refusal once it has rolled back.
                raise
            record_refusal(
                actor=actor,
                application_id=kwargs.get("application_id"),
                action=service.__name__,
                message=exc.message,
            )
            raise

    return cast(_Service, wrapper)


# --- drafts ---------------------------------------------------------------------------------


def create_application(*, actor: Any, data: dict[str, Any]) -> FundingApplication:
    """An applicant starts a request for their own organisation. It stays a draft until
    submitted. Refused for anyone who is not an applicant, and for invalid data."""
    profile = rights.profile_of(actor)
    if profile is None or profile.role != "applicant":
        raise NotAllowed(_("只有申报单位用户可以创建申请。"))
    application: FundingApplication = FundingApplication(
        organisation_id=profile.organisation_id, created_by=actor
    )
    _assign(application, data)
    with transaction.atomic():
        _validate(application)
        application.save(force_insert=True)
    return application


def update_application(
    *, application_id: int, actor: Any, data: dict[str, Any]
) -> FundingApplication:
    """The applicant edits a draft, or a request returned for revision. Refused in any other
    state and for anybody outside the applicant organisation."""
    with transaction.atomic():
        application = locked_application(application_id)
        if not rights.is_applicant_of(application, actor):
            raise NotAllowed()
        if application.status not in (Status.DRAFT, Status.RETURNED):
            raise TransitionConflict(_("只有草稿或退回修改的申请可以编辑。"))
        _assign(application, data)
        _validate(application)
        changed = [f for f in EDITABLE_FIELDS if f in data]
        application.save(update_fields=[_attname(f) for f in changed])
    return application


def add_attachment(*, application_id: int, actor: Any, kind: str, upload: Any) -> Attachment:
    """The applicant attaches a PDF, image or Office file to a draft or returned request.
    Refused for other file types (by name and by content), for files over the size limit,
    and in any other state."""
    content_type = checked_content_type(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        application = locked_application(application_id)
        if not rights.is_applicant_of(application, actor):
            raise NotAllowed()
        if application.status not in (Status.DRAFT, Status.RETURNED):
            raise TransitionConflict(_("只有草稿或退回修改的申请可以上传附件。"))
        attachment = Attachment(
            application=application,
            kind=kind,
            original_name=PurePath(upload.name).name[:200],
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
    return attachment


# --- the transitions ------------------------------------------------------------------------


@refusals_recorded
def submit_application(*, application_id: int, actor: Any) -> FundingApplication:
    """The applicant submits a draft inside the call's window; the lead department's queue
    receives it. Refused outside the window, for invalid data, and for other users."""

    def start_review(application: FundingApplication) -> None:
        _snapshot(application)
        application.review_process = ReviewFlow.start.run(application=application)
        application.save(update_fields=["review_process"])

    return _transition(
        application_id=application_id,
        actor=actor,
        name="submit",
        tier="",
        task=None,
        call={"at": timezone.now()},
        validate=True,
        then=start_review,
    )


@refusals_recorded
def accept_for_review(*, application_id: int, actor: Any, reason: str = "") -> FundingApplication:
    """The lead department accepts a request for the review group after its formal check."""
    return _transition(
        application_id=application_id,
        actor=actor,
        name="accept_for_review",
        tier=Tier.LEAD,
        task="lead_review",
        reason=reason,
    )


@refusals_recorded
def recommend_application(
    *,
    application_id: int,
    actor: Any,
    reason: str = "",
    amount: Decimal | None = None,
    locked: FundingApplication | None = None,
) -> FundingApplication:
    """The review group's chair recommends the request to the joint meeting, with an amount
    that is positive and within the request (checked by the transition, under the lock).
    ``locked``: the application as the caller locked it in its own open transaction (see
    ``_transition``)."""
    if amount is not None:
        amount = parse_money(amount)
    return _transition(
        application_id=application_id,
        actor=actor,
        name="recommend",
        tier=Tier.GROUP,
        task="group_review",
        reason=reason,
        details={"recommended_amount": amount} if amount is not None else {},
        call={"amount": amount},
        locked=locked,
    )


@refusals_recorded
def approve_application(
    *, application_id: int, actor: Any, amount: Decimal, reason: str = "", claim: bool = False
) -> FundingApplication:
    """The meeting secretary records the joint meeting's approval with the amount granted.
    Refused when the amount is not positive or exceeds the request. ``claim`` takes the
    unclaimed task in the same step, for a meeting's resolutions recorded together."""
    amount = parse_money(amount)
    return _transition(
        application_id=application_id,
        actor=actor,
        name="approve",
        tier=Tier.MEETING,
        task="meeting_review",
        claim=claim,
        reason=reason,
        details={"amount": amount},
        call={"amount": amount, "at": timezone.now()},
    )


@refusals_recorded
def defer_application(
    *, application_id: int, actor: Any, reason: str = "", claim: bool = False
) -> FundingApplication:
    """The meeting defers the request to a later meeting; it stays in the meeting's queue.
    ``claim`` as for ``approve_application``."""
    return _transition(
        application_id=application_id,
        actor=actor,
        name="defer",
        tier=Tier.MEETING,
        task="meeting_review",
        claim=claim,
        reason=reason,
    )


@refusals_recorded
def return_application(
    *,
    application_id: int,
    actor: Any,
    reason: str = "",
    reasons: list[dict[str, Any]] | None = None,
    locked: FundingApplication | None = None,
) -> FundingApplication:
    """The tier now holding the request returns it to the applicant for revision, with a
    written reason or structured reasons (``[{"item": ..., "text": ...}]``); the
    resubmission comes back to the same tier. ``locked`` as for ``recommend_application``."""
    reason, details = _reasons(reason, reasons)
    return _at_current_tier(
        application_id,
        actor,
        "return_for_revision",
        reason=reason,
        details=details,
        call={"reason": reason},
        locked=locked,
    )


@refusals_recorded
def reject_application(
    *,
    application_id: int,
    actor: Any,
    reason: str = "",
    reasons: list[dict[str, Any]] | None = None,
    claim: bool = False,
    locked: FundingApplication | None = None,
) -> FundingApplication:
    """The tier now holding the request rejects it, with a written reason. Final. ``claim`` as
    for ``approve_application``, ``locked`` as for ``recommend_application``."""
    reason, details = _reasons(reason, reasons)
    return _at_current_tier(
        application_id,
        actor,
        "reject",
        claim=claim,
        reason=reason,
        details=details,
        call={"reason": reason, "at": timezone.now()},
        locked=locked,
    )


@refusals_recorded
def resubmit_application(*, application_id: int, actor: Any) -> FundingApplication:
    """The applicant resubmits a returned request as a new revision; it goes back to the tier
    that returned it."""
    return _transition(
        application_id=application_id,
        actor=actor,
        name="resubmit",
        tier="",
        task="revision",
        validate=True,
        then=_snapshot,
    )


@refusals_recorded
def withdraw_application(
    *, application_id: int, actor: Any, reason: str = ""
) -> FundingApplication:
    """The applicant withdraws a request before a final decision; every open task is closed."""

    def close_tasks(application: FundingApplication) -> None:
        if application.review_process_id:
            ReviewFlow.instance.cancel(application.review_process)

    return _transition(
        application_id=application_id,
        actor=actor,
        name="withdraw",
        tier="",
        task=None,
        reason=reason,
        call={"at": timezone.now()},
        then=close_tasks,
    )


# --- the shared mechanism -------------------------------------------------------------------


def _at_current_tier(
    application_id: int, actor: Any, name: str, **kwargs: Any
) -> FundingApplication:
    # The tier comes from the status under the lock, so read it there (see _transition).
    return _transition(
        application_id=application_id, actor=actor, name=name, tier=None, task="current", **kwargs
    )


def _transition(
    *,
    application_id: int,
    actor: Any,
    name: str,
    tier: str | None,
    task: str | None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    call: dict[str, Any] | None = None,
    validate: bool = False,
    then: Callable[[FundingApplication], object] | None = None,
    claim: bool = False,
    locked: FundingApplication | None = None,
) -> FundingApplication:
    """The one transition ``name`` on the application, as the module docstring says.

    ``locked`` is the application as a caller already locked it (``locked_application``) in
    the transaction it still holds open, when the caller reads it before deciding (the group's
    recommendation): the lock is not taken again, and no savepoint is opened, since any error
    here ends the caller's transaction too."""
    if locked is not None and (
        locked.pk != application_id or not transaction.get_connection().in_atomic_block
    ):
        raise RuntimeError("locked= takes the application locked in the open transaction")
    with transaction.atomic(savepoint=locked is None):
        application = locked if locked is not None else locked_application(application_id)
        if tier is None:
            tier = application.current_tier or ""
        open_task = None
        if task is not None:
            open_task = decision_task(application)
            if open_task is None:
                raise TransitionConflict(
                    _("专家评分尚未全部完成，组长尚不能作出决定。")
                    if application.status == Status.GROUP_REVIEW
                    else None
                )
        _check(application, actor, name)
        if (
            open_task is not None
            and open_task.flow_task.name != "revision"
            and open_task.owner_id != actor.pk
        ):
            if not claim:
                raise NotAllowed(_("请先认领该任务。"))
            if open_task.owner_id is not None:
                raise TransitionConflict(_("该任务已被他人认领。"))
        if validate:
            _validate(application, as_stored=True)
        _apply(
            application,
            actor,
            name=name,
            tier=tier,
            reason=reason,
            details=details,
            call=call or {},
            checked=True,
        )
        if open_task is not None:
            complete_task(open_task, actor, application)
        if then is not None:
            then(application)
    return application


def _check(application: FundingApplication, actor: Any, name: str) -> None:
    bound = getattr(application, name)
    if not can_proceed(bound, check_conditions=False):
        raise TransitionConflict()
    if not has_transition_perm(bound, actor):
        raise NotAllowed(rights.why_not(application, actor, application.current_tier))


def _apply(
    application: FundingApplication,
    actor: Any,
    *,
    name: str,
    tier: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    call: dict[str, Any] | None = None,
    checked: bool = False,
) -> None:
    if not checked:
        _check(application, actor, name)
    source = application.status
    try:
        getattr(application, name)(**(call or {}))
        application.save(update_fields=["status", *TOUCHED_FIELDS[name]])
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise TransitionConflict() from exc
    entry = record_transition(
        application,
        actor=actor,
        name=name,
        source=source,
        tier=tier,
        reason=(reason or "").strip(),
        details=details,
    )
    transition_recorded.send(
        sender=FundingApplication, application=application, transition=name, audit_entry=entry
    )
    payload = {
        "application_id": application.pk,
        "transition": name,
        "audit_entry_id": entry.pk,
        "actor_id": getattr(actor, "pk", None),
    }
    transaction.on_commit(
        lambda: application_transitioned.send(sender=FundingApplication, **payload)
    )


def complete_task(task: Task, actor: Any, application: FundingApplication) -> None:
    """Complete ``task`` and open the next one. The caller holds the application's row lock
    (``locked_application``), which is the flow's lock, so it is not taken a second time."""
    # The decision routes on the status this transition left: hand it the locked row.
    task.process.funding_application = application
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:  # never claimed: the applicant's revision, or claim=True
        activation.assign(actor)
    activation.start(None)
    activation.execute()


def open_tasks(application: FundingApplication, *names: str) -> list[Task]:
    """The application's open flow tasks (of the given node names), oldest first."""
    if not application.review_process_id:
        return []
    tasks = ReviewFlow.task_class._default_manager.filter(
        process_id=application.review_process_id, status__in=OPEN_TASK_STATES
    )
    if names:
        tasks = tasks.filter(flow_task__in=[getattr(ReviewFlow, n) for n in names])
    found = list(tasks.select_related("process").order_by("created", "id"))
    for task in found:  # viewflow's permission checks and routing read the application here
        task.process.funding_application = application
    return found


def decision_task(application: FundingApplication) -> Task | None:
    """The open task whose completion is the decision the current status waits for."""
    name = DECISION_TASK.get(application.status)
    found = open_tasks(application, name) if name else []
    return found[0] if found else None


def locked_application(application_id: int) -> FundingApplication:
    try:
        return cast(
            FundingApplication,
            FundingApplication.objects.select_for_update(of=("self",))
            .select_related("special_project", "call")
            .get(pk=application_id),
        )
    except FundingApplication.DoesNotExist as exc:
        raise NotFound(_("申请不存在。")) from exc


def _reasons(reason: str, reasons: list[dict[str, Any]] | None) -> tuple[str, dict[str, Any]]:
    """The written reason, and the structured reasons kept in the audit entry's details."""
    reasons = [
        {"item": str(r.get("item", "")), "text": str(r.get("text", "")).strip()}
        for r in (reasons or [])
        if str(r.get("text", "")).strip()
    ]
    text = (reason or "").strip()
    if reasons and not text:
        text = "；".join(r["text"] for r in reasons)
    return text, ({"reasons": reasons} if reasons else {})


def _snapshot(application: FundingApplication) -> None:
    content = json.loads(canonical_json(application.content_fields()))
    ApplicationRevision.objects.create(
        application=application, number=application.revision, content=content
    )


def _assign(application: FundingApplication, data: dict[str, Any]) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("不可编辑的字段：%s") % ", ".join(sorted(unknown)))
    for field, value in data.items():
        setattr(application, field, value)


def _validate(application: FundingApplication, *, as_stored: bool = False) -> None:
    """Field and cross-field rules, and the one-open-request rule. The check constraints stay
    with the database: clean() states them in the users' words. ``as_stored`` is for a row
    checked again as it is stored (a submission): the database already holds its place among
    the open requests and its references, so those are not queried again."""
    exclude = ["status", "created_by", "organisation", "review_process"]
    if as_stored:
        exclude += ["call", "special_project"]
    try:
        # Not full_clean(): cleaning would assign the protected status field.
        application.clean_fields(exclude=exclude)
        application.clean()
        if not as_stored:
            ONE_OPEN_REQUEST.validate(FundingApplication, application)
    except ValidationError as exc:
        raise InvalidInput(_format_errors(exc)) from exc


def _format_errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return pgettext("between items", "；").join(
            f"{_label(field)}{pgettext('before a value', '：')}{' '.join(messages)}"
            if field != "__all__"
            else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _label(field: str) -> str:
    try:
        return str(FundingApplication._meta.get_field(field).verbose_name)
    except Exception:
        return field


def _attname(field: str) -> str:
    return cast(str, FundingApplication._meta.get_field(field).attname)


def parse_money(amount: Any) -> Decimal:
    """An amount of yuan from user input, to the fen; InvalidInput unless a finite number."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except Exception as exc:
        raise InvalidInput(_("金额格式不正确。")) from exc
    if not value.is_finite():  # Decimal("NaN") quantizes without complaint, then fails to compare
        raise InvalidInput(_("金额格式不正确。"))
    return value
