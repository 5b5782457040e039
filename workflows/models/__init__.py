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
from .revision import ApplicationRevision
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
    "RefusedAttempt",
    "Department",
    "District",
    "FundingApplication",
    "FundingCall",
    "FundingForm",
    "Organisation",
    "OrganisationKind",
    "Profile",
    "Role",
    "SpecialProject",
    "Status",
    "Tier",
]
