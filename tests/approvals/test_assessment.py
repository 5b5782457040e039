"""An application's facts and its assessment under the policy in force, the applicant's
preview of a draft, the what-if comparison, and the assessment fragment."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from approvals import assessment
from approvals.models import PoolBalance
from approvals.policy import load_policy_text
from approvals.simulation import simulate
from tests import files
from tests.approvals.test_policy_store import active_policy, policy_text
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    OrganisationFactory,
    SpecialProjectFactory,
)
from workflows import drafts, submission
from workflows.errors import InvalidInput
from workflows.models import FundingApplication

pytestmark = pytest.mark.django_db


@pytest.fixture
def special_project():
    return SpecialProjectFactory(code="ZX01")


@pytest.fixture
def call(special_project):
    call = FundingCallFactory()
    call.special_projects.add(special_project, SpecialProjectFactory(code="ZX02"))
    return call


@pytest.fixture
def draft(call, special_project):
    """An eligible enterprise in Haidian: 20,000,000 national funding, 8,000,000 requested."""
    return FundingApplicationFactory(call=call, special_project=special_project)


def unsaved_draft(call, special_project, **fields) -> FundingApplication:
    values = {
        "organisation": OrganisationFactory(),
        "call": call,
        "special_project": special_project,
        "national_approval_number": "国科发专〔2026〕1号",
        "national_funding": Decimal("20000000.00"),
        "own_funds": Decimal("10000000.00"),
        "other_local_funds": Decimal("0.00"),
        "requested_amount": Decimal("8000000.00"),
        "funding_form": "grant",
        "industrialised_in_beijing": True,
        "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2028, 12, 31),
        **fields,
    }
    return FundingApplication(**values)


# --- facts ----------------------------------------------------------------------------------


def test_the_facts_name_the_organisations_district_in_chinese(draft):
    facts = assessment.facts_for(draft)

    assert (facts.district, facts.registered_in_beijing) == ("海淀区", True)


def test_an_organisation_outside_beijing_has_no_district_and_is_not_registered_in_beijing(
    call, special_project
):
    application = FundingApplicationFactory(
        call=call, special_project=special_project, organisation__district_id="outside"
    )

    facts = assessment.facts_for(application)

    assert (facts.district, facts.registered_in_beijing) == ("", False)


def test_the_facts_carry_the_applications_money_and_form(draft):
    facts = assessment.facts_for(draft)

    assert (facts.national_funding, facts.own_funds, facts.requested_amount) == (
        Decimal("20000000.00"),
        Decimal("10000000.00"),
        Decimal("8000000.00"),
    )
    assert (facts.funding_form, facts.organisation_kind) == ("grant", "enterprise")


def test_the_facts_list_the_special_projects_the_call_covers(draft):
    facts = assessment.facts_for(draft)

    assert (facts.special_project, facts.call_special_projects) == ("ZX01", ("ZX01", "ZX02"))


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), 12),
        (datetime.date(2026, 1, 1), datetime.date(2028, 12, 31), 36),
        (datetime.date(2026, 3, 15), datetime.date(2026, 5, 15), 2),
        (datetime.date(2026, 3, 15), datetime.date(2026, 5, 16), 3),
        (datetime.date(2026, 3, 15), datetime.date(2026, 3, 20), 1),
    ],
)
def test_project_months_count_every_begun_month_of_the_period(start, end, months):
    assert assessment.project_months(start, end) == months


def test_the_project_months_come_from_the_applications_period(call, special_project):
    application = unsaved_draft(
        call,
        special_project,
        period_start=datetime.date(2026, 7, 1),
        period_end=datetime.date(2027, 6, 30),
    )

    assert assessment.facts_for(application).project_months == 12


def test_an_approval_number_counts_as_the_national_approval(draft):
    assert assessment.facts_for(draft).has_national_approval


def test_an_attached_approval_document_counts_as_the_national_approval(call, special_project):
    application = FundingApplicationFactory(
        call=call, special_project=special_project, national_approval_number=""
    )
    drafts.add_attachment(
        application_id=application.pk,
        actor=application.created_by,
        kind="national_approval",
        upload=SimpleUploadedFile("批复.pdf", files.PDF, "application/pdf"),
    )

    assert assessment.facts_for(application).has_national_approval


def test_without_number_or_document_there_is_no_national_approval(call, special_project):
    application = FundingApplicationFactory(
        call=call, special_project=special_project, national_approval_number=""
    )

    assert not assessment.facts_for(application).has_national_approval


def test_a_special_project_code_no_policy_can_read_is_refused_naming_the_field(call):
    application = FundingApplicationFactory(
        call=call, special_project=SpecialProjectFactory(code="X-1")
    )

    with pytest.raises(InvalidInput) as refused:
        assessment.facts_for(application)

    assert "special_project" in str(refused.value.message)


def test_the_facts_of_many_applications_come_from_one_query(call, special_project):
    for _ in range(3):
        FundingApplicationFactory(call=call, special_project=special_project)

    with CaptureQueriesContext(connection) as queries:
        rows = assessment.fact_rows(FundingApplication.objects.filter(call=call))

    assert (len(rows), len(queries)) == (3, 1)


def test_facts_read_in_bulk_equal_the_facts_of_one_application(draft):
    rows = assessment.fact_rows(FundingApplication.objects.filter(pk=draft.pk))

    facts, _problems = assessment.facts_for_rows(rows, ("ZX01", "ZX02"))

    assert facts[draft.pk] == assessment.facts_for(draft)


# --- assessing ------------------------------------------------------------------------------


def test_without_a_policy_in_force_there_is_no_assessment(draft):
    assert assessment.assess(draft) is None


def test_the_assessment_applies_the_policy_in_force_for_the_call(draft):
    active_policy()

    result = assessment.assess(draft)

    # 20,000,000 × 30 % (industrialised in Beijing), within every cap and the request.
    assert (result.eligible, result.amount) == (True, Decimal("6000000.00"))
    assert result.policy_version == "t.1"


def test_the_assessment_draws_on_what_the_calls_pool_has_left(draft):
    record = active_policy()
    for position, (code, left) in enumerate((("kw", 1_000_000), ("jxw", 500_000), ("fgw", 0))):
        PoolBalance.objects.create(
            call=draft.call,
            policy=record,
            department_code=code,
            department_name=code,
            budget=Decimal(300_000_000),
            balance=Decimal(left),
            position=position,
        )

    result = assessment.assess(draft)

    assert result.amount == Decimal("1500000.00")
    assert result.department_amounts == {
        "kw": Decimal("1000000.00"),
        "jxw": Decimal("500000.00"),
        "fgw": Decimal("0.00"),
    }


# --- the applicant's preview ----------------------------------------------------------------


def test_the_preview_of_a_saved_draft_gives_the_amount_and_what_limits_it(draft):
    active_policy()

    preview = assessment.preview_for(draft)

    assert preview.amount == Decimal("6000000.00")
    assert [s.rule_id for s in preview.steps if s.kind == "cap"] == [
        "per-project-cap",
        "own-funds-cap",
    ]


def test_the_preview_of_an_unsaved_draft_uses_the_data_being_edited(call, special_project):
    active_policy()

    preview = assessment.preview_for(
        unsaved_draft(call, special_project, industrialised_in_beijing=False)
    )

    assert preview.amount == Decimal("2000000.00")  # 10 % for all other cases


def test_there_is_no_preview_without_a_policy_in_force(draft):
    assert assessment.preview_for(draft) is None


def test_there_is_no_preview_while_the_draft_lacks_what_the_policy_needs(call, special_project):
    active_policy()

    assert assessment.preview_for(unsaved_draft(call, special_project, period_end=None)) is None


def test_the_preview_writes_nothing(draft):
    active_policy()

    with CaptureQueriesContext(connection) as queries:
        assessment.preview_for(draft)

    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)


def test_the_preview_shows_an_ineligible_draft_why(call):
    active_policy()
    application = FundingApplicationFactory(
        call=call, special_project=SpecialProjectFactory(code="ZX09")
    )

    preview = assessment.preview_for(application)

    assert [f.rule_id for f in preview.failures] == ["covered-by-call"]


# --- what-if --------------------------------------------------------------------------------


def _submitted(call, special_project, **fields):
    application = FundingApplicationFactory(call=call, special_project=special_project, **fields)
    submission.submit_application(application_id=application.pk, actor=application.created_by)
    return application


def test_the_what_if_compares_each_open_application_under_both_policies(call, special_project):
    active_policy()
    application = _submitted(call, special_project)
    draft = load_policy_text(policy_text(version="t.2").replace("ratio: 0.3\n", "ratio: 0.35\n"))

    simulation = simulate(draft, call=call)

    row = simulation.comparison.rows[0]
    assert row.key == f"#{application.pk} {application.national_task_code}"
    assert (row.old_amount, row.new_amount) == (Decimal("6000000.00"), Decimal("7000000.00"))


def test_the_what_if_leaves_out_drafts_and_closed_applications(call, special_project, draft):
    active_policy()
    _submitted(call, special_project)
    withdrawn = _submitted(call, special_project)
    submission.withdraw_application(
        application_id=withdrawn.pk, actor=withdrawn.created_by, reason="项目调整"
    )

    simulation = simulate(load_policy_text(policy_text(version="t.2")), call=call)

    assert len(simulation.comparison.rows) == 1


def test_the_what_if_without_a_policy_in_force_counts_old_amounts_as_zero(call, special_project):
    _submitted(call, special_project)

    simulation = simulate(load_policy_text(policy_text()), call=call)

    row = simulation.comparison.rows[0]
    assert (simulation.in_force, row.old_amount, row.new_amount) == (
        None,
        Decimal("0.00"),
        Decimal("6000000.00"),
    )


def test_the_what_if_sets_aside_an_application_no_policy_can_read(call):
    _submitted(call, SpecialProjectFactory(code="X-1"))

    simulation = simulate(load_policy_text(policy_text()), call=call)

    assert (len(simulation.comparison.rows), len(simulation.skipped)) == (0, 1)


# --- the fragment ---------------------------------------------------------------------------


def _fragment(draft, **context) -> str:
    active_policy()
    return render_to_string(
        "approvals/_assessment.html",
        {"assessment": assessment.assess(draft).as_dict(), **context},
    )


def test_the_fragment_shows_the_amount_and_its_split_by_department_and_form(draft):
    html = _fragment(draft)

    assert "6,000,000.00" in html
    assert "市科委" in html and "Municipal Science and Technology Commission" in html
    assert "无偿资助" in html and "股权投资" in html


def test_the_fragment_names_the_policy_version_and_its_hash(draft):
    html = _fragment(draft)

    assert "t.1" in html
    assert assessment.assess(draft).policy_content_hash[:12] in html


def test_the_fragment_explains_every_step_in_chinese_with_english(draft):
    html = _fragment(draft)

    for step in assessment.assess(draft).steps:
        assert escape(step.text_zh) in html
        assert escape(step.text_en) in html


def test_the_fragment_lists_the_failed_conditions_of_an_ineligible_application(call):
    application = FundingApplicationFactory(
        call=call, special_project=SpecialProjectFactory(code="ZX09")
    )

    html = _fragment(application)

    assert "所属重大专项不在本批次支持范围内。" in html
    assert "The special project is not covered by this call." in html


def test_the_fragment_marks_a_preview_as_an_estimate(draft):
    html = _fragment(draft, preview=True)

    assert "仅供参考" in html


def test_the_fragment_renders_nothing_without_an_assessment():
    assert render_to_string("approvals/_assessment.html", {"assessment": {}}).strip() == ""
