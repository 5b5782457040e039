"""Stage 4: the applicant's progress reports, checked against the period's targets, and the
lead department's acceptance or return."""

from decimal import Decimal

import pytest
from django.core import mail

from outcomes import reports
from outcomes.models import OutcomeReport
from outcomes.selectors import has_accepted_report
from outcomes.targets import targets_for
from tests.factories import make_user
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import AuditEntry

from .conftest import executing, figures

pytestmark = pytest.mark.django_db


def submit(application, index=1, **changes):
    return reports.submit_report(
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=index,
        figures=figures(**changes),
    )


def review(application, decision, index=1, reason=""):
    return reports.review_report(
        application_id=application.pk,
        actor=application.people.lead_officer,
        period_index=index,
        decision=decision,
        reason=reason,
    )


def test_the_default_targets_share_the_expected_figures_per_half_year(application):
    targets = targets_for(application)

    assert sum((t.sales_revenue for t in targets), Decimal(0)) == Decimal("12000000.00")
    assert sum(t.patents_filed for t in targets) == 10
    assert sum(t.jobs for t in targets) == 20
    assert (targets[0].start, targets[-1].end) == (
        application.period_start,
        application.period_end,
    )


def test_an_applicant_submits_a_report_for_a_period_that_has_ended(application):
    report = submit(application)

    assert report.state == OutcomeReport.State.SUBMITTED
    assert report.sales_revenue == Decimal("3000000.00")
    assert AuditEntry.objects.filter(application=application, transition="submit_report").exists()


def test_a_report_meeting_every_target_has_no_shortfall(application):
    assert submit(application).shortfalls == []


def test_each_measure_below_the_periods_target_is_flagged(application):
    report = submit(application, sales_revenue="100.00", of_which_industrial="0", jobs=0)

    assert report.shortfalls == ["sales_revenue", "jobs"]


def test_a_shortfall_is_notified_to_the_lead_department(
    application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(application, jobs=0)

    short = [m for m in mail.outbox if "未达目标" in m.subject]
    assert [m.to for m in short] == [[application.people.lead_officer.email]]


def test_a_report_for_a_period_still_running_is_refused(application):
    with pytest.raises(InvalidInput, match="尚未结束"):
        submit(application, index=3)


def test_a_report_for_a_period_the_project_does_not_have_is_refused(application):
    with pytest.raises(InvalidInput, match="没有第 99 个报告期"):
        submit(application, index=99)


def test_industrial_revenue_above_the_sales_revenue_is_refused(application):
    with pytest.raises(InvalidInput, match="不能超过新增销售收入"):
        submit(application, sales_revenue="10.00", of_which_industrial="20.00")


def test_a_negative_count_is_refused(application):
    with pytest.raises(InvalidInput, match="专利申请数须为不小于零的整数"):
        submit(application, patents_filed=-1)


def test_an_unknown_district_is_refused(application):
    with pytest.raises(InvalidInput, match="请选择成果落地的区或园区"):
        submit(application, district="atlantis")


def test_a_report_submitted_twice_is_refused(application):
    submit(application)

    with pytest.raises(TransitionConflict, match="已经提交"):
        submit(application)


def test_another_organisation_cannot_submit_the_report(application):
    outsider = make_user("applicant", organisation=executing().organisation)

    with pytest.raises(NotAllowed):
        reports.submit_report(
            application_id=application.pk, actor=outsider, period_index=1, figures=figures()
        )


def test_a_request_not_in_execution_takes_no_report(db):
    from tests.factories import FundingApplicationFactory

    approved = FundingApplicationFactory(state="approved")

    with pytest.raises(TransitionConflict, match="执行中"):
        reports.submit_report(
            application_id=approved.pk,
            actor=approved.people.applicant,
            period_index=1,
            figures=figures(),
        )


def test_the_lead_department_accepts_a_submitted_report(application):
    submit(application)

    assert review(application, "accept").state == OutcomeReport.State.ACCEPTED
    assert has_accepted_report(application)


def test_a_returned_report_tells_the_applicant_why(application, django_capture_on_commit_callbacks):
    submit(application)
    with django_capture_on_commit_callbacks(execute=True):
        returned = review(application, "return", reason="请补充销售合同")

    assert returned.state == OutcomeReport.State.RETURNED
    assert any("请补充销售合同" in m.body for m in mail.outbox)


def test_a_return_without_a_reason_is_refused(application):
    submit(application)

    with pytest.raises(InvalidInput, match="必须填写理由"):
        review(application, "return")


def test_a_returned_report_may_be_submitted_again(application):
    submit(application)
    review(application, "return", reason="请补充销售合同")

    assert submit(application, sales_revenue="3100000.00").state == OutcomeReport.State.SUBMITTED


def test_a_report_not_awaiting_review_cannot_be_accepted(application):
    with pytest.raises(TransitionConflict, match="不在待确认状态"):
        review(application, "accept")


def test_an_officer_of_another_department_cannot_review_the_report(application):
    from tests.factories import DepartmentFactory

    submit(application)
    other = make_user("lead_officer", department=DepartmentFactory())

    with pytest.raises(NotAllowed):
        reports.review_report(
            application_id=application.pk, actor=other, period_index=1, decision="accept"
        )


def test_an_accepted_report_issues_its_numbered_notice(
    application, django_capture_on_commit_callbacks
):
    submit(application)
    with django_capture_on_commit_callbacks(execute=True):
        review(application, "accept")

    document = application.documents.get(kind="report_outcome")
    assert document.number.startswith("京科配报〔")
    assert document.status == "ready"


def test_the_statistics_rows_hold_every_accepted_report_in_one_query(
    application, django_assert_num_queries
):
    from outcomes.selectors import outcome_rows
    from workflows.models import FundingApplication

    for index in (1, 2):
        submit(application, index=index)
        review(application, "accept", index=index)

    with django_assert_num_queries(1):
        rows = outcome_rows(FundingApplication.objects.filter(pk=application.pk))

    assert [(r.period_index, r.district, r.industrialised_in_beijing) for r in rows] == [
        (1, "huairou", True),
        (2, "huairou", True),
    ]
    assert rows[0].sales_revenue == Decimal("3000000.00")
