"""Scheduling a joint meeting: its kind, date, place, who chairs it, who attends with a vote
(出席) and who sits in without one (列席). The minutes (``documents``) name them all."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from workflows import access
from workflows.errors import InvalidInput, NotAllowed, NotFound, TransitionConflict
from workflows.names import person_name
from workflows.review_path import Role

from .models import Meeting

if TYPE_CHECKING:
    from workflows.actors import Actor


def secretary(actor: Actor) -> None:
    """Refuses (NotAllowed) anybody but the joint meeting's secretariat."""
    if access.role_of(actor) != Role.MEETING_SECRETARY:
        raise NotAllowed(_("只有联席会议秘书可以办理会议事项。"))


def meeting_people() -> QuerySet[Any]:
    """Who may chair a meeting, attend it or sit in: the programme's own active people (every
    role but the applicants')."""
    return (
        get_user_model()
        ._default_manager.filter(is_active=True, profile__isnull=False)
        .exclude(profile__role=Role.APPLICANT)
        .select_related("profile")
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class MeetingPeople:
    """Who chairs (the name printed, and the person when they have an account), who attends
    with a vote (出席) and who sits in without one (列席)."""

    chair: str
    chair_person: Any
    attendees: list[Any]
    observers: list[Any]


def check_meeting_people(
    *,
    chair: str = "",
    chair_id: int | None = None,
    attendee_ids: Iterable[int] = (),
    observer_ids: Iterable[int] = (),
) -> MeetingPeople:
    """The meeting's people, checked: somebody chairs (a name, or a person whose name is then
    printed); everybody named is one of ``meeting_people``; nobody both attends and sits in,
    and the chair does not sit in. Refuses (InvalidInput) anything else."""
    attending, observing = set(attendee_ids), set(observer_ids)
    wanted = attending | observing | ({chair_id} if chair_id else set())
    people = {u.pk: u for u in meeting_people().filter(pk__in=wanted)}
    if wanted - set(people):
        raise InvalidInput(_("只能选择本系统中除申报单位用户以外的在岗人员。"))
    if attending & observing:
        raise InvalidInput(_("同一人不能既出席又列席会议。"))
    if chair_id and chair_id in observing:
        raise InvalidInput(_("主持人不能列席会议。"))
    person = people.get(chair_id) if chair_id else None
    name = chair.strip() or (person_name(person) if person is not None else "")
    if not name:
        raise InvalidInput(_("请填写会议地点和主持人。"))
    return MeetingPeople(
        name[:100],
        person,
        [people[pk] for pk in sorted(attending)],
        [people[pk] for pk in sorted(observing)],
    )


def create_meeting(
    *,
    actor: Actor,
    call_id: int,
    held_on: datetime.date,
    place: str,
    chair: str = "",
    chair_id: int | None = None,
    kind: str = Meeting.Kind.PLENARY,
    attendee_ids: Iterable[int] = (),
    observer_ids: Iterable[int] = (),
) -> Meeting:
    """The secretariat schedules a meeting for a call: its kind, date, place, chair, and who
    attends (出席) and sits in (列席). Refused for a missing place or chair and for the people
    ``check_meeting_people`` refuses."""
    secretary(actor)
    if not place.strip():
        raise InvalidInput(_("请填写会议地点和主持人。"))
    people = check_meeting_people(
        chair=chair, chair_id=chair_id, attendee_ids=attendee_ids, observer_ids=observer_ids
    )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            call_id=call_id,
            kind=Meeting.Kind(kind),
            held_on=held_on,
            place=place.strip(),
            chair=people.chair,
            chair_person=people.chair_person,
            created_by=actor,
        )
        meeting.attendees.set(people.attendees)
        meeting.observers.set(people.observers)
    return meeting


def update_meeting(
    *,
    meeting_id: int,
    actor: Actor,
    held_on: datetime.date,
    place: str,
    kind: str,
    people: MeetingPeople,
) -> Meeting:
    """The secretariat (on the meeting's page) or an administrator (in the back office) changes
    a planned meeting's kind, date, place and people. Refused for anybody else, and once the
    meeting's resolutions are recorded (the minutes name who was there)."""
    if not (access.role_of(actor) == Role.MEETING_SECRETARY or access.may_configure(actor)):
        raise NotAllowed(_("只有联席会议秘书或管理员可以修改会议信息。"))
    if not place.strip():
        raise InvalidInput(_("请填写会议地点和主持人。"))
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().filter(pk=meeting_id).first()
        if meeting is None:
            raise NotFound(_("会议不存在。"))
        if meeting.state != Meeting.State.PLANNED:
            raise TransitionConflict(_("会议已形成决议，不能再修改会议信息。"))
        meeting.kind = Meeting.Kind(kind)
        meeting.held_on = held_on
        meeting.place = place.strip()
        meeting.chair = people.chair
        meeting.chair_person = people.chair_person
        meeting.save(update_fields=["kind", "held_on", "place", "chair", "chair_person"])
        meeting.attendees.set(people.attendees)
        meeting.observers.set(people.observers)
    return meeting
