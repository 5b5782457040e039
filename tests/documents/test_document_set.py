"""The full set of decision documents: which decision issues which, and what each one says."""

from __future__ import annotations

import pytest

from documents.content import document_html, qr_data_uri, verification_url
from documents.models import Document
from documents.numerals import amount_in_chinese_capitals, format_yuan
from tests.factories import FundingApplicationFactory

from .issued import (
    APPROVED,
    ASSESSMENT,
    RECOMMENDED,
    accepted,
    approved,
    decided_by_group,
    documents_of,
    meeting_with_agenda,
    minutes_of,
    pdf_text,
    rejected_by_lead,
    resolve,
    returned_by_lead,
    squeezed,
    the_document,
)

pytestmark = pytest.mark.django_db

REASONS = [
    {"item": "attachments_complete", "text": "缺少单位营业执照复印件"},
    {"item": "amounts_consistent", "text": "预算表与申报书金额不一致"},
]


def kinds(application) -> list[str]:
    return sorted(
        Document.objects.filter(application=application, translation_of=None).values_list(
            "kind", flat=True
        )
    )


# --- acceptance notice -----------------------------------------------------------------------


def test_accepting_a_request_for_review_issues_an_acceptance_notice(
    django_capture_on_commit_callbacks,
):
    application = accepted(django_capture_on_commit_callbacks)

    assert kinds(application) == ["acceptance"]


def test_the_acceptance_notice_names_the_request_and_the_accepting_tier(
    django_capture_on_commit_callbacks,
):
    application = accepted(django_capture_on_commit_callbacks)

    text = pdf_text(the_document(application, "acceptance"))
    assert application.national_task_code in text
    assert "受理环节牵头部门" in text


# --- return and rejection notices ------------------------------------------------------------


def test_a_return_notice_names_the_tier_that_returned_the_request(
    django_capture_on_commit_callbacks,
):
    application = decided_by_group(django_capture_on_commit_callbacks, "return")

    assert "退回环节审核工作小组" in pdf_text(the_document(application, "return_notice"))


def test_a_return_notice_lists_each_structured_reason_under_its_check_item(
    django_capture_on_commit_callbacks,
):
    application = returned_by_lead(django_capture_on_commit_callbacks, reasons=REASONS)

    text = pdf_text(the_document(application, "return_notice"))
    assert "1申报材料齐全缺少单位营业执照复印件" in text
    assert "2资金数额前后一致预算表与申报书金额不一致" in text


def test_a_return_notice_does_not_repeat_reasons_the_table_already_lists(
    django_capture_on_commit_callbacks,
):
    application = returned_by_lead(django_capture_on_commit_callbacks, reasons=REASONS)

    assert pdf_text(the_document(application, "return_notice")).count("缺少单位营业执照") == 1


def test_a_rejection_notice_states_the_deciding_tier_and_the_reason(
    django_capture_on_commit_callbacks,
):
    application = rejected_by_lead(django_capture_on_commit_callbacks, reason="不属于支持方向")

    text = pdf_text(the_document(application, "rejection"))
    assert "决定环节牵头部门" in text
    assert "不属于支持方向" in text


# --- the review group's opinion --------------------------------------------------------------


def test_the_groups_recommendation_issues_its_opinion_and_no_notice(
    django_capture_on_commit_callbacks,
):
    application = decided_by_group(django_capture_on_commit_callbacks, "recommend")

    assert kinds(application) == ["acceptance", "review_opinion"]


@pytest.mark.parametrize(
    ("decision", "notice"), [("return", "return_notice"), ("reject", "rejection")]
)
def test_the_groups_return_or_rejection_issues_its_notice_and_its_opinion(
    decision, notice, django_capture_on_commit_callbacks
):
    application = decided_by_group(django_capture_on_commit_callbacks, decision)

    assert kinds(application) == sorted(["acceptance", notice, "review_opinion"])


def test_the_opinion_prints_the_weighted_score_of_each_criterion(
    django_capture_on_commit_callbacks,
):
    application = decided_by_group(django_capture_on_commit_callbacks, "recommend", scores=70)

    text = pdf_text(the_document(application, "review_opinion"))
    # Weights 25, 25, 30, 20 of the default rubric; every expert gave 70.
    for row in (
        "符合区县功能定位25%70.0017.50",
        "市场应用前景25%70.0017.50",
        "技术经济可行30%70.0021.00",
        "有亮点、有显示度20%70.0014.00",
        "合计100%70.00",
    ):
        assert row in text


def test_the_opinion_names_no_expert(django_capture_on_commit_callbacks):
    application = decided_by_group(django_capture_on_commit_callbacks, "recommend")

    text = pdf_text(the_document(application, "review_opinion"))
    names = [squeezed(e.get_full_name() or e.username) for e in application.people.experts]
    assert [name for name in names if name in text] == []


def test_the_opinion_states_the_recommended_amount_in_figures_and_capitals(
    django_capture_on_commit_callbacks,
):
    application = decided_by_group(django_capture_on_commit_callbacks, "recommend")

    text = pdf_text(the_document(application, "review_opinion"))
    assert f"{format_yuan(RECOMMENDED)}（大写：{amount_in_chinese_capitals(RECOMMENDED)}）" in text


def test_the_opinion_explains_the_amount_under_the_policy_version(
    django_capture_on_commit_callbacks,
):
    application = decided_by_group(
        django_capture_on_commit_callbacks, "recommend", assessment=ASSESSMENT, amount=APPROVED
    )

    text = pdf_text(the_document(application, "review_opinion"))
    assert squeezed(ASSESSMENT["explanation"][0]["text_zh"]) in text


def test_the_opinion_names_the_policy_with_the_date_it_took_effect(
    django_capture_on_commit_callbacks,
):
    _policy_in_force_since_january()
    application = decided_by_group(
        django_capture_on_commit_callbacks, "recommend", assessment=ASSESSMENT, amount=APPROVED
    )

    text = pdf_text(the_document(application, "review_opinion"))
    assert "测算依据：示例配套政策（2026年1月1日起施行）" in text


def test_the_opinion_does_not_print_the_policys_version_code(django_capture_on_commit_callbacks):
    _policy_in_force_since_january()
    application = decided_by_group(
        django_capture_on_commit_callbacks, "recommend", assessment=ASSESSMENT, amount=APPROVED
    )

    assert "2026.1" not in pdf_text(the_document(application, "review_opinion"))


def test_the_opinion_names_each_eligibility_rule_by_its_title_not_its_condition(
    django_capture_on_commit_callbacks,
):
    step = {
        "rule_id": "registered-in-beijing",
        "kind": "eligibility",
        "template": "eligibility.met",
        "title_zh": "在京注册",
        "title_en": "registered in Beijing",
        "text_zh": "【在京注册】符合：registered_in_beijing",
        "text_en": "[registered in Beijing] met: registered_in_beijing",
        "inputs": {"condition": "registered_in_beijing"},
        "result": None,
    }
    assessment = {**ASSESSMENT, "explanation": [step, *ASSESSMENT["explanation"]]}
    application = decided_by_group(
        django_capture_on_commit_callbacks, "recommend", assessment=assessment, amount=APPROVED
    )

    text = pdf_text(the_document(application, "review_opinion"))
    assert ("【在京注册】符合" in text, "registered_in_beijing" in text) == (True, False)


def _policy_in_force_since_january():
    """The stored version the assessment names (not activated: the recommendation is made
    with the assessment the test gives)."""
    import datetime

    from approvals.models import MatchingPolicyVersion

    return MatchingPolicyVersion.objects.create(
        name="示例配套政策",
        version="2026.1",
        content_hash="ab" * 32,
        source_text="format: 1",
        effective_from=datetime.date(2026, 1, 1),
    )


# --- the minutes of a joint meeting ----------------------------------------------------------


def test_recording_a_meetings_resolutions_issues_one_set_of_minutes(
    django_capture_on_commit_callbacks,
):
    meeting, secretary = meeting_with_agenda(2)
    resolve(
        django_capture_on_commit_callbacks, meeting, secretary, [("approve", ""), ("defer", "")]
    )

    assert Document.objects.filter(meeting=meeting, kind="meeting_minutes").count() == 1


def test_the_minutes_list_every_agenda_item_with_its_resolution(
    django_capture_on_commit_callbacks,
):
    meeting, secretary = meeting_with_agenda(3)
    items = resolve(
        django_capture_on_commit_callbacks,
        meeting,
        secretary,
        [("approve", ""), ("reject", "不符合方向"), ("defer", "材料待补")],
    )

    text = pdf_text(minutes_of(meeting))
    codes = [item.application.national_task_code for item in items]
    assert all(code in text for code in codes)
    assert "批准1项，不予支持1项，暂缓1项" in text
    assert f"批准配套资金合计{format_yuan(APPROVED)}" in text
    assert "第2项：不符合方向" in text


def test_the_minutes_are_linked_to_every_application_on_the_agenda_and_to_the_meeting(
    django_capture_on_commit_callbacks,
):
    meeting, secretary = meeting_with_agenda(2)
    items = resolve(
        django_capture_on_commit_callbacks, meeting, secretary, [("approve", ""), ("reject", "否")]
    )

    minutes = minutes_of(meeting)
    linked = set(minutes.applications.values_list("pk", flat=True))
    assert linked == {item.application_id for item in items}
    assert (minutes.application_id, minutes.audit_entry_id) == (None, None)


def test_a_batch_of_resolutions_that_is_refused_issues_no_minutes(
    django_capture_on_commit_callbacks,
):
    from approvals.meetings import Resolution, record_resolutions
    from workflows.errors import InvalidInput

    meeting, secretary = meeting_with_agenda(2)
    first = meeting.items.order_by("position").first()
    with pytest.raises(InvalidInput), django_capture_on_commit_callbacks(execute=True):
        # The second item has no resolution: the whole batch is refused.
        record_resolutions(
            meeting_id=meeting.pk,
            actor=secretary,
            resolutions=[Resolution(first.application_id, "approve", APPROVED)],
        )

    assert not Document.objects.filter(meeting=meeting).exists()


# --- the approval ----------------------------------------------------------------------------


def test_the_approval_states_the_split_by_department_and_by_form(
    django_capture_on_commit_callbacks,
):
    application = approved(django_capture_on_commit_callbacks, assessment=ASSESSMENT)

    text = pdf_text(the_document(application, "approval"))
    assert "出资部门市科委¥3,000,000.00市经信局¥2,000,000.00" in text
    assert "支持方式无偿资助¥4,000,000.00股权投资¥1,000,000.00" in text


def test_the_approval_names_the_policy_behind_the_amount_with_its_effective_date(
    django_capture_on_commit_callbacks,
):
    _policy_in_force_since_january()
    application = approved(django_capture_on_commit_callbacks, assessment=ASSESSMENT)

    text = pdf_text(the_document(application, "approval"))
    assert "测算依据示例配套政策（2026年1月1日起施行）" in text


def test_the_approval_leaves_off_a_department_that_pays_nothing(
    django_capture_on_commit_callbacks,
):
    departments = [
        *ASSESSMENT["by_department"],
        {"code": "fgw", "name_zh": "市发展改革委", "name_en": "DRC", "amount": "0.00"},
    ]
    assessment = {**ASSESSMENT, "by_department": departments}
    application = approved(django_capture_on_commit_callbacks, assessment=assessment)

    assert "市发展改革委" not in pdf_text(the_document(application, "approval"))


def test_the_approval_leaves_off_a_form_of_support_at_zero(django_capture_on_commit_callbacks):
    assessment = {**ASSESSMENT, "by_form": {"grant": "5000000.00", "equity": "0.00"}}
    application = approved(django_capture_on_commit_callbacks, assessment=assessment)

    assert "股权投资¥0.00" not in pdf_text(the_document(application, "approval"))


def test_the_approval_states_the_conditions_of_the_grant(django_capture_on_commit_callbacks):
    application = approved(django_capture_on_commit_callbacks, assessment=ASSESSMENT)

    text = pdf_text(the_document(application, "approval"))
    assert "支持条件" in text
    assert "股权投资部分须在批复后签订投资协议" in text  # the split has an equity part


def test_an_approval_of_another_amount_than_assessed_prints_no_split(
    django_capture_on_commit_callbacks,
):
    from decimal import Decimal

    application = approved(
        django_capture_on_commit_callbacks, assessment=ASSESSMENT, amount=Decimal("4500000.00")
    )

    text = pdf_text(the_document(application, "approval"))
    assert "市科委" not in text
    assert f"{format_yuan(Decimal('4500000.00'))}（大写：肆佰伍拾万元整）" in text


def _pages(document) -> int:
    import io

    from pypdf import PdfReader

    from .issued import pdf_bytes

    return len(PdfReader(io.BytesIO(pdf_bytes(document))).pages)


# --- the letterhead, footer and QR code ------------------------------------------------------


def test_every_page_carries_the_number_and_its_page_number_between_dashes(
    django_capture_on_commit_callbacks,
):
    meeting, secretary = meeting_with_agenda(1)
    resolve(django_capture_on_commit_callbacks, meeting, secretary, [("approve", "")])
    minutes = minutes_of(meeting)

    text = pdf_text(minutes)
    pages = _pages(minutes)
    assert text.count(f"文号：{squeezed(minutes.number)}") == pages
    assert all(f"—{page}—" in text for page in range(1, pages + 1))


def test_the_footer_names_the_verification_page_of_the_document(
    django_capture_on_commit_callbacks,
):
    application = accepted(django_capture_on_commit_callbacks)
    document = the_document(application, "acceptance")

    assert f"documents/verify/?number={squeezed(document.number)}" in pdf_text(document)


def test_each_document_carries_a_qr_code_of_its_verification_url(
    django_capture_on_commit_callbacks,
):
    application = accepted(django_capture_on_commit_callbacks)
    document = the_document(application, "acceptance")

    assert f'<img src="{qr_data_uri(verification_url(document))}"'.replace("&", "&amp;") in (
        document_html(document)
    )


def test_the_qr_codes_url_opens_the_verification_of_its_number(
    client, django_capture_on_commit_callbacks
):
    from urllib.parse import urlsplit

    application = accepted(django_capture_on_commit_callbacks)
    document = the_document(application, "acceptance")

    url = urlsplit(verification_url(document))
    response = client.get(f"{url.path}?{url.query}")
    assert document.number in response.content.decode()


def test_applications_that_were_only_submitted_have_no_documents():
    application = FundingApplicationFactory(state="submitted")

    assert documents_of(application, "acceptance") == []


def test_an_approval_under_a_policy_in_force_prints_the_split_the_meeting_recorded(
    django_capture_on_commit_callbacks,
):
    from decimal import Decimal

    from approvals import meetings
    from approvals.meetings import Resolution
    from approvals.models import ApprovalSplit
    from tests.approvals.test_policy_store import active_policy
    from tests.factories import FundingCallFactory, SpecialProjectFactory

    project = SpecialProjectFactory(code="ZX01")
    call = FundingCallFactory(total_budget=Decimal("500000000.00"))
    call.special_projects.add(project)
    application = FundingApplicationFactory(
        at_meeting_review=True, call=call, special_project=project
    )
    secretary = application.people.secretary
    meeting = meetings.create_meeting(
        actor=secretary, call_id=call.pk, held_on=call.opens_at.date(), place="会议室", chair="主持"
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    active_policy()
    with django_capture_on_commit_callbacks(execute=True):
        meetings.record_resolutions(
            meeting_id=meeting.pk,
            actor=secretary,
            resolutions=[Resolution(application.pk, "approve", APPROVED)],
        )

    split = ApprovalSplit.objects.get(application=application)
    text = pdf_text(the_document(application, "approval"))
    first = split.by_department[0]
    assert f"出资部门{squeezed(first['name_zh'])}{format_yuan(Decimal(first['amount']))}" in text
    assert (split.policy_version in text, "起施行" in text) == (False, True)
