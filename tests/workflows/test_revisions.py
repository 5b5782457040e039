"""Reviewers see what a resubmission changed, field by field."""

import hashlib
from decimal import Decimal

import pytest

from tests.factories import FundingApplicationFactory
from workflows import drafts, submission
from workflows.audit import canonical_json
from workflows.models import ApplicationRevision, AuditEntry
from workflows.selectors import revision_changes

pytestmark = pytest.mark.django_db


def _returned_then_resubmitted(**changes):
    application = FundingApplicationFactory(state="returned_by_lead")
    applicant = application.people.applicant
    drafts.update_application(application_id=application.pk, actor=applicant, data=changes)
    submission.resubmit_application(application_id=application.pk, actor=applicant)
    return application


def test_a_resubmission_shows_each_changed_field_with_its_old_and_new_value():
    application = _returned_then_resubmitted(
        title="修改后的课题名称", own_funds=Decimal("12000000.00")
    )
    changes = {label: (before, after) for label, before, after in revision_changes(application)}
    assert changes == {
        "课题名称": ("高端通用芯片研发与产业化", "修改后的课题名称"),
        "单位自筹资金(元)": ("10000000.00", "12000000.00"),
    }


def test_a_first_revision_has_no_changes_to_show():
    application = FundingApplicationFactory(state="lead_review")
    assert revision_changes(application) == []


def test_the_applicant_does_not_get_the_difference_table(client):
    application = _returned_then_resubmitted(title="修改后的课题名称")
    client.force_login(application.people.applicant)
    page = client.get(f"/applications/{application.pk}/")
    assert "相对上一版的修改" not in page.content.decode()


def test_the_lead_officer_sees_the_difference_table(client):
    application = _returned_then_resubmitted(title="修改后的课题名称")
    client.force_login(application.people.lead_officer)
    page = client.get(f"/applications/{application.pk}/")
    assert "修改后的课题名称" in page.content.decode()
    assert "相对上一版的修改" in page.content.decode()


def test_a_lead_department_head_reassigns_the_open_task_from_the_application_page(client):
    from tests.factories import make_user

    application = FundingApplicationFactory(state="lead_review")
    department = application.special_project.lead_department
    head = make_user("lead_officer", department=department)
    head.profile.is_head = True
    head.profile.save()
    colleague = make_user("lead_officer", department=department)
    task = application.review_process.task_set.get(status="ASSIGNED")
    client.force_login(head)
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert f'<option value="{colleague.pk}">' in page
    client.post(
        f"/applications/{application.pk}/reassign/",
        {"task": task.pk, "to_user": colleague.pk, "reason": "逾期改派"},
    )
    task.refresh_from_db()
    assert task.owner_id == colleague.pk


def test_a_submitted_revision_holds_the_content_its_audit_entry_vouches_for():
    application = FundingApplicationFactory()

    submission.submit_application(application_id=application.pk, actor=application.created_by)

    revision = ApplicationRevision.objects.get(application=application)
    entry = AuditEntry.objects.get(application=application, transition="submit")
    assert hashlib.sha256(canonical_json(revision.content)).hexdigest() == entry.content_digest
