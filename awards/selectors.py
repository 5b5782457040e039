"""Reads of the stages after the approval, for pages and for the apps built on this one."""

from __future__ import annotations

from workflows.models import FundingApplication

from .models import AgreementTarget


def targets_for(application: FundingApplication) -> list[AgreementTarget]:
    """The outcome targets the agreement set, one per reporting period, in order (empty before
    an agreement is drafted)."""
    return list(
        AgreementTarget.objects.filter(agreement__application=application).order_by("period_index")
    )
