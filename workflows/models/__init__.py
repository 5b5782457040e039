from ..review_path import FINAL, STATUS_TIER, TIER_STATUS, UNDER_REVIEW, Role, Status, Tier
from .application import MOVE_FIELDS, NOT_CONTENT, FundingApplication, FundingForm
from .attachment import Attachment, AttachmentKind
from .audit import (
    AppendOnlyError,
    AuditChainHead,
    AuditCheckpoint,
    AuditEntry,
    AuditTreeNode,
    AuditVerification,
    DeadlineNotice,
    RefusedAttempt,
)
from .notice import Notice
from .reference import (
    ActingHead,
    ActingHeadEnding,
    Department,
    District,
    DistrictKind,
    FundingCall,
    Organisation,
    OrganisationKind,
    Profile,
    SpecialProject,
)
from .revision import ApplicationRevision

__all__ = [
    "FINAL",
    "MOVE_FIELDS",
    "NOT_CONTENT",
    "STATUS_TIER",
    "TIER_STATUS",
    "UNDER_REVIEW",
    "ActingHead",
    "ActingHeadEnding",
    "AppendOnlyError",
    "ApplicationRevision",
    "Attachment",
    "AttachmentKind",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditTreeNode",
    "AuditVerification",
    "DeadlineNotice",
    "Department",
    "District",
    "DistrictKind",
    "FundingApplication",
    "FundingCall",
    "FundingForm",
    "Notice",
    "Organisation",
    "OrganisationKind",
    "Profile",
    "RefusedAttempt",
    "Role",
    "SpecialProject",
    "Status",
    "Tier",
]
