"""The funding agreement: drafted from the approval, confirmed, signed; amendments."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest

from awards import agreements
from awards.models import FundingAgreement
from awards.selectors import targets_for
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import FundingApplication

from .helpers import final, in_execution, in_notice, pooled, through_to_execution, with_agreement

pytestmark = pytest.mark.django_db


def _draft(application):
    return agreements.draft_agreement(
        application_id=application.pk, actor=application.people.lead_officer
    )


def test_the_draft_takes_the_approved_amount():
    application = final()

    agreement = _draft(application)

    assert agreement.amount == application.approved_amount
    assert agreement.grant_amount + agreement.equity_amount == agreement.amount


def test_the_draft_takes_the_split_the_joint_meeting_drew_on_the_pool():
    application = pooled(funding_form="mixed", amount=Decimal("5000000.00"))
    through = application.people
    from awards import notice

    from .helpers import after_notice

    notice.open_notice(application_id=application.pk, actor=through.secretary)
    after_notice(application)
    notice.finalise(application_id=application.pk, actor=through.secretary)

    agreement = _draft(application)

    assert (agreement.grant_amount, agreement.equity_amount) == (
        Decimal("3000000.00"),
        Decimal("2000000.00"),
    )
    assert sum(Decimal(d["amount"]) for d in agreement.by_department) == agreement.amount


def test_the_targets_are_prefilled_from_the_expected_outcomes_per_half_year():
    application = final(
        expected_sales_revenue=Decimal("12000000.00"), expected_patents=5, expected_jobs=30
    )

    _draft(application)

    targets = targets_for(application)
    assert len(targets) == len(agreements.reporting_periods(application)) > 1
    assert sum(t.sales_revenue for t in targets) == Decimal("12000000.00")
    assert sum(t.patents_filed for t in targets) == 5
    assert sum(t.jobs for t in targets) == 30


def test_the_tranches_add_up_to_the_agreement():
    application = final()

    agreement = _draft(application)

    assert sum(t.amount for t in agreement.tranches.all()) == agreement.amount


def test_only_the_lead_department_drafts_the_agreement():
    application = final()

    with pytest.raises(NotAllowed):
        agreements.draft_agreement(
            application_id=application.pk, actor=application.people.secretary
        )


def test_no_agreement_is_drafted_before_the_approval_is_final():
    application = in_notice()

    with pytest.raises(TransitionConflict):
        _draft(application)


def test_an_agreement_is_drafted_once():
    application = with_agreement()

    with pytest.raises(TransitionConflict):
        _draft(application)


def _terms(application, **changes):
    return dataclasses.replace(agreements.proposed_terms(application), **changes)


def test_the_lead_department_cannot_agree_more_than_the_approval():
    application = with_agreement()
    terms = _terms(application, amount=application.approved_amount + 1)

    with pytest.raises(InvalidInput, match="不得超过批复金额"):
        agreements.edit_agreement(
            application_id=application.pk, actor=application.people.lead_officer, terms=terms
        )


def test_tranche_shares_must_add_up_to_a_hundred_per_cent():
    application = with_agreement()
    terms = _terms(
        application,
        tranches=(agreements.TrancheTerms(Decimal(50), "on_signing"),),
    )

    with pytest.raises(InvalidInput, match="100%"):
        agreements.edit_agreement(
            application_id=application.pk, actor=application.people.lead_officer, terms=terms
        )


def test_a_milestone_outside_the_project_period_is_refused():
    application = with_agreement()
    late = application.period_end + datetime.timedelta(days=1)
    terms = _terms(application, milestones=(agreements.Milestone("验收", late),))

    with pytest.raises(InvalidInput, match="实施期内"):
        agreements.edit_agreement(
            application_id=application.pk, actor=application.people.lead_officer, terms=terms
        )


def test_a_lower_amount_is_split_across_the_departments_in_proportion():
    application = with_agreement()
    terms = _terms(application, amount=Decimal("4000000.00"))

    agreement = agreements.edit_agreement(
        application_id=application.pk, actor=application.people.lead_officer, terms=terms
    )

    assert agreement.amount == Decimal("4000000.00")
    assert sum(t.amount for t in agreement.tranches.all()) == Decimal("4000000.00")


def test_editing_undoes_the_applicants_confirmation():
    application = with_agreement()
    people = application.people
    agreements.confirm_agreement(application_id=application.pk, actor=people.applicant)

    agreements.edit_agreement(
        application_id=application.pk,
        actor=people.lead_officer,
        terms=_terms(application, amount=Decimal("4000000.00")),
    )

    assert FundingAgreement.objects.get().applicant_confirmed_at is None


def test_the_applicant_confirms_and_the_lead_department_signs():
    application = in_execution()

    agreement = FundingAgreement.objects.get(application=application)
    assert application.status == "in_execution"
    assert agreement.applicant_confirmed_by == application.people.applicant
    assert agreement.signed_by == application.people.lead_officer
    assert application.documents.filter(kind="agreement").count() == 1


def test_the_lead_department_cannot_sign_before_the_applicant_confirms():
    application = with_agreement()

    with pytest.raises(TransitionConflict, match="尚未确认"):
        agreements.sign_agreement(
            application_id=application.pk, actor=application.people.lead_officer
        )
    assert FundingApplication.objects.get(pk=application.pk).status == "final"


def test_only_the_applicant_confirms():
    application = with_agreement()

    with pytest.raises(NotAllowed):
        agreements.confirm_agreement(
            application_id=application.pk, actor=application.people.lead_officer
        )


def test_an_agreement_is_not_edited_after_signing():
    application = in_execution()

    with pytest.raises(TransitionConflict):
        agreements.edit_agreement(
            application_id=application.pk,
            actor=application.people.lead_officer,
            terms=agreements.proposed_terms(application),
        )


def _propose(application, summary="延后中期节点"):
    middle = application.period_start + datetime.timedelta(days=400)
    return agreements.propose_amendment(
        application_id=application.pk,
        actor=application.people.lead_officer,
        summary=summary,
        milestones=[agreements.Milestone("完成中期目标", middle)],
    )


def test_an_approved_amendment_changes_the_milestones_and_issues_its_document():
    application = in_execution()
    amendment = _propose(application)

    agreements.approve_amendment(amendment_id=amendment.pk, actor=application.people.secretary)

    agreement = FundingAgreement.objects.get()
    assert [m.title for m in agreement.milestones.all()] == ["完成中期目标"]
    assert application.documents.filter(kind="amendment").count() == 1


def test_an_amendment_needs_a_summary():
    application = in_execution()

    with pytest.raises(InvalidInput):
        _propose(application, summary=" ")


def test_one_amendment_waits_at_a_time():
    application = in_execution()
    _propose(application)

    with pytest.raises(TransitionConflict):
        _propose(application)


def test_an_amendment_is_approved_once():
    application = in_execution()
    amendment = _propose(application)
    secretary = application.people.secretary
    agreements.approve_amendment(amendment_id=amendment.pk, actor=secretary)

    with pytest.raises(TransitionConflict):
        agreements.approve_amendment(amendment_id=amendment.pk, actor=secretary)


def test_the_lead_department_does_not_approve_its_own_amendment():
    application = in_execution()
    amendment = _propose(application)

    with pytest.raises(NotAllowed):
        agreements.approve_amendment(
            amendment_id=amendment.pk, actor=application.people.lead_officer
        )


def test_a_pooled_approval_reaches_execution():
    application = through_to_execution(pooled())

    assert application.status == "in_execution"
