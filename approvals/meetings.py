"""Tier 3: the municipal joint meeting (市联席会议) — its agenda, and its resolutions recorded in
one batch with the call's budget, the pool draw and the minutes. This is the only way a request
is approved, deferred, returned or rejected at the joint meeting."""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, cast

from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from workflows.errors import InvalidInput, NotAllowed, NotFound, TransitionConflict
from workflows.models import FundingApplication, FundingCall, Status
from workflows.money import parse_money
from workflows.review_path import AWARDED, Tier
from workflows.statements import prepared
from workflows.transitions import locked_applications, perform, refusals_recorded

from .meeting_schedule import create_meeting, update_meeting
from .meeting_schedule import secretary as _secretary
from .models import AgendaItem, GroupRecommendation, Meeting
from .policy_store import mark_policy_used
from .pool import plan_pool_draw, pool_draw_rows
from .resolution_writes import write_resolutions
from .signals import meeting_resolved

AWAITING_MEETING = (Status.MEETING_REVIEW, Status.DEFERRED)

__all__ = ["create_meeting", "update_meeting"]  # scheduling lives in meeting_schedule


def _locked_meeting(meetings: QuerySet[Meeting], meeting_id: int) -> Meeting:
    """The meeting, its row locked."""
    meeting = meetings.select_for_update().filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(_("会议不存在。"))
    return meeting


def _resolving(meeting_id: int) -> tuple[Meeting, list[AgendaItem], Decimal]:
    """For the resolutions: the meeting and its call, their rows locked (FOR NO KEY UPDATE on
    PostgreSQL, so that new requests of the call are not held up), and in the same statement,
    read once the locks are granted, the meeting's agenda (in its order) and what the call's
    approvals already hold of its budget. On PostgreSQL a subquery would see them as they were
    before the statement waited for another meeting of the call; a VOLATILE function evaluated
    above the locks takes its own snapshot (migration ``approvals.0010``). SQLite's writers
    take the database one at a time from BEGIN IMMEDIATE, so a subquery sees every commit."""
    statement = prepared(("meeting resolving",), _locking_meeting, meeting_id, wrap=_with_agenda)
    found = statement.rows(meeting_id)
    if not found:
        raise NotFound(_("会议不存在。"))
    row, extra = found[0]
    meeting = cast(Meeting, row)
    if transaction.get_connection().vendor == "postgresql":
        rows, approved = json.loads(extra[0])
        total = Decimal(approved)
    else:  # SQLite: the amounts one by one, added up exactly here
        rows = json.loads(extra[0])
        total = sum((Decimal(str(a)) for a in json.loads(extra[1])), Decimal(0))
    items = [
        _agenda_item(meeting, *columns) for columns in sorted(rows, key=lambda r: (r[2], r[0]))
    ]
    return meeting, items, total.quantize(Decimal("0.01"))


def _agenda_item(
    meeting: Meeting,
    pk: int,
    application_id: int,
    position: int,
    score: str | None,
    requested: str,
    recommended: str | None,
    resolution: str,
    approved: str | None,
    reason: str,
) -> AgendaItem:
    def money(value: str | float | None) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))

    item = AgendaItem(
        pk=pk,
        meeting=meeting,
        application_id=application_id,
        position=position,
        weighted_score=money(score),
        requested_amount=Decimal(str(requested)).quantize(Decimal("0.01")),
        recommended_amount=money(recommended),
        resolution=resolution,
        approved_amount=money(approved),
        reason=reason,
    )
    item._state.adding = False
    item._state.db = meeting._state.db
    return item


def _locking_meeting(meeting_id: int) -> QuerySet[Meeting]:
    return (
        Meeting.objects.select_related("call")
        .select_for_update(of=("self", "call"), no_key=True)
        .filter(pk=meeting_id)
        # Names the statement around it can refer to.
        .annotate(locked_meeting=F("pk"), locked_call=F("call_id"))
    )


def _with_agenda(sql: str, vendor: str) -> str:
    awarded = [str(s) for s in AWARDED]
    if not all(s.isidentifier() for s in awarded):  # pragma: no cover - statuses are codes
        raise RuntimeError("a status code that is no SQL literal")
    statuses = ", ".join(f"'{s}'" for s in awarded)
    if vendor == "postgresql":
        read = (
            "approvals_agenda_after_lock(locked.locked_meeting, locked.locked_call, "
            f"ARRAY[{statuses}]::text[])"
        )
    else:
        items = AgendaItem._meta.db_table
        applications = FundingApplication._meta.db_table
        read = (
            "(SELECT json_group_array(json_array(i.id, i.application_id, i.position, "  # noqa: S608
            "CAST(i.weighted_score AS TEXT), CAST(i.requested_amount AS TEXT), "
            "CAST(i.recommended_amount AS TEXT), i.resolution, "
            "CAST(i.approved_amount AS TEXT), i.reason)) "
            f'FROM "{items}" AS i WHERE i.meeting_id = locked.locked_meeting), '
            "(SELECT json_group_array(CAST(a.approved_amount AS TEXT)) "
            f'FROM "{applications}" AS a WHERE a.call_id = locked.locked_call '
            f"AND a.status IN ({statuses}) AND a.approved_amount IS NOT NULL)"
        )
    return f"SELECT locked.*, {read} FROM ({sql}) AS locked"  # noqa: S608


class _Ranking(TypedDict):
    score: Decimal | None
    recommended: Decimal | None


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from workflows.actors import Actor

    # An application with its latest group recommendation's score and amount.
    RankedApplication = WithAnnotations[FundingApplication, _Ranking]


def awaiting_meeting(call: FundingCall) -> QuerySet[RankedApplication]:
    """Requests of the call waiting for a meeting and on no other open agenda, best score
    first, then earliest submitted."""
    latest = GroupRecommendation.objects.filter(application=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return cast(
        "QuerySet[RankedApplication]",
        FundingApplication.objects.filter(call=call, status__in=AWAITING_MEETING)
        .exclude(agenda_items__meeting__state=Meeting.State.PLANNED)
        .annotate(
            score=Subquery(latest.values("weighted_score")[:1]),
            recommended=Subquery(latest.values("recommended_amount")[:1]),
        )
        .order_by("-score", "submitted_at", "id"),
    )


def build_agenda(
    *, meeting_id: int, actor: Actor, application_ids: list[int] | None = None
) -> list[AgendaItem]:
    """The secretariat fills a planned meeting's agenda with the requests waiting for a meeting
    (deferred ones included), ranked by score: all of them, or those named. Rebuilding replaces
    the agenda. Refused for a request named that is not waiting for this call's meeting."""
    _secretary(actor)
    with transaction.atomic():
        meeting = _locked_meeting(Meeting.objects.all(), meeting_id)
        if meeting.state != Meeting.State.PLANNED:
            raise TransitionConflict(_("会议已形成决议，不能再调整议程。"))
        waiting = awaiting_meeting(meeting.call)
        if application_ids is not None:
            waiting = waiting.filter(pk__in=application_ids)
            missing = set(application_ids) - {a.pk for a in waiting}
            if missing:
                raise InvalidInput(
                    _("以下申请不在待审议之列：%s") % ", ".join(map(str, sorted(missing)))
                )
        meeting.items.all().delete()
        return AgendaItem.objects.bulk_create(
            AgendaItem(
                meeting=meeting,
                application=a,
                position=i,
                weighted_score=a.score,
                requested_amount=a.requested_amount,
                recommended_amount=a.recommended,
            )
            for i, a in enumerate(waiting, 1)
        )


@dataclass(frozen=True)
class AgendaLine:
    item: AgendaItem
    lead_opinion: str
    group_opinion: str
    running_total: Decimal
    remaining_after: Decimal
    # Earlier meetings that deferred this request: (date, reason), oldest first.
    deferrals: list[tuple[datetime.date, str]] = field(default_factory=list)


def remaining_budget(call: FundingCall) -> Decimal:
    approved = FundingApplication.objects.filter(call=call, status__in=AWARDED).aggregate(
        total=Sum("approved_amount")
    )["total"]
    return call.total_budget - (approved or Decimal(0))


def meeting_agenda(meeting: Meeting) -> list[AgendaLine]:
    """The agenda as the meeting reads it: each request's opinions from the lower tiers, its
    requested and recommended amounts, and the running total of recommendations against the
    call's remaining budget. A fixed number of queries."""
    items = list(
        meeting.items.select_related("application__organisation", "application__special_project")
    )
    ids = [i.application_id for i in items]
    opinions: dict[tuple[int, str], str] = {}
    from workflows.models import AuditEntry

    for entry in (
        AuditEntry.objects.filter(
            application_id__in=ids, transition__in=("accept_for_review", "recommend")
        )
        .order_by("seq")
        .only("application_id", "transition", "reason")
    ):
        opinions[(entry.application_id, entry.transition)] = entry.reason
    deferrals: dict[int, list[tuple[datetime.date, str]]] = {}
    for earlier in (
        AgendaItem.objects.filter(application_id__in=ids, resolution=AgendaItem.Resolution.DEFER)
        .exclude(meeting=meeting)
        .order_by("meeting__held_on", "meeting_id")
        .values_list("application_id", "meeting__held_on", "reason")
    ):
        deferrals.setdefault(earlier[0], []).append((earlier[1], earlier[2]))
    remaining = remaining_budget(meeting.call)
    running = Decimal(0)
    lines = []
    for item in items:
        running += item.recommended_amount or Decimal(0)
        lines.append(
            AgendaLine(
                item,
                opinions.get((item.application_id, "accept_for_review"), ""),
                opinions.get((item.application_id, "recommend"), ""),
                running,
                remaining - running,
                deferrals.get(item.application_id, []),
            )
        )
    return lines


def as_recommended(meeting: Meeting) -> list[Resolution]:
    """Every item of the agenda approved at the review group's recommended amount: the batch
    the secretary records when the meeting approved the agenda as it stood."""
    return [
        Resolution(item.application_id, "approve", item.recommended_amount, "")
        for item in meeting.items.order_by("position")
    ]


@dataclass(frozen=True)
class Resolution:
    application_id: int
    decision: str  # approve, defer, return or reject
    amount: Decimal | None = None
    reason: str = ""


@refusals_recorded
def record_resolutions(*, meeting_id: int, actor: Actor, resolutions: list[Resolution]) -> Meeting:
    """After the meeting the secretary records the resolution of every agenda item at once:
    either all are recorded, each with its own audit entry and document, or none. Refused when
    an item is missing or unknown, when an approval lacks an amount or exceeds the request (or
    the recommendation without a reason), and when the approvals together exceed the call's
    remaining budget (the message names the overrun).

    When a matching-fund policy is in force for the call, the approvals are first drawn on the
    call's pool (score descending, then submission time); an oversubscribed pool refuses the
    whole batch, naming each department short and by how much. Otherwise the balances are
    lowered and each approval's split by department and form is kept with the policy version,
    in the same transaction."""
    _secretary(actor)
    with transaction.atomic():
        # The call's row too: its meetings resolve one at a time, so the remaining budget and
        # the pool are read after any other meeting of the call has committed.
        # With the agenda and the call's approved total, read once both rows are locked.
        meeting, agenda, approved = _resolving(meeting_id)
        if meeting.state != Meeting.State.PLANNED:
            raise TransitionConflict(_("该会议的决议已经记录。"))
        if timezone.localdate() < meeting.held_on:
            raise InvalidInput(
                _("会议定于 %(date)s 召开，会前不能记录决议。")
                % {"date": meeting.held_on.isoformat()}
            )
        items = {i.application_id: i for i in agenda}
        if not items:
            raise InvalidInput(_("会议议程为空，请先生成议程。"))
        given = {r.application_id: r for r in resolutions}
        if set(given) != set(items) or len(given) != len(resolutions):
            missing = sorted(set(items) - set(given))
            raise InvalidInput(
                _("须对议程中的每一项作出决议，且每项只能一次（缺少：%s）。")
                % ", ".join(map(str, missing))
                if missing
                else _("决议中有不在议程上的项目或重复项目。")
            )
        resolutions = [_with_amount(r) for r in resolutions]
        _check_budget(
            meeting.call.total_budget - approved,
            [r for r in resolutions if r.decision == "approve"],
        )
        # Every request on the agenda locked in one statement, with what the pool's draw reads
        # of it (its organisation's district, its special project).
        applications = locked_applications(list(items), "organisation__district")
        pool_draw = plan_pool_draw(
            call=meeting.call,
            call_locked=True,
            approvals=[
                (items[r.application_id], r.amount) for r in resolutions if r.decision == "approve"
            ],
            applications=applications,
        )
        for position, resolution in enumerate(
            sorted(resolutions, key=lambda r: items[r.application_id].position), 1
        ):
            _resolve_one(
                items[resolution.application_id],
                resolution,
                actor,
                position,
                applications[resolution.application_id],
            )
        write_resolutions(
            meeting=meeting,
            resolved_at=timezone.now(),
            items=list(items.values()),
            pool=pool_draw_rows(pool_draw, items=items) if pool_draw is not None else None,
        )
        if pool_draw is not None:
            mark_policy_used(pool_draw.in_force.record)
        meeting_resolved.send(sender=Meeting, meeting=meeting)
    return meeting


def _with_amount(resolution: Resolution) -> Resolution:
    """The resolution with its amount read as yuan to the fen (InvalidInput if it is none)."""
    if resolution.decision != "approve" or resolution.amount is None:
        return resolution
    return dataclasses.replace(resolution, amount=parse_money(resolution.amount))


def _check_budget(remaining: Decimal, approvals: list[Resolution]) -> None:
    total = sum((r.amount or Decimal(0) for r in approvals), Decimal(0))
    if total > remaining:
        raise InvalidInput(
            _("本次批准总额 %(total)s 元超出本批次剩余预算 %(remaining)s 元，超出 %(over)s 元。")
            % {
                "total": f"{total:,.2f}",
                "remaining": f"{remaining:,.2f}",
                "over": f"{total - remaining:,.2f}",
            }
        )


def _resolve_one(
    item: AgendaItem,
    resolution: Resolution,
    actor: Actor,
    position: int,
    application: FundingApplication,
) -> None:
    label = _("第%(n)d项") % {"n": position}
    try:
        transition, call = _resolution_step(item, resolution)
        perform(
            transition,
            application_id=resolution.application_id,
            actor=actor,
            tier=Tier.MEETING,
            reason=resolution.reason,
            details={"meeting": item.meeting_id, "amount": resolution.amount}
            if transition == "approve"
            else {"meeting": item.meeting_id},
            call=call,
            claim=True,
            # One batch: a refused item ends the whole transaction, so no savepoint per item.
            locked=application,
        )
    except (InvalidInput, NotAllowed, TransitionConflict) as exc:
        colon = pgettext("before a value", "：")
        refused = type(exc)(f"{label}（{item.application_id}）{colon}{exc.message}")
        refused.application_id = item.application_id  # the refused attempt names its request
        raise refused from exc
    if transition == "approve":
        item.approved_amount = resolution.amount
    item.resolution = resolution.decision
    item.reason = resolution.reason


def _resolution_step(item: AgendaItem, resolution: Resolution) -> tuple[str, dict[str, object]]:
    """The review path's step for one resolution, and the transition's arguments."""
    if resolution.decision == "approve":
        if resolution.amount is None:
            raise InvalidInput(_("须填写批准金额。"))
        amount = parse_money(resolution.amount)
        recommended = item.recommended_amount
        if recommended is not None and amount > recommended and not resolution.reason.strip():
            raise InvalidInput(_("批准金额高于审核工作小组建议金额时须说明理由。"))
        return "approve", {"amount": amount, "at": timezone.now()}
    if resolution.decision == "defer":
        return "defer", {}
    if resolution.decision == "return":
        return "return_for_revision", {"reason": resolution.reason}
    if resolution.decision == "reject":
        return "reject", {"reason": resolution.reason, "at": timezone.now()}
    raise InvalidInput(_("未知的决议。"))
