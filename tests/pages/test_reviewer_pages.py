"""The reviewers' pages: the formal check decided item by item, the chair's page after an
error, and the joint meeting's agenda."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import meetings
from approvals.models import CheckItem, FormalCheck
from tests.approvals.test_policy_store import active_policy
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    SpecialProjectFactory,
    claim_open_task,
    make_user,
)
from workflows.errors import InvalidInput

pytestmark = pytest.mark.django_db


def _status(application) -> str:
    application.refresh_from_db()
    return application.status


@pytest.fixture
def at_lead_review():
    return claim_open_task(FundingApplicationFactory(at_submitted=True))


def test_no_formal_check_item_starts_decided(client_of, at_lead_review):
    client = client_of(at_lead_review.people.lead_officer)

    page = client.get(reverse("application-detail", args=[at_lead_review.pk])).content.decode()

    form = page[page.index('class="check-items"') : page.index('name="decision"')]
    assert 'name="passed_' in form and "checked" not in form


def test_an_undecided_item_is_a_form_error_next_to_it_and_nothing_is_recorded(
    client_of, at_lead_review
):
    items = {f"passed_{item}": "yes" for item in CheckItem.values[1:]}
    client = client_of(at_lead_review.people.lead_officer)

    response = client.post(
        reverse("approvals:formal-check", args=[at_lead_review.pk]),
        {"decision": "accept", **items},
    )

    page = response.content.decode()
    first = CheckItem.values[0]
    assert f'<ul class="errorlist" id="id_passed_{first}_errors"><li>请对本项作出审查结论。' in page
    assert _status(at_lead_review) == "lead_review"
    assert not FormalCheck.objects.filter(application=at_lead_review).exists()


def test_the_attachments_are_listed_before_the_formal_check(client_of, at_lead_review):
    client = client_of(at_lead_review.people.lead_officer)

    page = client.get(reverse("application-detail", args=[at_lead_review.pk])).content.decode()

    assert page.index('id="attachments"') < page.index('class="check-items"')


def test_a_rejection_without_the_confirmation_is_refused_and_nothing_changes(
    client_of, at_lead_review
):
    items = {f"passed_{item}": "no" for item in CheckItem.values}
    client = client_of(at_lead_review.people.lead_officer)

    response = client.post(
        reverse("approvals:formal-check", args=[at_lead_review.pk]),
        {"decision": "reject", "reason": "不符合支持方向", **items},
    )

    assert "不予支持不能撤销，请勾选确认。" in response.content.decode()
    assert _status(at_lead_review) == "lead_review"


def test_a_confirmed_rejection_is_recorded(client_of, at_lead_review):
    items = {f"passed_{item}": "no" for item in CheckItem.values}
    client = client_of(at_lead_review.people.lead_officer)

    client.post(
        reverse("approvals:formal-check", args=[at_lead_review.pk]),
        {"decision": "reject", "reason": "不符合支持方向", "confirm": "on", **items},
    )

    assert _status(at_lead_review) == "rejected"


# --- the chair ----------------------------------------------------------------------------------


@pytest.fixture
def at_group_decision():
    project = SpecialProjectFactory(code="ZX01")
    call = FundingCallFactory(total_budget=Decimal("500000000.00"))
    call.special_projects.add(project)
    return claim_open_task(
        FundingApplicationFactory(at_group_review=True, call=call, special_project=project)
    )


def test_the_chairs_page_keeps_the_policys_calculation_and_the_scores_after_an_error(
    client_of, at_group_decision
):
    active_policy()
    client = client_of(at_group_decision.people.group_chair)

    response = client.post(
        reverse("approvals:recommendation", args=[at_group_decision.pk]),
        {"decision": "recommend", "amount": "9000000", "reason": "建议支持"},
    )

    page = response.content.decode()
    assert "建议金额必须大于零且不超过申请配套金额" in page
    assert "配套资金测算" in page and "加权平均分" in page
    assert 'value="9000000"' in page and "建议支持" in page


def test_the_amount_box_says_that_blank_means_the_policys_amount(client_of, at_group_decision):
    client = client_of(at_group_decision.people.group_chair)

    page = client.get(reverse("application-detail", args=[at_group_decision.pk])).content.decode()

    assert "留空即采用按配套资金政策测算的金额。" in page


# --- the joint meeting ----------------------------------------------------------------------


@pytest.fixture
def secretary():
    return make_user("meeting_secretary")


def _meeting(call, secretary, held_on=None):
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=held_on or timezone.localdate(),
        place="市政府会议室",
        chair="主管副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    return meeting


def _agenda_page(client, meeting) -> str:
    return client.get(reverse("approvals:meeting", args=[meeting.pk])).content.decode()


def test_the_agenda_shows_that_an_item_was_deferred_before(client_of, secretary):
    deferred = FundingApplicationFactory(deferred=True)
    earlier = deferred.agenda_items.get().meeting

    page = _agenda_page(client_of(secretary), _meeting(deferred.call, secretary))

    assert f"{earlier.held_on:%Y-%m-%d} 会议暂缓" in page


def test_approve_all_as_recommended_approves_every_item_in_one_batch(client_of, secretary):
    call = FundingCallFactory()
    waiting = [FundingApplicationFactory(at_meeting_review=True, call=call) for _ in range(2)]
    meeting = _meeting(call, secretary)

    client_of(secretary).post(
        reverse("approvals:meeting", args=[meeting.pk]), {"as_recommended": "1", "confirm": "on"}
    )

    assert [_status(a) for a in waiting] == ["approved", "approved"]
    assert {a.approved_amount for a in waiting} == {Decimal("6000000.00")}


def test_approve_all_without_the_confirmation_records_nothing(client_of, secretary):
    waiting = FundingApplicationFactory(at_meeting_review=True)
    meeting = _meeting(waiting.call, secretary)

    response = client_of(secretary).post(
        reverse("approvals:meeting", args=[meeting.pk]), {"as_recommended": "1"}
    )

    assert "请勾选确认后再按建议全部批准。" in response.content.decode()
    assert _status(waiting) == "meeting_review"


def test_resolutions_before_the_meetings_date_are_refused_with_the_date(secretary):
    waiting = FundingApplicationFactory(at_meeting_review=True)
    held_on = timezone.localdate() + datetime.timedelta(days=3)
    meeting = _meeting(waiting.call, secretary, held_on)

    with pytest.raises(
        InvalidInput, match=f"会议定于 {held_on.isoformat()} 召开，会前不能记录决议"
    ):
        meetings.record_resolutions(
            meeting_id=meeting.pk, actor=secretary, resolutions=meetings.as_recommended(meeting)
        )

    assert _status(waiting) == "meeting_review"


def test_the_agenda_page_shows_the_refusal_of_an_early_batch(client_of, secretary):
    waiting = FundingApplicationFactory(at_meeting_review=True)
    meeting = _meeting(waiting.call, secretary, timezone.localdate() + datetime.timedelta(days=3))

    response = client_of(secretary).post(
        reverse("approvals:meeting", args=[meeting.pk]), {"as_recommended": "1", "confirm": "on"}
    )

    assert "会前不能记录决议" in response.content.decode()


def test_the_resolved_meeting_links_its_minutes(
    client_of, secretary, django_capture_on_commit_callbacks
):
    waiting = FundingApplicationFactory(at_meeting_review=True)
    meeting = _meeting(waiting.call, secretary)
    with django_capture_on_commit_callbacks(execute=True):
        meetings.record_resolutions(
            meeting_id=meeting.pk, actor=secretary, resolutions=meetings.as_recommended(meeting)
        )
    minutes = meeting.documents.get(kind="meeting_minutes", language="zh-hans")

    page = _agenda_page(client_of(secretary), meeting)

    assert reverse("document-download", args=[minutes.pk]) in page


def test_the_message_after_accepting_says_where_the_request_goes(client_of, at_lead_review):
    items = {f"passed_{item}": "yes" for item in CheckItem.values}
    client = client_of(at_lead_review.people.lead_officer)

    response = client.post(
        reverse("approvals:formal-check", args=[at_lead_review.pk]),
        {"decision": "accept", **items},
        follow=True,
    )

    assert "已受理，申请转审核工作小组审核。" in response.content.decode()
