"""Why a request came back: the banner a returned request opens with, on its page and on the
applicant's form — each failed item of the formal check with the officer's note, the tier's
written reason, and the fields of the form to change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflows.models import FundingApplication, Status
from workflows.review_path import Tier

from .models import CheckItem, FormalCheck

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The fields of the applicant's form (and the attachments) each check item is about.
CHECK_ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    CheckItem.ATTACHMENTS_COMPLETE: (),
    CheckItem.NATIONAL_APPROVAL_PRESENT: ("national_approval_number",),
    CheckItem.AMOUNTS_CONSISTENT: (
        "national_funding",
        "own_funds",
        "other_local_funds",
        "requested_amount",
    ),
    CheckItem.SPECIAL_PROJECT_COVERED: ("special_project",),
}
# Check items that ask for attachments rather than fields.
CHECK_ITEM_ATTACHMENTS = (CheckItem.ATTACHMENTS_COMPLETE, CheckItem.NATIONAL_APPROVAL_PRESENT)


@dataclass
class FailedItem:
    label: StrOrPromise
    note: str
    fields: list[tuple[str, StrOrPromise]] = field(default_factory=list)
    attachments: bool = False


@dataclass
class ReturnReasons:
    tier: StrOrPromise
    reason: str
    items: list[FailedItem]


def return_reasons(application: FundingApplication) -> ReturnReasons | None:
    """Why the request is with its applicant now; None unless it is returned."""
    if application.status != Status.RETURNED:
        return None
    entry = (
        application.audit_entries.filter(transition="return_for_revision").order_by("-seq").first()
    )
    if entry is None:
        return None
    items: list[FailedItem] = []
    if entry.tier == Tier.LEAD:
        check = (
            FormalCheck.objects.filter(application=application, decision="return")
            .order_by("-created_at", "-id")
            .first()
        )
        for key, value in (check.items if check else {}).items():
            if value.get("passed") or key not in CheckItem.values:
                continue
            items.append(
                FailedItem(
                    CheckItem(key).label,
                    str(value.get("note") or ""),
                    [
                        (name, FundingApplication._meta.get_field(name).verbose_name)
                        for name in CHECK_ITEM_FIELDS.get(key, ())
                    ],
                    key in CHECK_ITEM_ATTACHMENTS,
                )
            )
    written = entry.reason if not items else ""
    return ReturnReasons(Tier(entry.tier).label if entry.tier else "", written, items)
