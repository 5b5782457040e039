"""A joint meeting's kind, chair, attendees (出席) and those who sit in without a vote (列席):
set when the secretariat schedules it, changed while it is planned, printed on the minutes."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import meetings
from approvals.meeting_schedule import check_meeting_people
from approvals.models import Meeting
from tests.documents.issued import meeting_with_agenda, minutes_of, pdf_text, resolve
from tests.factories import DepartmentFactory, FundingCallFactory, OrganisationFactory, make_user
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict

pytestmark = pytest.mark.django_db

NEXT_WEEK = timezone.localdate() + datetime.timedelta(days=7)


def _person(role, family, given, **fields):
    return make_user(role, last_name=family, first_name=given, **fields)


def _officer():
    return make_user("lead_officer", department=DepartmentFactory())


def _schedule(secretary, **people):
    return meetings.create_meeting(
        actor=secretary,
        call_id=FundingCallFactory().pk,
        held_on=NEXT_WEEK,
        place="市政府第一会议室",
        **people,
    )


def test_a_meeting_chaired_by_a_person_prints_their_name():
    leader = _person("administrator", "张", "伟")

    meeting = _schedule(make_user("meeting_secretary"), chair_id=leader.pk)

    assert (meeting.chair, meeting.chair_person) == ("张伟", leader)


def test_a_meeting_records_who_attends_and_who_sits_in():
    officer, observer = (
        _person("lead_officer", "李", "娜", department=DepartmentFactory()),
        _person("group_chair", "王", "强"),
    )

    meeting = _schedule(
        make_user("meeting_secretary"),
        chair="副市长",
        attendee_ids=[officer.pk],
        observer_ids=[observer.pk],
    )

    assert (list(meeting.attendees.all()), list(meeting.observers.all())) == ([officer], [observer])


def test_a_meeting_without_a_chair_is_refused():
    with pytest.raises(InvalidInput):
        _schedule(make_user("meeting_secretary"), chair=" ")


def test_nobody_both_attends_and_sits_in():
    officer = _officer()

    with pytest.raises(InvalidInput):
        _schedule(
            make_user("meeting_secretary"),
            chair="副市长",
            attendee_ids=[officer.pk],
            observer_ids=[officer.pk],
        )


def test_an_applicant_cannot_be_named_to_attend():
    with pytest.raises(InvalidInput):
        _schedule(
            make_user("meeting_secretary"),
            chair="副市长",
            attendee_ids=[make_user("applicant", organisation=OrganisationFactory()).pk],
        )


def test_a_topical_meeting_keeps_its_kind():
    meeting = _schedule(make_user("meeting_secretary"), chair="副市长", kind="topical")

    assert meeting.get_kind_display() == "市联席会议专题会议"


def test_the_secretariat_changes_the_people_of_a_planned_meeting():
    secretary = make_user("meeting_secretary")
    meeting = _schedule(secretary, chair="副市长")
    officer = _officer()

    meetings.update_meeting(
        meeting_id=meeting.pk,
        actor=secretary,
        held_on=NEXT_WEEK,
        place="市政府第二会议室",
        kind="plenary",
        people=check_meeting_people(chair="副市长", attendee_ids=[officer.pk]),
    )

    assert list(meeting.attendees.all()) == [officer]


def test_an_officer_cannot_change_a_meeting():
    meeting = _schedule(make_user("meeting_secretary"), chair="副市长")

    with pytest.raises(NotAllowed):
        meetings.update_meeting(
            meeting_id=meeting.pk,
            actor=_officer(),
            held_on=NEXT_WEEK,
            place="别处",
            kind="plenary",
            people=check_meeting_people(chair="副市长"),
        )


def test_a_resolved_meetings_people_no_longer_change(django_capture_on_commit_callbacks):
    meeting, secretary = meeting_with_agenda(1)
    resolve(django_capture_on_commit_callbacks, meeting, secretary, [("approve", "")])

    with pytest.raises(TransitionConflict):
        meetings.update_meeting(
            meeting_id=meeting.pk,
            actor=secretary,
            held_on=meeting.held_on,
            place=meeting.place,
            kind="plenary",
            people=check_meeting_people(chair="另一人"),
        )


def test_the_minutes_name_the_attendees_and_those_who_sat_in(django_capture_on_commit_callbacks):
    meeting, secretary = meeting_with_agenda(1)
    department = DepartmentFactory(name="市经济和信息化局")
    attendee = _person("lead_officer", "李", "娜", department=department)
    observer = _person("group_chair", "王", "强")
    meeting.attendees.set([attendee])
    meeting.observers.set([observer])
    resolve(django_capture_on_commit_callbacks, meeting, secretary, [("approve", "")])

    text = pdf_text(minutes_of(meeting))

    assert "出席：李娜（市经济和信息化局）" in text
    assert "列席：王强" in text


def test_the_minutes_name_the_meetings_kind(django_capture_on_commit_callbacks):
    meeting, secretary = meeting_with_agenda(1)
    Meeting.objects.filter(pk=meeting.pk).update(kind="topical")
    resolve(django_capture_on_commit_callbacks, meeting, secretary, [("approve", "")])

    assert "主持召开市联席会议专题会议" in pdf_text(minutes_of(meeting))


# --- the pages -------------------------------------------------------------------------------


def test_the_secretariat_names_the_attendees_when_creating_a_meeting(client):
    officer = _officer()
    client.force_login(make_user("meeting_secretary"))

    client.post(
        reverse("approvals:meetings"),
        {
            "call": FundingCallFactory().pk,
            "kind": "plenary",
            "held_on": NEXT_WEEK.isoformat(),
            "place": "市政府第一会议室",
            "chair": "副市长",
            "attendees": [officer.pk],
        },
    )

    assert list(Meeting.objects.get().attendees.all()) == [officer]


def _change_details(client, meeting, **people):
    return client.post(
        reverse("approvals:meeting-details", args=[meeting.pk]),
        {
            "kind": "plenary",
            "held_on": NEXT_WEEK.isoformat(),
            "place": meeting.place,
            "chair": "副市长",
            **people,
        },
    )


def test_the_secretariat_changes_the_attendees_on_the_meetings_page(client):
    secretary = make_user("meeting_secretary")
    meeting = _schedule(secretary, chair="副市长")
    observer = make_user("group_chair")
    client.force_login(secretary)

    response = _change_details(client, meeting, observers=[observer.pk])

    assert response.status_code == 302
    assert list(meeting.observers.all()) == [observer]


def test_a_change_refused_on_the_meetings_page_says_why(client):
    secretary = make_user("meeting_secretary")
    meeting = _schedule(secretary, chair="副市长")
    officer = _officer()
    client.force_login(secretary)

    response = _change_details(client, meeting, attendees=[officer.pk], observers=[officer.pk])

    assert "同一人不能既出席又列席会议" in response.content.decode()


# --- the migration keeps the chairs typed so far ----------------------------------------------


def test_the_migration_links_a_typed_chair_to_the_one_person_of_that_name():
    leader = _person("administrator", "张", "伟")
    meeting = _schedule(make_user("meeting_secretary"), chair="张伟")
    Meeting.objects.filter(pk=meeting.pk).update(chair_person=None)
    migration = importlib.import_module("approvals.migrations.0008_meeting_kind_and_people")

    migration.link_chairs(_Apps(), None)

    meeting.refresh_from_db()
    assert (meeting.chair, meeting.chair_person) == ("张伟", leader)


class _Apps:
    """The migration's model registry, as the current models."""

    def get_model(self, label, name=None):
        from django.apps import apps

        return apps.get_model(label, name) if name else apps.get_model(label)
