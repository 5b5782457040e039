from .agreement import AgreementMilestone, AgreementTarget, Amendment, FundingAgreement
from .calendar import Holiday
from .disbursement import EquityHolding, Tranche
from .notice import NoticePeriod, Objection

__all__ = [
    "AgreementMilestone",
    "AgreementTarget",
    "Amendment",
    "EquityHolding",
    "FundingAgreement",
    "Holiday",
    "NoticePeriod",
    "Objection",
    "Tranche",
]
