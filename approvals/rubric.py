"""A call's scoring rubric: its criteria and their weights (the seed's four by default)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from workflows import access
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import FundingCall
from workflows.review_path import Role

from .models import RubricCriterion

if TYPE_CHECKING:
    from workflows.actors import Actor

# The programme's selection criteria (see the seed text), used when a call sets no rubric.
DEFAULT_RUBRIC = (
    ("district_fit", "符合区县功能定位", "Fits the district's functional positioning", 25),
    ("market_prospects", "市场应用前景", "Market prospects", 25),
    ("feasibility", "技术经济可行", "Technical and economic feasibility", 30),
    ("highlights", "有亮点、有显示度", "Highlights and visibility", 20),
)
TWO_PLACES = Decimal("0.01")


class Criterion(Protocol):
    """What scoring needs of a criterion: the review group's rubric, or another panel's."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> Any: ...
    @property
    def weight(self) -> int: ...


# --- rubric ---------------------------------------------------------------------------------


def rubric_for(call: FundingCall) -> list[RubricCriterion]:
    criteria = list(call.rubric.all())
    if criteria:
        return criteria
    return [
        RubricCriterion(call=call, code=c, name=n, name_en=e, weight=w, position=i)
        for i, (c, n, e, w) in enumerate(DEFAULT_RUBRIC)
    ]


def check_rubric(criteria: list[dict[str, Any]]) -> None:
    """The rules of a rubric: distinct codes, at least one criterion, whole-number weights
    from 1 to 100 adding up to exactly 100."""
    codes = [c["code"] for c in criteria]
    if len(set(codes)) != len(codes) or not criteria:
        raise InvalidInput(_("评分项代码不能为空且不能重复。"))
    weights = [int(c["weight"]) for c in criteria]
    if any(w < 1 or w > 100 for w in weights) or sum(weights) != 100:
        raise InvalidInput(_("评分项权重之和必须为100（现为%(sum)d）。") % {"sum": sum(weights)})


def ensure_rubric_open(call: FundingCall) -> None:
    """A call's rubric freezes once a request has been submitted to it."""
    if call.has_submissions():
        raise TransitionConflict(_("已有申请提交到本批次，评分标准不可再改。"))


def set_rubric(
    *, call_id: int, actor: Actor, criteria: list[dict[str, Any]]
) -> list[RubricCriterion]:
    """An administrator sets a call's scoring criteria. Refused unless the weights are whole
    numbers from 1 to 100 adding up to exactly 100 and the codes are distinct, and once a
    request has been submitted to the call."""
    if access.role_of(actor) != Role.ADMINISTRATOR:
        raise NotAllowed()
    check_rubric(criteria)
    with transaction.atomic():
        ensure_rubric_open(FundingCall.objects.select_for_update().get(pk=call_id))
        RubricCriterion.objects.filter(call_id=call_id).delete()
        return RubricCriterion.objects.bulk_create(
            RubricCriterion(
                call_id=call_id,
                code=c["code"],
                name=c["name"],
                name_en=c.get("name_en", ""),
                weight=int(c["weight"]),
                position=i,
            )
            for i, c in enumerate(criteria)
        )
