from .experts import ExpertDraw, ExpertField, ExpertProfile
from .meetings import AgendaItem, Meeting
from .policy import (
    ApprovalSplit,
    DepartmentBudget,
    MatchingPolicyVersion,
    PolicyVersionInUseError,
    PoolBalance,
)
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
    "ApprovalSplit",
    "CheckItem",
    "CriterionScore",
    "DepartmentBudget",
    "ExpertAssignment",
    "ExpertDraw",
    "ExpertField",
    "ExpertProfile",
    "FormalCheck",
    "GroupRecommendation",
    "MatchingPolicyVersion",
    "Meeting",
    "PolicyVersionInUseError",
    "PoolBalance",
    "RubricCriterion",
]
