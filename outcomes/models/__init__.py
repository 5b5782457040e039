from .acceptance import AcceptanceOutcome, AcceptanceRequest, AcceptanceReview
from .recovery import RecoveryCause, RecoveryOrder, Repayment
from .reports import Measure, OutcomeReport, ReportNotice

__all__ = [
    "AcceptanceOutcome",
    "AcceptanceRequest",
    "AcceptanceReview",
    "Measure",
    "OutcomeReport",
    "RecoveryCause",
    "RecoveryOrder",
    "Repayment",
    "ReportNotice",
]
