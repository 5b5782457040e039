from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import meetings
from approvals.models import RubricCriterion
from backoffice.models import ConfigChange
from tests.backoffice.admin_forms import errors, form_data
from tests.factories import (
    DepartmentFactory,
    FundingApplicationFactory,
    FundingCallFactory,
    OrganisationFactory,
    make_user,
)
from workflows.models import Profile, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    user = make_user("administrator")
    client.force_login(user)
    return user


def _rubric(data: dict, rows: list[tuple[str, str, int]]) -> dict:
    data = {k: v for k, v in data.items() if not k.startswith("rubric-")}
    data.update({"rubric-TOTAL_FORMS": str(len(rows)), "rubric-INITIAL_FORMS": "0"})
    for i, (code, name, weight) in enumerate(rows):
        data.update(
            {
                f"rubric-{i}-position": str(i),
                f"rubric-{i}-code": code,
                f"rubric-{i}-name": name,
                f"rubric-{i}-weight": str(weight),
            }
        )
    return data


def test_the_back_office_is_titled_in_chinese(client, administrator):
    response = client.get(reverse("admin:index"))

    assert "北京市重大科技专项配套资金 管理后台" in response.content.decode()


def test_an_applicant_is_refused_the_back_office(client):
    client.force_login(make_user("applicant", organisation=OrganisationFactory()))

    assert client.get(reverse("admin:index")).status_code == 403


def test_an_anonymous_visitor_is_asked_to_sign_in(client):
    response = client.get(reverse("admin:index"))

    assert response["Location"].startswith(reverse("admin:login"))


def test_an_administrator_without_staff_status_signs_in_to_the_back_office(client):
    user = make_user("administrator")
    user.set_password("A-long-pass-phrase-2027")
    user.save(update_fields=["password"])

    client.post(
        reverse("admin:login"), {"username": user.username, "password": "A-long-pass-phrase-2027"}
    )

    assert client.get(reverse("admin:index")).status_code == 200


def test_an_auditor_reads_the_calls_but_may_not_change_them(client):
    call = FundingCallFactory()
    client.force_login(make_user("auditor"))
    url = reverse("admin:workflows_fundingcall_change", args=[call.pk])

    assert client.get(reverse("admin:workflows_fundingcall_changelist")).status_code == 200
    assert client.post(url, {"title": "改名"}).status_code == 403


@pytest.mark.parametrize(
    "model", ["fundingapplication", "auditentry"], ids=["requests", "audit entries"]
)
def test_requests_and_audit_entries_cannot_be_added_in_the_back_office(
    client, administrator, model
):
    assert client.get(reverse(f"admin:workflows_{model}_add")).status_code == 403


def test_a_request_cannot_be_changed_in_the_back_office(client, administrator):
    application = FundingApplicationFactory()
    url = reverse("admin:workflows_fundingapplication_change", args=[application.pk])

    client.post(url, {"title": "改过的名称"})

    application.refresh_from_db()
    assert application.title != "改过的名称"


def test_a_call_is_searched_by_its_title(client, administrator):
    FundingCallFactory(title="2027年度第一批")
    FundingCallFactory(title="2026年度第二批")

    response = client.get(reverse("admin:workflows_fundingcall_changelist"), {"q": "2027"})

    assert [c.title for c in response.context["cl"].result_list] == ["2027年度第一批"]


def test_a_rubric_whose_weights_do_not_add_up_to_100_is_refused(client, administrator):
    call = FundingCallFactory()
    url = reverse("admin:workflows_fundingcall_change", args=[call.pk])
    data = _rubric(form_data(client, url), [("fit", "定位", 50), ("market", "市场", 40)])

    response = client.post(url, data)

    assert response.status_code == 200
    assert "100" in str(errors(response))
    assert not RubricCriterion.objects.filter(call=call).exists()


def test_a_rubric_adding_up_to_100_is_set_and_logged(client, administrator):
    call = FundingCallFactory()
    url = reverse("admin:workflows_fundingcall_change", args=[call.pk])
    data = _rubric(form_data(client, url), [("fit", "定位", 60), ("market", "市场", 40)])

    client.post(url, data)

    assert [(c.code, c.weight) for c in RubricCriterion.objects.filter(call=call)] == [
        ("fit", 60),
        ("market", 40),
    ]
    assert ConfigChange.objects.get().after["rubric"] == ["fit:定位:60", "market:市场:40"]


def test_the_rubric_cannot_be_changed_once_a_request_is_submitted(client, administrator):
    application = FundingApplicationFactory(at_submitted=True)
    url = reverse("admin:workflows_fundingcall_change", args=[application.call_id])
    data = _rubric(form_data(client, url), [("fit", "定位", 60), ("market", "市场", 40)])

    client.post(url, data)

    assert not RubricCriterion.objects.filter(call=application.call).exists()


def test_required_attachments_cannot_be_changed_once_a_request_is_submitted(client, administrator):
    application = FundingApplicationFactory(at_submitted=True)
    url = reverse("admin:workflows_fundingcall_change", args=[application.call_id])
    data = {**form_data(client, url), "required_attachment_kinds": ["budget"]}

    response = client.post(url, data)

    assert "必须上传的材料不可再改" in str(errors(response))


# --- people and roles ----------------------------------------------------------------------


def test_one_page_creates_a_person_with_a_role_and_a_department(client, administrator):
    department = DepartmentFactory()

    client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "zhang.wei",
            "last_name": "张",
            "first_name": "伟",
            "usable_password": "true",
            "password1": "A-long-pass-phrase-2027",
            "password2": "A-long-pass-phrase-2027",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "1",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-role": Role.LEAD_OFFICER,
            "profile-0-department": str(department.pk),
            "profile-0-is_head": "on",
        },
    )

    profile = Profile.objects.get(user__username="zhang.wei")
    assert (profile.role, profile.department, profile.is_head) == (
        Role.LEAD_OFFICER,
        department,
        True,
    )


def test_a_persons_page_lists_the_steps_their_role_may_take(client, administrator):
    officer = make_user("lead_officer", department=DepartmentFactory())

    response = client.get(reverse("admin:auth_user_change", args=[officer.pk]))

    assert "受理并转审核工作小组" in response.content.decode()


def test_a_role_change_is_recorded_with_the_role_before_and_after(client, administrator):
    department = DepartmentFactory()
    person = make_user("group_member")
    url = reverse("admin:auth_user_change", args=[person.pk])
    data = form_data(client, url)
    data.update({"profile-0-role": Role.LEAD_OFFICER, "profile-0-department": str(department.pk)})

    client.post(url, data)

    change = ConfigChange.objects.get(model="auth.user")
    assert change.before["profile"]["role"] == Role.GROUP_MEMBER
    assert change.after["profile"]["role"] == Role.LEAD_OFFICER


# --- meetings: changed here while planned, never added or removed ------------------------------


def _planned_meeting():
    return meetings.create_meeting(
        actor=make_user("meeting_secretary"),
        call_id=FundingCallFactory().pk,
        held_on=timezone.localdate() + datetime.timedelta(days=7),
        place="市政府第一会议室",
        chair="副市长",
    )


def _meeting_change(meeting, **changes):
    return {
        "kind": "plenary",
        "held_on": meeting.held_on.isoformat(),
        "place": meeting.place,
        "chair": meeting.chair,
        **changes,
    }


def test_an_administrator_names_a_meetings_attendees_in_the_back_office(client, administrator):
    meeting = _planned_meeting()
    officer = make_user("group_chair")
    client.force_login(administrator)

    client.post(
        reverse("admin:approvals_meeting_change", args=[meeting.pk]),
        _meeting_change(meeting, attendees=[officer.pk]),
    )

    assert list(meeting.attendees.all()) == [officer]


def test_a_meetings_change_in_the_back_office_is_in_the_configuration_log(client, administrator):
    meeting = _planned_meeting()
    client.force_login(administrator)

    client.post(
        reverse("admin:approvals_meeting_change", args=[meeting.pk]),
        _meeting_change(meeting, kind="topical"),
    )

    change = ConfigChange.objects.get(model="approvals.meeting")
    assert (change.before["kind"], change.after["kind"]) == ("plenary", "topical")


def test_a_meeting_cannot_be_added_in_the_back_office(client, administrator):
    client.force_login(administrator)

    assert client.get(reverse("admin:approvals_meeting_add")).status_code == 403


def test_an_auditor_reads_a_meeting_but_may_not_change_it(client):
    meeting = _planned_meeting()
    client.force_login(make_user("auditor"))

    client.post(
        reverse("admin:approvals_meeting_change", args=[meeting.pk]),
        _meeting_change(meeting, place="别处"),
    )

    meeting.refresh_from_db()
    assert meeting.place == "市政府第一会议室"
