"""A call's scoring rubric: its criteria and their weights (the seed's four by default)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from workflows import access
from workflows.errors import InvalidInput, NotAllowed
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


def set_rubric(
    *, call_id: int, actor: Actor, criteria: list[dict[str, Any]]
) -> list[RubricCriterion]:
    """An administrator sets a call's scoring criteria. Refused unless the weights are whole
    numbers from 1 to 100 adding up to exactly 100 and the codes are distinct."""
    if access.role_of(actor) != Role.ADMINISTRATOR:
        raise NotAllowed()
    codes = [c["code"] for c in criteria]
    if len(set(codes)) != len(codes) or not criteria:
        raise InvalidInput(_("评分项代码不能为空且不能重复。"))
    weights = [int(c["weight"]) for c in criteria]
    if any(w < 1 or w > 100 for w in weights) or sum(weights) != 100:
        raise InvalidInput(_("评分项权重之和必须为100（现为%(sum)d）。") % {"sum": sum(weights)})
    with transaction.atomic():
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
