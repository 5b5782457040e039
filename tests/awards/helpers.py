"""Requests after the approval, brought there through the public services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from awards import agreements, notice
from tests.factories import FundingApplicationFactory
from workflows.models import FundingApplication


def approved(**kwargs):
    return FundingApplicationFactory(state="approved", **kwargs)


def in_notice(**kwargs):
    application = approved(**kwargs)
    notice.open_notice(application_id=application.pk, actor=application.people.secretary)
    return _fresh(application)


def after_notice(application) -> None:
    """Move the notice's end into the past (as if its working days had gone by)."""
    period = notice.current_notice(application)
    period.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    period.save(update_fields=["ends_on"])


def final(**kwargs):
    application = in_notice(**kwargs)
    after_notice(application)
    notice.finalise(application_id=application.pk, actor=application.people.secretary)
    return _fresh(application)


def with_agreement(**kwargs):
    application = final(**kwargs)
    agreements.draft_agreement(application_id=application.pk, actor=application.people.lead_officer)
    return _fresh(application)


def in_execution(**kwargs):
    application = with_agreement(**kwargs)
    people = application.people
    agreements.confirm_agreement(application_id=application.pk, actor=people.applicant)
    agreements.sign_agreement(application_id=application.pk, actor=people.lead_officer)
    return _fresh(application)


def lodge(application, **overrides):
    fields = {
        "name": "张三",
        "contact": "13800000000",
        "grounds": "申报数据与事实不符",
        **overrides,
    }
    return notice.lodge_objection(application_id=application.pk, **fields)


def _fresh(application):
    fresh = FundingApplication.objects.get(pk=application.pk)
    fresh.people = application.people
    return fresh


def pooled(funding_form: str = "grant", amount=None):
    """An approval drawn on a call's pool under the example policy (its split by department
    and form recorded), as the joint meeting makes it."""
    from decimal import Decimal

    from tests.approvals.test_policy_store import active_policy
    from tests.factories import (
        FundingCallFactory,
        SpecialProjectFactory,
        resolve_at_meeting,
    )

    special_project = SpecialProjectFactory(code="ZX01")
    call = FundingCallFactory(total_budget=Decimal("500000000.00"))
    call.special_projects.add(special_project)
    application = FundingApplicationFactory(
        at_meeting_review=True,
        call=call,
        special_project=special_project,
        funding_form=funding_form,
    )
    active_policy()
    resolve_at_meeting(
        application, application.people, "approve", amount=amount or Decimal("6000000.00")
    )
    return _fresh(application)


def through_to_execution(application):
    """An approved request through its notice, the final approval and a signed agreement."""
    people = application.people
    notice.open_notice(application_id=application.pk, actor=people.secretary)
    after_notice(application)
    notice.finalise(application_id=application.pk, actor=people.secretary)
    agreements.draft_agreement(application_id=application.pk, actor=people.lead_officer)
    agreements.confirm_agreement(application_id=application.pk, actor=people.applicant)
    agreements.sign_agreement(application_id=application.pk, actor=people.lead_officer)
    return _fresh(application)
