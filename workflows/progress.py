"""Where a request stands, as its page shows it: the step tracker (the review path's stages,
from ``review_path.STAGES``), the sentence the applicant reads, and by when the tier it is with
should act (``deadlines.due_at``). Reads only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .deadlines import due_at
from .names import local_name
from .review_path import STAGES, STATE, TIER_STAGE, Status, Tier, for_applicant

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

    from .models import FundingApplication


@dataclass(frozen=True)
class StageMark:
    """One stop of the tracker: ``done``, ``current`` (``returned``, ``stopped`` when the
    request came back or ended there) or ``ahead``."""

    label: str
    mark: str

    @property
    def is_here(self) -> bool:
        return self.mark in ("current", "returned", "stopped")


def _stage_reached(application: FundingApplication) -> str:
    """The stage key the request is at; a returned, rejected or withdrawn request is at the
    stage it was at then."""
    stage = STATE[Status(application.status)].stage
    if stage is not None:
        return stage
    if application.status == Status.RETURNED and application.returned_from_tier:
        return TIER_STAGE[Tier(application.returned_from_tier)]
    last = application.audit_entries.exclude(source="").order_by("-seq").first()
    if last is not None and STATE[Status(last.source)].stage is not None:
        return str(STATE[Status(last.source)].stage)
    return STAGES[0].key


def tracker(application: FundingApplication) -> list[StageMark]:
    here = _stage_reached(application)
    keys = [s.key for s in STAGES]
    position = keys.index(here)
    status = application.status
    mark_here = {Status.RETURNED: "returned", Status.REJECTED: "stopped"}.get(
        Status(status), "stopped" if status == Status.WITHDRAWN else "current"
    )
    if status == Status.APPROVED:
        mark_here = "done"
    return [
        StageMark(
            str(stage.label),
            "done" if i < position else mark_here if i == position else "ahead",
        )
        for i, stage in enumerate(STAGES)
    ]


def applicant_sentence(application: FundingApplication) -> str:
    """What is happening, who acts next and what the applicant must do, in plain words."""
    tier = application.returned_from_tier or application.current_tier
    return for_applicant(
        application.status,
        lead=local_name(application.special_project.lead_department),
        tier=str(Tier(tier).label) if tier else "",
    )


def due(application: FundingApplication, task: Task | None) -> datetime.datetime | None:
    """By when the tier holding ``task`` should act (None when no limit applies)."""
    if task is None:
        return None
    return due_at(task, application.call)
