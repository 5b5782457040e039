"""The outcome stages' pages: each form reaches its service, a refusal comes back beside the
form, and each page shows only what its reader may see."""

from decimal import Decimal

import pytest
from django.urls import reverse

from outcomes import acceptance, reports
from outcomes.acceptance import ACCEPTANCE_RUBRIC
from outcomes.models import AcceptanceReview, OutcomeReport, RecoveryOrder
from tests.factories import make_user
from workflows.models import FundingApplication

from .conftest import executing, figures
from .test_acceptance import conclude, near_the_end, panel, request, score

pytestmark = pytest.mark.django_db

REPORT = {
    "form": "submit",
    "sales_revenue": "1234567.89",
    "of_which_industrial": "234567.89",
    "patents_filed": "3",
    "patents_granted": "1",
    "jobs": "6",
    "district": "huairou",
    "industrialised_in_beijing": "on",
    "narrative": "样机完成。",
}


def _report_url(application, index=1):
    return reverse("outcomes:report", args=[application.pk, index])


def _as(client, user):
    client.force_login(user)
    return client


def test_the_applicant_sees_the_periods_and_what_is_due_next(client, application):
    page = _as(client, application.people.applicant).get(
        reverse("outcomes:reports", args=[application.pk])
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert "下一期：第 1 期" in text
    assert "已逾期" in text


def test_the_report_form_explains_its_measures(client, application):
    page = _as(client, application.people.applicant).get(_report_url(application))

    text = page.content.decode()
    assert "本报告期内新增的销售收入" in text
    assert "同比增长由系统根据上年同期报告计算" in text


def test_a_report_posted_from_the_form_keeps_its_amounts_to_the_fen(client, application):
    response = _as(client, application.people.applicant).post(_report_url(application), REPORT)

    report = OutcomeReport.objects.get(application=application, period_index=1)
    assert response.status_code == 302
    assert (report.sales_revenue, report.of_which_industrial) == (
        Decimal("1234567.89"),
        Decimal("234567.89"),
    )


def test_a_report_with_more_industrial_revenue_than_sales_shows_the_error_beside_the_field(
    client, application
):
    response = _as(client, application.people.applicant).post(
        _report_url(application), {**REPORT, "of_which_industrial": "9999999.00"}
    )

    assert response.status_code == 200
    assert "产业化项目收入不能超过新增销售收入" in response.content.decode()
    assert not OutcomeReport.objects.filter(application=application).exists()


def test_a_report_for_a_running_period_is_refused_on_the_form(client, application):
    response = _as(client, application.people.applicant).post(_report_url(application, 3), REPORT)

    assert response.status_code == 200
    assert "该报告期尚未结束" in response.content.decode()


def test_the_lead_department_sees_targets_against_actuals_with_the_shortfalls(client, application):
    reports.submit_report(
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=1,
        figures=figures(jobs=0),
    )

    page = _as(client, application.people.lead_officer).get(_report_url(application))

    text = page.content.decode()
    assert "未达目标" in text
    assert 'name="decision"' in text


def test_the_lead_department_returns_a_report_from_its_page(client, application):
    reports.submit_report(
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=1,
        figures=figures(),
    )

    _as(client, application.people.lead_officer).post(
        _report_url(application), {"form": "review", "decision": "return", "reason": "请补充合同"}
    )

    assert OutcomeReport.objects.get(application=application).state == "returned"


def test_another_organisation_does_not_find_the_reports(client, application):
    outsider = make_user("applicant", organisation=executing().organisation)

    assert _as(client, outsider).get(_report_url(application)).status_code == 404


def test_the_application_page_shows_the_outcome_stages(client, application):
    page = _as(client, application.people.applicant).get(
        reverse("application-detail", args=[application.pk])
    )

    assert "执行、进展报告与验收" in page.content.decode()


def test_an_expert_asked_onto_the_panel_sees_only_the_declaration(client):
    application = near_the_end()
    request(application)
    expert = panel(application)[0]

    page = _as(client, expert).get(reverse("outcomes:acceptance", args=[application.pk]))

    text = page.content.decode()
    assert "验收利益冲突声明" in text
    assert application.title not in text


def test_an_expert_declares_and_scores_from_the_acceptance_page(client):
    application = near_the_end()
    request(application)
    expert = panel(application)[0]
    url = reverse("outcomes:acceptance", args=[application.pk])
    _as(client, expert).post(url, {"form": "declare", "conflict": "no"})
    scores = {f"score_{c.code}": "85" for c in ACCEPTANCE_RUBRIC}
    scores.update({f"comment_{c.code}": "完成良好" for c in ACCEPTANCE_RUBRIC})

    client.post(url, {"form": "scores", **scores})

    assert AcceptanceReview.objects.get(expert=expert).weighted == Decimal("85.00")


def test_the_applicant_never_sees_the_experts_of_the_panel(client):
    application = near_the_end()
    request(application)
    experts = panel(application)
    for expert in experts:
        score(application, expert)

    page = _as(client, application.people.applicant).get(
        reverse("outcomes:acceptance", args=[application.pk])
    )

    assert experts[0].username not in page.content.decode()


def test_the_lead_department_records_the_outcome_from_the_page(client):
    application = near_the_end()
    request(application)
    for expert in panel(application):
        score(application, expert)

    _as(client, application.people.lead_officer).post(
        reverse("outcomes:acceptance", args=[application.pk]),
        {"form": "outcome", "outcome": "pass_with_conditions", "conditions": "补齐专利"},
    )

    assert FundingApplication.objects.get(pk=application.pk).status == "completed"


def test_the_secretariat_sets_the_recovery_amount_from_the_page(client):
    application = near_the_end()
    request(application)
    for expert in panel(application):
        score(application, expert)
    conclude(application, "fail", reason="未达目标")

    _as(client, application.people.secretary).post(
        reverse("outcomes:recovery", args=[application.pk]),
        {"form": "amount", "amount": "1234567.89", "reason": "决定追回"},
    )

    assert RecoveryOrder.objects.get(application=application).amount == Decimal("1234567.89")


def test_a_recovery_above_the_approved_amount_is_refused_on_the_page(client):
    application = near_the_end()
    request(application)
    for expert in panel(application):
        score(application, expert)
    acceptance.record_acceptance_outcome(
        application_id=application.pk,
        actor=application.people.lead_officer,
        outcome="fail",
        reason="未达目标",
    )

    response = _as(client, application.people.secretary).post(
        reverse("outcomes:recovery", args=[application.pk]),
        {"form": "amount", "amount": "9000000.00"},
    )

    assert response.status_code == 200
    assert "不超过批复配套金额" in response.content.decode()
    assert FundingApplication.objects.get(pk=application.pk).status == "failed"


def test_the_lead_departments_queue_lists_a_report_to_review(client, application):
    reports.submit_report(
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=1,
        figures=figures(),
    )

    page = _as(client, application.people.lead_officer).get(reverse("approvals:queue"))

    assert "确认进展报告" in page.content.decode()


def test_an_experts_queue_names_no_title_before_the_declaration(client):
    application = near_the_end()
    request(application)
    expert = panel(application)[0]

    text = _as(client, expert).get(reverse("approvals:queue")).content.decode()

    assert "验收：请先声明利益冲突" in text
    assert application.title not in text


def test_the_secretariats_queue_lists_a_failed_project_awaiting_its_amount(client):
    application = near_the_end()
    request(application)
    for expert in panel(application):
        score(application, expert)
    conclude(application, "fail", reason="未达目标")

    text = _as(client, application.people.secretary).get(reverse("approvals:queue")).content
    assert "确定追回金额" in text.decode()


def test_the_applicants_timeline_shows_its_reports_beside_the_decisions(client, application):
    reports.submit_report(
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=1,
        figures=figures(),
    )
    reports.review_report(
        application_id=application.pk,
        actor=application.people.lead_officer,
        period_index=1,
        decision="accept",
    )

    text = (
        _as(client, application.people.applicant)
        .get(reverse("application-detail", args=[application.pk]))
        .content.decode()
    )

    assert "提交进展报告" in text
    assert "牵头部门确认进展报告" in text
    assert application.people.lead_officer.first_name not in text
