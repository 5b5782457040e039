from .meetings import AgendaItem, Meeting
from .review import (
    CheckItem,
    CriterionScore,
    ExpertAssignment,
    FormalCheck,
    GroupRecommendation,
    RubricCriterion,
)

__all__ = [
    "AgendaItem",
    "CheckItem",
    "CriterionScore",
    "ExpertAssignment",
    "FormalCheck",
    "GroupRecommendation",
    "Meeting",
    "RubricCriterion",
]
