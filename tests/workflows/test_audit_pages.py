"""The auditors' verification page: a request only starts the verification (in the background)
and the page shows its progress, then its result."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import FundingApplicationFactory, make_user
from workflows import audit_runs
from workflows.models import AuditVerification

from .cases import behind_the_applications_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client():
    client = Client()
    client.force_login(make_user("auditor"))
    return client


def _page(response) -> str:
    return response.content.decode()


def test_starting_a_verification_queues_it_and_shows_its_progress_page(
    auditor_client, django_capture_on_commit_callbacks
):
    FundingApplicationFactory(state="lead_review")

    with django_capture_on_commit_callbacks() as launched:
        response = auditor_client.post(reverse("audit-verification-start"), follow=True)

    run = AuditVerification.objects.get()
    assert run.state == AuditVerification.State.QUEUED
    assert len(launched) == 1  # the background run starts after commit, not in the request
    assert "排队中" in _page(response)


def test_the_audit_page_runs_no_verification_itself(auditor_client):
    FundingApplicationFactory(state="lead_review")

    auditor_client.get(reverse("audit-trail"), {"verify": "1"})

    assert not AuditVerification.objects.exists()


def test_a_finished_verification_shows_that_the_trail_is_intact(auditor_client):
    FundingApplicationFactory(state="lead_review")
    run = AuditVerification.objects.create()

    audit_runs.run_verification(run.pk)

    page = _page(auditor_client.get(reverse("audit-verification", args=[run.pk])))
    assert "审计记录完整" in page


def test_a_finished_verification_names_the_altered_entry(auditor_client):
    application = FundingApplicationFactory(state="lead_review")
    seq = application.audit_entries.order_by("seq").first().seq
    with behind_the_applications_back() as cursor:
        cursor.execute("UPDATE workflows_auditentry SET reason = %s WHERE seq = %s", ["改写", seq])
    run = AuditVerification.objects.create()

    audit_runs.run_verification(run.pk)

    page = _page(auditor_client.get(reverse("audit-verification", args=[run.pk])))
    assert "审计记录已被篡改" in page
    assert f"#{seq}" in page


def test_the_audit_page_shows_the_latest_verification(auditor_client):
    FundingApplicationFactory(state="lead_review")
    run = AuditVerification.objects.create()
    audit_runs.run_verification(run.pk)

    assert "审计记录完整" in _page(auditor_client.get(reverse("audit-trail")))


def test_a_reviewer_cannot_start_a_verification(client):
    client.force_login(make_user("group_member"))

    assert client.post(reverse("audit-verification-start")).status_code == 403
    assert not AuditVerification.objects.exists()


def test_a_reviewer_cannot_see_a_verification(client):
    run = AuditVerification.objects.create()
    client.force_login(make_user("group_member"))

    assert client.get(reverse("audit-verification", args=[run.pk])).status_code == 403


def test_a_run_already_done_is_not_run_again():
    run = AuditVerification.objects.create(state=AuditVerification.State.DONE, intact=True)

    assert audit_runs.run_verification(run.pk).result == {}


@pytest.mark.django_db(transaction=True)
def test_embedded_the_verification_runs_in_a_thread_of_the_web_process(auditor_client):
    FundingApplicationFactory(state="lead_review")

    response = auditor_client.post(reverse("audit-verification-start"))
    run = AuditVerification.objects.get()
    audit_runs.wait_for(run.pk, timeout=60)

    run.refresh_from_db()
    assert response.status_code == 302
    assert (run.state, run.intact) == (AuditVerification.State.DONE, True)
