from .application import (
    FINAL,
    STATUS_TIER,
    TIER_STATUS,
    UNDER_REVIEW,
    FundingApplication,
    FundingForm,
    Status,
    Tier,
)
from .attachment import Attachment, AttachmentKind
from .audit import AppendOnlyError, AuditChainHead, AuditEntry, DeadlineNotice, RefusedAttempt
from .reference import (
    Department,
    District,
    FundingCall,
    Organisation,
    OrganisationKind,
    Profile,
    Role,
    SpecialProject,
)
from .revision import ApplicationRevision

__all__ = [
    "FINAL",
    "STATUS_TIER",
    "TIER_STATUS",
    "UNDER_REVIEW",
    "AppendOnlyError",
    "ApplicationRevision",
    "Attachment",
    "AttachmentKind",
    "AuditChainHead",
    "AuditEntry",
    "DeadlineNotice",
    "Department",
    "District",
    "FundingApplication",
    "FundingCall",
    "FundingForm",
    "Organisation",
    "OrganisationKind",
    "Profile",
    "RefusedAttempt",
    "Role",
    "SpecialProject",
    "Status",
    "Tier",
]
