"""The pages, as each kind of user goes through them with a browser."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.models import CheckItem, Meeting
from tests import files
from tests.factories import (
    DepartmentFactory,
    FundingApplicationFactory,
    FundingCallFactory,
    OrganisationFactory,
    Reviewers,
    SpecialProjectFactory,
    claim_open_task,
    make_user,
    perform,
    score_by_experts,
)
from workflows.errors import TransitionConflict
from workflows.models import Attachment, FundingApplication

from .cases import Snapshot

pytestmark = pytest.mark.django_db

TINY_PDF = files.PDF
PNG = files.PNG


def _act(client, application, action, **data):
    return client.post(reverse("application-act", args=[application.pk, action]), data)


def _formal_check(client, application, decision="accept", **data):
    """The lead department's formal check form, every item passed."""
    items = {f"passed_{item}": "yes" for item in CheckItem.values}
    return client.post(
        reverse("approvals:formal-check", args=[application.pk]),
        {"decision": decision, **items, **data},
    )


def _meeting_for(client, application) -> Meeting:
    """The secretary schedules a meeting of the application's call and builds its agenda
    through the meeting pages."""
    response = client.post(
        reverse("approvals:meetings"),
        {
            "call": application.call_id,
            "held_on": timezone.localdate().isoformat(),
            "place": "市政府会议室",
            "chair": "主管副市长",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(call=application.call_id, state=Meeting.State.PLANNED)
    assert client.post(reverse("approvals:build-agenda", args=[meeting.pk])).status_code == 302
    return meeting


def _resolve(client, meeting, application, decision, amount="", reason=""):
    pk = application.pk
    return client.post(
        reverse("approvals:meeting", args=[meeting.pk]),
        {
            f"decision_{pk}": decision,
            f"amount_{pk}": amount,
            f"reason_{pk}": reason,
            "confirm": "on",
        },
    )


def _detail(client, application):
    return client.get(reverse("application-detail", args=[application.pk]))


def _page(response) -> str:
    return response.content.decode()


def _stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def applicant():
    return make_user("applicant", organisation=OrganisationFactory())


@pytest.fixture
def form_data():
    start = timezone.localdate()
    return {
        "call": FundingCallFactory().pk,
        "special_project": SpecialProjectFactory().pk,
        "national_task_code": "2026ZX02001",
        "title": "新一代宽带无线移动通信网",
        "national_approval_number": "国科发专〔2026〕8号",
        "national_funding": "20000000.00",
        "own_funds": "10000000.00",
        "other_local_funds": "0",
        "requested_amount": "8000000.00",
        "funding_form": "grant",
        "landing_district": "haidian",
        "industrialised_in_beijing": "on",
        "period_start": start.isoformat(),
        "period_end": (start + datetime.timedelta(days=1000)).isoformat(),
        "expected_sales_revenue": "50000000",
        "expected_patents": "12",
        "expected_jobs": "80",
        "summary": "面向5G终端芯片的研发与产业化。",
    }


@pytest.fixture
def draft(applicant):
    application = FundingApplicationFactory(
        organisation=applicant.profile.organisation, created_by=applicant
    )
    return application


@pytest.fixture
def client_of(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- the applicant's draft --------------------------------------------------------------------


def test_an_applicant_creates_a_draft_through_the_form(client_of, applicant, form_data):
    response = client_of(applicant).post(reverse("application-create"), form_data)

    application = FundingApplication.objects.get(national_task_code="2026ZX02001")
    assert response.status_code == 302
    assert response.url == reverse("application-detail", args=[application.pk])
    assert (application.status, application.created_by) == ("draft", applicant)


def test_the_form_refuses_a_request_above_the_national_funding_and_stores_nothing(
    client_of, applicant, form_data
):
    form_data["requested_amount"] = "20000000.01"

    response = client_of(applicant).post(reverse("application-create"), form_data)

    assert response.status_code == 200
    assert "申请配套金额不得超过中央财政资金" in _page(response)
    assert not FundingApplication.objects.exists()


def test_a_pdf_attachment_is_stored_and_listed(client_of, applicant, draft, private_storage):
    client = client_of(applicant)

    response = client.post(
        reverse("attachment-upload", args=[draft.pk]),
        {
            "kind": "national_approval",
            "file": SimpleUploadedFile("国家批复.pdf", TINY_PDF, "application/pdf"),
        },
    )

    attachment = Attachment.objects.get(application=draft)
    assert response.status_code == 302
    assert attachment.file.read() == TINY_PDF
    assert "国家批复.pdf" in _page(_detail(client, draft))


def test_an_attachment_is_downloaded_by_its_applicant(client_of, applicant, draft):
    client = client_of(applicant)
    client.post(
        reverse("attachment-upload", args=[draft.pk]),
        {"kind": "budget", "file": SimpleUploadedFile("预算书.pdf", TINY_PDF)},
    )
    attachment = Attachment.objects.get(application=draft)

    response = client.get(reverse("attachment-download", args=[draft.pk, attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TINY_PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "只能上传"),
        ("扫描件.pdf", PNG, "文件内容与扩展名不符"),
    ],
    ids=["an_executable", "a_png_named_pdf"],
)
def test_an_attachment_of_the_wrong_kind_is_refused_with_a_message_and_nothing_is_stored(
    client_of, applicant, draft, private_storage, name, content, message
):
    response = client_of(applicant).post(
        reverse("attachment-upload", args=[draft.pk]),
        {"kind": "other", "file": SimpleUploadedFile(name, content)},
    )

    assert response.status_code == 400
    assert message in _page(response)
    assert not Attachment.objects.exists()
    assert _stored_files(private_storage) == []


def test_an_oversized_attachment_is_refused_and_nothing_is_stored(
    client_of, applicant, draft, private_storage, settings
):
    settings.ATTACHMENT_MAX_BYTES = 2**20
    big = TINY_PDF + b"0" * (2**20)

    response = client_of(applicant).post(
        reverse("attachment-upload", args=[draft.pk]),
        {"kind": "plan", "file": SimpleUploadedFile("方案.pdf", big)},
    )

    assert response.status_code == 413
    assert "1 MB" in _page(response)
    assert not Attachment.objects.exists()
    assert _stored_files(private_storage) == []


def test_another_organisations_applicant_cannot_upload_to_a_draft(client_of, draft):
    """The draft is not theirs to see: 404, as for any request they may not see."""
    outsider = make_user("applicant", organisation=OrganisationFactory())

    response = client_of(outsider).post(
        reverse("attachment-upload", args=[draft.pk]),
        {"kind": "other", "file": SimpleUploadedFile("x.pdf", TINY_PDF)},
    )

    assert response.status_code == 404
    assert not Attachment.objects.exists()


# --- the whole journey ------------------------------------------------------------------------


def test_a_request_goes_from_the_form_to_a_downloadable_approval(
    client, applicant, form_data, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    client.post(reverse("application-create"), form_data)
    application = FundingApplication.objects.get(national_task_code="2026ZX02001")
    client.post(
        reverse("attachment-upload", args=[application.pk]),
        {"kind": "national_approval", "file": SimpleUploadedFile("批复.pdf", TINY_PDF)},
    )
    assert _act(client, application, "submit").status_code == 302
    people = Reviewers(application)

    # Tier 1: the lead department finds it in its queue, claims it and records the formal check.
    client.force_login(people.lead_officer)
    assert application.national_task_code in _page(client.get(reverse("home")))
    assert _act(client, application, "claim").status_code == 302
    assert _formal_check(client, application, reason="形式审查合格").status_code == 302
    # Tier 2: the experts score (their own pages are tested with approvals); the chair decides.
    score_by_experts(application, people)
    client.force_login(people.group_chair)
    assert _act(client, application, "claim").status_code == 302
    response = client.post(
        reverse("approvals:recommendation", args=[application.pk]),
        {"decision": "recommend", "amount": "6000000", "reason": "建议支持"},
    )
    assert response.status_code == 302
    # Tier 3: the secretary schedules a meeting, builds its agenda and records the approval; its
    # document renders after commit.
    client.force_login(people.secretary)
    meeting = _meeting_for(client, application)
    with django_capture_on_commit_callbacks(execute=True):
        response = _resolve(client, meeting, application, "approve", "5000000", "审议通过")
    assert response.status_code == 302

    client.force_login(applicant)
    page = _page(_detail(client, application))
    assert "已批复" in page
    document = application.documents.get(kind="approval")
    assert reverse("document-download", args=[document.pk]) in page
    response = client.get(reverse("document-download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


# --- what each user may see -------------------------------------------------------------------


@pytest.fixture
def approved_with_document(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(state="meeting_review")
    people = application.people
    perform("claim_meeting", application, people)
    with django_capture_on_commit_callbacks(execute=True):
        perform("approve", application, people)
    application.people = people
    return application


def test_another_organisations_applicant_gets_404_on_the_detail_page(client_of):
    application = FundingApplicationFactory(state="submitted")
    outsider = make_user("applicant", organisation=OrganisationFactory())

    assert _detail(client_of(outsider), application).status_code == 404


def test_another_organisations_applicant_gets_404_on_the_decision_document(
    client_of, approved_with_document
):
    document = approved_with_document.documents.get(kind="approval")
    outsider = make_user("applicant", organisation=OrganisationFactory())

    response = client_of(outsider).get(reverse("document-download", args=[document.pk]))

    assert response.status_code == 404


def test_the_applicant_downloads_the_decision_document(client_of, approved_with_document):
    document = approved_with_document.documents.get(kind="approval")

    response = client_of(approved_with_document.people.applicant).get(
        reverse("document-download", args=[document.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_lead_officer_of_another_department_gets_404_on_the_detail_page(client_of):
    application = FundingApplicationFactory(state="lead_review")
    officer = make_user("lead_officer", department=DepartmentFactory())

    assert _detail(client_of(officer), application).status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page():
    response = Client().get(reverse("home"))

    assert response.status_code == 302
    assert reverse("login") in response.url


# --- refusals as HTTP status codes -----------------------------------------------------------


def test_deciding_on_an_already_decided_application_answers_409_with_the_message(client_of):
    application = FundingApplicationFactory(state="approved")

    response = _formal_check(client_of(application.people.lead_officer), application)

    assert response.status_code == 409
    assert str(TransitionConflict.default_message) in _page(response)
    application.refresh_from_db()
    assert application.approved_amount == Decimal("5000000.00")


def test_a_reviewer_whose_colleague_holds_the_task_gets_409_on_claiming(client_of):
    application = FundingApplicationFactory(state="lead_review")
    colleague = make_user("lead_officer", department=application.special_project.lead_department)

    response = _act(client_of(colleague), application, "claim")

    assert response.status_code == 409
    assert "该任务已被他人认领" in _page(response)


def test_a_role_that_may_not_decide_gets_403_and_nothing_changes(client_of):
    application = FundingApplicationFactory(state="lead_review")
    auditor = make_user("auditor")  # reads every request, decides none

    response = _formal_check(client_of(auditor), application)

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == "lead_review"


def test_an_approval_without_an_amount_is_refused_with_a_form_error_and_nothing_changes(
    client_of,
):
    application = claim_open_task(FundingApplicationFactory(state="meeting_review"))
    client = client_of(application.people.secretary)
    meeting = _meeting_for(client, application)
    before = Snapshot.of(application)

    response = _resolve(client, meeting, application, "approve")

    assert response.status_code == 200
    assert "须填写批准金额" in _page(response)
    assert Snapshot.of(application) == before


def test_an_unknown_action_is_404(client_of):
    application = FundingApplicationFactory(state="lead_review")

    response = _act(client_of(application.people.lead_officer), application, "approve_all")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("lead_review", "accept"),
        ("lead_review", "return"),
        ("lead_review", "reject"),
        ("group_review", "recommend"),
        ("meeting_review", "approve"),
        ("meeting_review", "defer"),
    ],
)
def test_the_action_endpoint_takes_no_tiers_decision_and_nothing_changes(client_of, state, action):
    """Decisions go through their tier's page; the old action names are unknown here."""
    application = claim_open_task(FundingApplicationFactory(state=state))
    reviewer = application.people.at_tier(application.current_tier)
    before = Snapshot.of(application)

    response = _act(client_of(reviewer), application, action, amount="5000000", reason="理由")

    assert response.status_code == 404
    assert Snapshot.of(application) == before


def test_an_action_must_be_posted(client_of):
    application = FundingApplicationFactory(state="lead_review")

    response = client_of(application.people.lead_officer).get(
        reverse("application-act", args=[application.pk, "release"])
    )

    assert response.status_code == 405


# --- the audit page ---------------------------------------------------------------------------


def test_the_audit_page_is_forbidden_to_applicants(client_of, applicant):
    assert client_of(applicant).get(reverse("audit-trail")).status_code == 403


def test_the_audit_page_is_shown_to_auditors_with_every_entry(client_of):
    application = FundingApplicationFactory(state="lead_review")

    response = client_of(make_user("auditor")).get(reverse("audit-trail"))

    assert response.status_code == 200
    assert application.national_task_code in _page(response)


# --- query counts -----------------------------------------------------------------------------


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_the_applicants_home_page_costs_the_same_queries_for_5_or_30_applications(
    client_of, applicant, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            FundingApplicationFactory(
                organisation=applicant.profile.organisation, created_by=applicant
            )

    client = client_of(applicant)
    add(5)
    with_five = _home_queries(client)
    add(25)

    with django_assert_max_num_queries(with_five):
        response = client.get(reverse("home"))

    assert _page(response).count("/applications/") >= 30


def test_the_lead_officers_queue_costs_the_same_queries_for_5_or_30_applications(
    client_of, django_assert_max_num_queries
):
    special_project = SpecialProjectFactory()
    officer = make_user("lead_officer", department=special_project.lead_department)

    def add(n):
        for _ in range(n):
            FundingApplicationFactory(state="submitted", special_project=special_project)

    client = client_of(officer)
    add(5)
    with_five = _home_queries(client)
    add(25)

    with django_assert_max_num_queries(with_five):
        response = client.get(reverse("home"))

    assert 'class="count">30<' in _page(response)
