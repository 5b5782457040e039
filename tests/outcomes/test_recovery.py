"""Stage 5, after a failed acceptance or an abandoned project: the joint meeting's recovery
order, the repayments, and closing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes import recovery
from outcomes.models import RecoveryOrder
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import FundingApplication

from .conftest import executing
from .test_acceptance import conclude, scored  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def status(application):
    return FundingApplication.objects.get(pk=application.pk).status


@pytest.fixture
def failed(scored):  # noqa: F811 - the fixture imported above
    conclude(scored, "fail", reason="销售收入远低于任务书目标")
    return scored


def order(application, amount="2000000.00"):
    return recovery.set_recovery_amount(
        application_id=application.pk,
        actor=application.people.secretary,
        amount=amount,
        reason="联席会议第5次会议决定",
    )


def repay(application, amount, days_ago=1):
    return recovery.record_repayment(
        application_id=application.pk,
        actor=application.people.lead_officer,
        amount=amount,
        paid_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        reference="BJ-2026-001",
    )


def test_the_joint_meeting_orders_the_recovery_of_a_failed_project(
    failed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ordered = order(failed)

    assert status(failed) == "recovery"
    assert ordered.amount == Decimal("2000000.00")
    assert failed.documents.get(kind="recovery_order").number.startswith("京科配追〔")


def test_a_recovery_above_the_approved_amount_is_refused(failed):
    with pytest.raises(InvalidInput, match="不超过批复配套金额"):
        order(failed, amount="5000000.01")


def test_the_whole_approved_amount_may_be_recovered(failed):
    assert order(failed, amount="5000000.00").amount == Decimal("5000000.00")


def test_only_the_meeting_secretariat_sets_the_amount(failed):
    with pytest.raises(NotAllowed):
        recovery.set_recovery_amount(
            application_id=failed.pk, actor=failed.people.lead_officer, amount="1000000.00"
        )


def test_the_amount_is_set_once(failed):
    order(failed)

    with pytest.raises(TransitionConflict, match="已经确定"):
        order(failed)


def test_an_abandoned_project_opens_a_recovery_order_waiting_for_its_amount():
    application = executing()

    opened = recovery.abandon_project(
        application_id=application.pk, actor=application.people.lead_officer, reason="企业主动终止"
    )

    assert status(application) == "recovery"
    assert opened.amount is None


def test_abandoning_without_a_reason_is_refused():
    application = executing()

    with pytest.raises(InvalidInput, match="终止项目时必须写明理由"):
        recovery.abandon_project(
            application_id=application.pk, actor=application.people.lead_officer, reason=""
        )


def test_the_meeting_sets_the_amount_of_an_abandoned_project(django_capture_on_commit_callbacks):
    application = executing()
    recovery.abandon_project(
        application_id=application.pk, actor=application.people.lead_officer, reason="企业主动终止"
    )

    with django_capture_on_commit_callbacks(execute=True):
        order(application, amount="1500000.00")

    assert RecoveryOrder.objects.get(application=application).amount == Decimal("1500000.00")
    assert application.documents.filter(kind="recovery_order").exists()


def test_repayments_are_tracked_to_the_fen(failed):
    order(failed)
    repay(failed, "1000000.01")
    repay(failed, "999999.99")

    assert recovery.outstanding(RecoveryOrder.objects.get(application=failed)) == Decimal("0.00")


def test_a_repayment_above_what_remains_is_refused(failed):
    order(failed)
    repay(failed, "1500000.00")

    with pytest.raises(InvalidInput, match="不超过未追回金额"):
        repay(failed, "500000.01")


def test_a_repayment_before_the_amount_is_set_is_refused():
    application = executing()
    recovery.abandon_project(
        application_id=application.pk, actor=application.people.lead_officer, reason="企业主动终止"
    )

    with pytest.raises(TransitionConflict, match="尚未确定追回金额"):
        repay(application, "100.00")


def test_a_repayment_dated_in_the_future_is_refused(failed):
    order(failed)

    with pytest.raises(InvalidInput, match="不能晚于今天"):
        repay(failed, "100.00", days_ago=-1)


def test_closing_before_everything_is_repaid_is_refused(failed):
    order(failed)
    repay(failed, "1000000.00")

    with pytest.raises(InvalidInput, match="未追回，不能结项"):
        recovery.close_recovery(application_id=failed.pk, actor=failed.people.lead_officer)


def test_a_recovery_repaid_in_full_is_closed_with_its_notice(
    failed, django_capture_on_commit_callbacks
):
    order(failed)
    repay(failed, "2000000.00")

    with django_capture_on_commit_callbacks(execute=True):
        recovery.close_recovery(application_id=failed.pk, actor=failed.people.lead_officer)

    assert status(failed) == "closed"
    assert failed.documents.get(kind="recovery_closed").status == "ready"


def test_a_completed_project_is_closed_by_the_lead_department(scored):  # noqa: F811
    conclude(scored, "pass")

    recovery.close_project(application_id=scored.pk, actor=scored.people.lead_officer)

    assert status(scored) == "closed"


def test_the_applicant_cannot_abandon_the_project_itself():
    application = executing()

    with pytest.raises(NotAllowed):
        recovery.abandon_project(
            application_id=application.pk, actor=application.people.applicant, reason="不做了"
        )
