"""The pages after the approval: each form reaches its service, and each page shows only what
its reader may see."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from awards.models import FundingAgreement, Objection, Tranche
from tests.factories import make_user
from workflows.models import FundingApplication

from .helpers import after_notice, approved, final, in_execution, in_notice, lodge, with_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _status(application) -> str:
    return FundingApplication.objects.values_list("status", flat=True).get(pk=application.pk)


def test_anybody_reads_the_public_notice_with_title_organisation_and_amount_only(client):
    application = in_notice(summary="保密的项目摘要")

    page = client.get(reverse("awards:notices")).content.decode()

    assert application.title in page and application.organisation.name in page
    assert "5,000,000.00" in page
    assert "保密的项目摘要" not in page and application.national_task_code not in page


def test_the_public_notice_leaves_out_requests_not_in_notice(client):
    application = approved(title="尚未公示的课题")

    page = client.get(reverse("awards:notices")).content.decode()

    assert application.title not in page


def test_an_anonymous_objection_is_lodged_from_the_form_and_shows_its_receipt(client):
    application = in_notice()

    response = client.post(
        reverse("awards:objection-form", args=[application.pk]),
        {"name": "王五", "contact": "wang@example.com", "grounds": "数据不实"},
    )

    objection = Objection.objects.get()
    assert objection.receipt_number in response.content.decode()


def test_an_objection_without_grounds_shows_the_error_next_to_the_field(client):
    application = in_notice()

    response = client.post(
        reverse("awards:objection-form", args=[application.pk]),
        {"name": "王五", "contact": "wang@example.com", "grounds": ""},
    )

    assert response.status_code == 200
    assert "grounds" in response.context["form"].errors
    assert not Objection.objects.exists()


def test_objections_are_rate_limited_per_client(client, settings):
    settings.OBJECTION_RATE_LIMIT = 2
    application = in_notice()
    url = reverse("awards:objection-form", args=[application.pk])
    data = {"name": "王五", "contact": "1", "grounds": "数据不实"}

    codes = [client.post(url, data).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert Objection.objects.count() == 2


def test_the_objection_form_answers_404_for_a_request_not_in_notice(client):
    application = approved()

    assert client.get(reverse("awards:objection-form", args=[application.pk])).status_code == 404


def test_the_applicant_never_sees_who_objected(client):
    application = in_notice()
    lodge(application, name="举报人甲")
    client.force_login(application.people.applicant)

    detail = client.get(reverse("application-detail", args=[application.pk])).content.decode()
    notice_page = client.get(reverse("awards:notice", args=[application.pk]))

    assert "举报人甲" not in detail
    assert notice_page.status_code == 403


def test_the_secretariat_opens_the_notice_from_its_page(client):
    application = approved()
    client.force_login(application.people.secretary)

    client.post(reverse("awards:notice", args=[application.pk]), {"action": "open"})

    assert _status(application) == "in_notice"


def test_the_secretariat_resolves_an_objection_from_its_page(client):
    application = in_notice()
    objection = lodge(application)
    secretary = application.people.secretary
    client.force_login(secretary)
    client.post(reverse("awards:notice", args=[application.pk]), {"action": "review"})

    client.post(
        reverse("awards:objection", args=[objection.pk]),
        {"decision": "dismiss", "resolution": "经核查不成立"},
    )

    assert Objection.objects.get().status == "dismissed"
    assert _status(application) == "in_notice"


def test_the_secretariat_sees_the_objectors_name_and_contact(client):
    application = in_notice()
    objection = lodge(application, name="举报人甲", contact="139")
    client.force_login(application.people.secretary)

    page = client.get(reverse("awards:objection", args=[objection.pk])).content.decode()

    assert "举报人甲" in page and "139" in page


def test_finalising_too_early_shows_the_refusal(client):
    application = in_notice()
    client.force_login(application.people.secretary)

    response = client.post(reverse("awards:notice", args=[application.pk]), {"action": "finalise"})

    assert response.status_code == 409
    assert "公示期至" in response.content.decode()


def test_finalising_after_the_notice_from_the_page(client):
    application = in_notice()
    after_notice(application)
    client.force_login(application.people.secretary)

    client.post(reverse("awards:notice", args=[application.pk]), {"action": "finalise"})

    assert _status(application) == "final"


def test_the_lead_department_drafts_the_agreement_from_the_proposed_terms(client):
    application = final()
    client.force_login(application.people.lead_officer)
    form = client.get(reverse("awards:agreement", args=[application.pk])).context["form"]
    data = dict(form.initial)

    client.post(reverse("awards:agreement", args=[application.pk]), {**data, "action": "draft"})

    assert FundingAgreement.objects.get().amount == application.approved_amount


def test_an_amount_above_the_approval_comes_back_as_a_form_error(client):
    application = final()
    client.force_login(application.people.lead_officer)
    form = client.get(reverse("awards:agreement", args=[application.pk])).context["form"]
    data = {**form.initial, "amount": str(application.approved_amount + 1), "action": "draft"}

    response = client.post(reverse("awards:agreement", args=[application.pk]), data)

    assert "不得超过批复金额" in response.content.decode()
    assert not FundingAgreement.objects.exists()


def test_the_applicant_confirms_and_the_lead_department_signs_from_the_page(client):
    application = with_agreement()
    url = reverse("awards:agreement", args=[application.pk])
    client.force_login(application.people.applicant)
    client.post(url, {"action": "confirm"})
    client.force_login(application.people.lead_officer)

    client.post(url, {"action": "sign"})

    assert _status(application) == "in_execution"


def test_the_lead_department_releases_a_tranche_from_the_page(client):
    application = in_execution()
    tranche = Tranche.objects.get(agreement__application=application, position=1)
    client.force_login(application.people.lead_officer)

    client.post(reverse("awards:tranche-release", args=[tranche.pk]))

    assert Tranche.objects.get(pk=tranche.pk).released_at is not None


def test_the_applicant_cannot_release_a_tranche(client):
    application = in_execution()
    tranche = Tranche.objects.get(agreement__application=application, position=1)
    client.force_login(application.people.applicant)

    response = client.post(reverse("awards:tranche-release", args=[tranche.pk]))

    assert response.status_code == 403
    assert Tranche.objects.get(pk=tranche.pk).released_at is None


def test_the_applicants_timeline_shows_what_is_due_next(client):
    application = with_agreement()
    client.force_login(application.people.applicant)

    page = client.get(reverse("application-detail", args=[application.pk])).content.decode()

    assert "公示" in page and "申报单位确认资金协议" in page


def test_the_queue_shows_the_lead_department_the_agreement_to_draft(client):
    application = final()
    client.force_login(application.people.lead_officer)

    page = client.get(reverse("awards:queue")).content.decode()

    assert "起草资金协议" in page and application.title in page


def test_the_queue_shows_the_applicant_the_agreement_to_confirm(client):
    application = with_agreement()
    client.force_login(application.people.applicant)

    page = client.get(reverse("awards:queue")).content.decode()

    assert "确认资金协议" in page


def test_an_auditor_reads_the_notice_page_but_cannot_act_on_it(client):
    application = approved()
    auditor = make_user("auditor")
    client.force_login(auditor)

    assert client.get(reverse("awards:notice", args=[application.pk])).status_code == 200
    response = client.post(reverse("awards:notice", args=[application.pk]), {"action": "open"})
    assert response.status_code == 403
    assert _status(application) == "approved"


def test_the_equity_page_records_a_holding(client):
    from .helpers import pooled, through_to_execution

    application = through_to_execution(pooled(funding_form="mixed", amount=Decimal("5000000.00")))
    client.force_login(application.people.lead_officer)

    client.post(
        reverse("awards:equity", args=[application.pk]),
        {
            "investing_body": "北京市科技创新基金",
            "amount": "2000000",
            "share": "5",
            "valuation": "40000000",
            "invested_on": "2026-12-01",
        },
    )

    assert application.equity_holding.investing_body == "北京市科技创新基金"


def test_the_secretariat_downloads_an_objections_evidence_and_the_applicant_cannot(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import files

    application = in_notice()
    objection = lodge(
        application,
        attachment=SimpleUploadedFile("evidence.pdf", files.PDF, content_type="application/pdf"),
    )
    url = reverse("awards:objection-attachment", args=[objection.pk])
    client.force_login(application.people.secretary)
    downloaded = client.get(url)
    client.force_login(application.people.applicant)

    assert b"".join(downloaded.streaming_content) == files.PDF
    assert client.get(url).status_code == 403


def test_the_lead_department_sets_a_periods_targets_on_the_agreement_page(client):
    application = final()
    client.force_login(application.people.lead_officer)
    form = client.get(reverse("awards:agreement", args=[application.pk])).context["form"]
    data = {**form.initial, "target_1_sales_revenue": "7654321.00", "target_1_jobs": "9"}

    client.post(reverse("awards:agreement", args=[application.pk]), {**data, "action": "draft"})

    first = FundingAgreement.objects.get().targets.get(period_index=1)
    assert (first.sales_revenue, first.jobs) == (Decimal("7654321.00"), 9)


def test_a_target_with_more_industrial_revenue_than_revenue_comes_back_as_a_form_error(client):
    application = final()
    client.force_login(application.people.lead_officer)
    form = client.get(reverse("awards:agreement", args=[application.pk])).context["form"]
    data = {
        **form.initial,
        "target_1_sales_revenue": "100.00",
        "target_1_of_which_industrial": "200.00",
        "action": "draft",
    }

    response = client.post(reverse("awards:agreement", args=[application.pk]), data)

    assert "产业化项目销售收入不得超过新增销售收入" in response.content.decode()
    assert not FundingAgreement.objects.exists()
