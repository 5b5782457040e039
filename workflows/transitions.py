"""The transition engine, private to the decision path.

``perform`` takes one step of the review path (``review_path.STEPS``) on one application, in
one transaction: it locks the application row (the flow's lock too), checks that the step is
the one the status waits for at the tier the caller decides for, checks the actor's right under
the lock, calls the state machine's transition, completes the flow task that was waiting for
the decision, saves the fields it touched (the row is written once), appends the audit entry
last, and announces the change after commit. The application's chain is read once under the
lock (``audit.chain_state``), for the rights and for the append.

Only the public services call it: the applicant's steps (``workflows.submission``), claiming
(``workflows.assignments``) and the three tiers' decisions (``approvals.lead_review``,
``approvals.group_review``, ``approvals.meetings``), each of which checks its tier's own rules
first. Views, commands, the admin, the demo, documents and the tests' factories never import
this module; the import contract in ``pyproject.toml`` (``make lint``) keeps it so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import transaction
from django.db.models import F, Model, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm

from . import access, audit
from . import permissions as rights
from .audit import record_refusal, record_transition
from .errors import NotAllowed, NotFound, TransitionConflict
from .flow_tasks import complete_task, decision_task
from .models import MOVE_FIELDS, AuditEntry, FundingApplication, FundingCall, SpecialProject, Status
from .models.reference import COVERED_CODES
from .review_path import STEP, TOUCHED_FIELDS, Step, Tier
from .selectors import keep_open_tasks_read_with_row, open_tasks_read_with_lock
from .signals import application_transitioned, transition_recorded
from .statements import Prepared, prepared, prepared_for_ids, writes_held

if TYPE_CHECKING:
    from .actors import Actor

_Service = TypeVar("_Service", bound=Callable[..., Any])


def refusals_recorded(service: _Service) -> _Service:
    """Keep every refused attempt (NotAllowed) of a public service for auditors, after the
    action rolled back."""

    @functools.wraps(service)
    def wrapper(*, actor: Actor, **kwargs: Any) -> Any:
        try:
            return service(actor=actor, **kwargs)
        except NotAllowed as exc:
            if transaction.get_connection().needs_rollback:
                # Refused inside a caller's transaction that is now ending (``locked=``): the
                # caller is a service too, and records the refusal once it has rolled back.
                raise
            record_refusal(
                actor=actor,
                application_id=exc.application_id or kwargs.get("application_id"),
                action=service.__name__,
                message=exc.message,
            )
            raise

    return cast(_Service, wrapper)


def locked_application(application_id: int, *related: str) -> FundingApplication:
    """The application, its row locked until the transaction ends; its special project, its
    call and the ``related`` a service reads (only the application's row is locked). The lock
    is PostgreSQL's FOR NO KEY UPDATE: decisions on the application wait for each other, while
    other transactions that only insert rows referring to it (their foreign-key check) do not.
    The application's audit chain comes in the same statement, read once the lock is granted
    (``audit.chain_state`` then asks nothing)."""
    statement = prepared(
        ("locked application", related),
        lambda pk: _locking(related).filter(pk=pk),
        application_id,
        wrap=_with_chain,
    )
    found = _locked(statement, application_id)
    if not found:
        raise NotFound(_("申请不存在。"))
    return found[0]


def locked_applications(ids: list[int], *related: str) -> dict[int, FundingApplication]:
    """Several applications by id, their rows locked until the transaction ends, in one
    statement and in id order (as every batch takes them, so two batches never wait for each
    other in a circle); with what ``locked_application`` reads of each, and the ``related``.
    NotFound if one is missing."""
    distinct = tuple(sorted(set(ids)))
    statement = prepared_for_ids(
        ("locked applications", related),
        lambda pks: _locking(related).filter(pk__in=pks).order_by("pk"),
        distinct,
        wrap=_with_chain,
    )
    found = {a.pk: a for a in _locked(statement, *distinct)}
    if len(found) != len(set(ids)):
        raise NotFound(_("申请不存在。"))
    return found


def _locking(related: tuple[str, ...]) -> QuerySet[FundingApplication]:
    return cast(
        "QuerySet[FundingApplication]",
        FundingApplication.objects.select_for_update(of=("self",), no_key=True)
        .select_related("special_project", "call", *related)
        # Names the statement around it can refer to.
        .annotate(locked_pk=F("pk"), locked_call=F("call_id")),
    )


def _with_chain(sql: str, vendor: str) -> str:
    """The locking SELECT and, in the same statement, the chain of each row it locked, read
    once the lock is granted. On PostgreSQL a subquery would see the chain as it was when the
    statement began, before it waited for the lock; a VOLATILE function evaluated above the
    lock takes its own snapshot (migration ``workflows.0020``). SQLite's writers take the
    database one at a time from BEGIN IMMEDIATE, so a subquery sees every commit."""
    if vendor == "postgresql":
        chain = "workflows_chain_after_lock(locked.locked_pk)"
    else:
        chain = (
            "(SELECT json_group_array(json_array(e.app_seq, e.entry_hash, e.actor_id, "  # noqa: S608
            f'e.transition, e.tier)) FROM "{AuditEntry._meta.db_table}" AS e '
            "WHERE e.application_id = locked.locked_pk)"
        )
    # And the codes of the special projects its call covers (the policy's facts name them).
    covers = FundingCall._meta.get_field("special_projects")
    codes = (
        f"(SELECT {'string_agg' if vendor == 'postgresql' else 'group_concat'}(p.code, ',') "  # noqa: S608
        f'FROM "{SpecialProject._meta.db_table}" AS p JOIN "{covers.m2m_db_table()}" AS c '
        f'ON c."{covers.m2m_reverse_name()}" = p.id '
        f'WHERE c."{covers.m2m_column_name()}" = locked.locked_call)'
    )
    # And its open tasks, read once the lock is granted (``selectors.open_tasks_read_with_lock``).
    tasks = open_tasks_read_with_lock(vendor)
    also = "" if tasks is None else f", {tasks}"
    return f"SELECT locked.*, {chain}, {codes}{also} FROM ({sql}) AS locked"  # noqa: S608


def _locked(statement: Prepared, *values: Any) -> list[FundingApplication]:
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("the row lock is held by a transaction only")
    found = []
    for row, (chain, codes, *tasks) in statement.rows(*values):
        application = cast(FundingApplication, row)
        audit.keep_chain_read_with_row(application, chain)
        if tasks:
            keep_open_tasks_read_with_row(application, tasks[0])
        application.call.__dict__[COVERED_CODES] = tuple(sorted(codes.split(","))) if codes else ()
        found.append(application)
    return found


def perform(
    transition: str,
    *,
    application_id: int,
    actor: Actor,
    tier: Tier | None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    call: dict[str, Any] | None = None,
    check: Callable[[FundingApplication], object] | None = None,
    then: Callable[[FundingApplication], object] | None = None,
    also_saves: tuple[str, ...] = (),
    claim: bool = False,
    waits_for_task: bool = True,
    locked: FundingApplication | None = None,
    records: tuple[Model, ...] = (),
) -> FundingApplication:
    """Take the step ``transition`` at ``tier`` (None for the applicant's own steps).

    ``call`` are the transition's arguments; ``check`` runs under the lock once the actor's
    right is established (the submission's data checks), ``then`` after the transition (the
    flow's start, the revision snapshot), before the application is saved: ``also_saves``
    names the fields ``then`` sets, saved with the status. ``claim`` takes the unclaimed
    decision task in the same step (a meeting's resolutions). ``waits_for_task`` is false for
    the steps that no decision task waits for (submission, receipt, withdrawal). ``locked`` is
    the application as the caller already locked it (``locked_application``) in the
    transaction it holds open: the lock is not taken again and no savepoint is opened, since
    any error here ends the caller's transaction too. ``records`` are the tier's own new rows
    of the decision (a formal check, a group recommendation), written with it.

    The application's row is written once, after the flow's task and ``then``, and the audit
    entry is appended last."""
    if locked is not None and (
        locked.pk != application_id or not transaction.get_connection().in_atomic_block
    ):
        raise RuntimeError("locked= takes the application locked in the open transaction")
    with transaction.atomic(savepoint=locked is None):
        application = locked if locked is not None else locked_application(application_id)
        step = ensure_may_take(transition, tier=tier, application=application, actor=actor)
        open_task = None
        if waits_for_task:
            open_task = decision_task(application)
            if open_task is None or open_task.flow_task.name != step.task:
                raise TransitionConflict(
                    _("专家评分尚未全部完成，组长尚不能作出决定。")
                    if application.status == Status.GROUP_REVIEW
                    else None
                )
        if (
            open_task is not None
            and open_task.flow_task.name != "revision"
            and open_task.owner_id != actor.pk
        ):
            if not claim:
                raise NotAllowed(_("请先认领该任务。"))
            if open_task.owner_id is not None:
                raise TransitionConflict(_("该任务已被他人认领。"))
        if check is not None:
            check(application)
        source = application.status
        try:
            getattr(application, transition)(**(call or {}))
        except TransitionNotAllowed as exc:
            raise TransitionConflict() from exc
        application.note_move(source, timezone.now())
        # The flow's task writes go with the decision's own statement on PostgreSQL.
        with writes_held():
            if open_task is not None:
                complete_task(open_task, actor, application)
            if then is not None:
                then(application)
            try:
                _record(
                    application,
                    actor,
                    transition=transition,
                    source=source,
                    tier=tier,
                    reason=reason,
                    details=details,
                    saving=("status", *MOVE_FIELDS, *TOUCHED_FIELDS[transition], *also_saves),
                    records=records,
                )
            except ConcurrentTransition as exc:
                raise TransitionConflict() from exc
    return application


def ensure_may_take(
    transition: str, *, tier: Tier | None, application: FundingApplication, actor: Actor
) -> Step:
    """Refuse the step unless the actor's role is one the review path names for it
    (NotAllowed), the application's status is one it leaves from (TransitionConflict), and the
    actor may act on this very application (NotAllowed, saying why: another department, their
    own organisation, a declared conflict, another tier). A tier's service asks this first,
    under the lock, before its own rules; ``perform`` asks it again."""
    step = STEP.get((transition, tier))
    if step is None:
        raise RuntimeError(f"no step {transition!r} at tier {tier!r} in the review path")
    if access.role_of(actor) not in step.who:
        raise NotAllowed()
    if application.status not in step.sources:
        raise TransitionConflict()
    bound = getattr(application, transition)
    if not can_proceed(bound, check_conditions=False):
        raise TransitionConflict()
    if not has_transition_perm(bound, actor):
        raise NotAllowed(rights.why_not(application, actor, application.current_tier))
    return step


def _record(
    application: FundingApplication,
    actor: Actor,
    *,
    transition: str,
    source: str,
    tier: Tier | None,
    reason: str,
    details: dict[str, Any] | None,
    saving: tuple[str, ...],
    records: tuple[Model, ...],
) -> None:
    """The row's fields ``saving`` and the audit entry of the step (one statement on
    PostgreSQL), and its announcements (now, and after commit)."""
    entry = record_transition(
        application,
        actor=actor,
        name=transition,
        source=source,
        tier=tier or "",
        reason=(reason or "").strip(),
        details=details,
        saving=saving,
        records=records,
    )
    transition_recorded.send(
        sender=FundingApplication,
        application=application,
        transition=transition,
        audit_entry=entry,
    )
    payload = {
        "application_id": application.pk,
        "transition": transition,
        "audit_entry_id": entry.pk,
        "actor_id": actor.pk,
    }
    transaction.on_commit(
        lambda: application_transitioned.send(sender=FundingApplication, **payload)
    )


def written_reasons(
    reason: str, reasons: list[dict[str, Any]] | None
) -> tuple[str, dict[str, Any]]:
    """The written reason, and the structured reasons (``[{"item": ..., "text": ...}]``) kept
    in the audit entry's details; the reason defaults to the items' texts."""
    kept = [
        {"item": str(r.get("item", "")), "text": str(r.get("text", "")).strip()}
        for r in (reasons or [])
        if str(r.get("text", "")).strip()
    ]
    text = (reason or "").strip()
    if kept and not text:
        text = "；".join(r["text"] for r in kept)
    return text, ({"reasons": kept} if kept else {})
