"""The matching-fund (配套资金) policy as data, and its evaluator. Pure Python: no Django.

    policy = load_policy_file("approvals/policies/example-2026.yaml")
    assessment = evaluate(policy, facts)                 # one application
    assessment.amount, assessment.by_department, assessment.steps, assessment.as_dict()
    allocate_batch(policy, items, pool_state)            # a joint meeting's agenda
    format_comparison(compare_policies(old, new, applications))   # what-if

Modules: `facts` (what conditions may read), `conditions` (rule-engine expressions compiled
once), `version` (the typed policy), `schema` (document → policy, with every problem),
`reader` (one value of a document), `loader` (YAML/JSON text, content hash), `money` (the
Decimal context), `evaluator`, `explanation`, `pool` (departments' balances, batch drawing),
`whatif`.
"""

from .conditions import Condition, ConditionError, compile_condition
from .evaluator import Assessment, DepartmentAmount, EligibilityFailure, evaluate
from .explanation import ExplanationStep
from .facts import FACT_FIELDS, ApplicationFacts, FactField, InvalidFactsError
from .loader import (
    canonical_json,
    content_hash,
    load_policy_document,
    load_policy_file,
    load_policy_text,
)
from .pool import (
    BatchAllocation,
    BatchDraw,
    BatchItem,
    Oversubscription,
    PoolState,
    PoolStateMismatchError,
    allocate_batch,
)
from .problems import PolicyProblem, PolicyValidationError
from .version import (
    NoPolicyInForceError,
    PolicyVersion,
    RuleKind,
    check_periods_do_not_overlap,
    policy_in_force,
)
from .whatif import PolicyComparison, compare_policies, format_comparison

__all__ = [
    "FACT_FIELDS",
    "ApplicationFacts",
    "Assessment",
    "BatchAllocation",
    "BatchDraw",
    "BatchItem",
    "Condition",
    "ConditionError",
    "DepartmentAmount",
    "EligibilityFailure",
    "ExplanationStep",
    "FactField",
    "InvalidFactsError",
    "NoPolicyInForceError",
    "Oversubscription",
    "PolicyComparison",
    "PolicyProblem",
    "PolicyValidationError",
    "PolicyVersion",
    "PoolState",
    "PoolStateMismatchError",
    "RuleKind",
    "allocate_batch",
    "canonical_json",
    "check_periods_do_not_overlap",
    "compare_policies",
    "compile_condition",
    "content_hash",
    "evaluate",
    "format_comparison",
    "load_policy_document",
    "load_policy_file",
    "load_policy_text",
    "policy_in_force",
]
