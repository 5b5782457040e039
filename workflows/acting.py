"""Acting heads: a tier's head names somebody to act for them for a period. Meanwhile the
escalations that would reach the head reach them too (``notifications.tier_heads``), and they
take the head's own actions (``permissions.is_tier_head``: reassigning a tier's task).

Who may stand in: a person of the head's own role (a lead department's head, another officer
of that department; the group's chair, a member or chair of the group; the secretariat's head,
another secretary). Every naming is kept: ``ActingHead`` rows are append-only (the ORM and
database triggers on both engines refuse to rewrite or delete them); a head who comes back early
ends the period with an ``ActingHeadEnding`` beside the naming.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import profile_of
from .errors import InvalidInput, NotAllowed, TransitionConflict
from .models import ActingHead, ActingHeadEnding, Profile
from .review_path import Role

if TYPE_CHECKING:
    from .actors import Actor, Viewer

# Whom a head of each role may name.
STANDS_IN_FOR = {
    Role.LEAD_OFFICER: (Role.LEAD_OFFICER,),
    Role.GROUP_CHAIR: (Role.GROUP_CHAIR, Role.GROUP_MEMBER),
    Role.MEETING_SECRETARY: (Role.MEETING_SECRETARY,),
}
LONGEST_PERIOD = datetime.timedelta(days=366)


def is_head(user: Viewer | None) -> bool:
    """A lead department's head, the group's chair, the secretariat's head."""
    profile = profile_of(user)
    if profile is None:
        return False
    return profile.role == Role.GROUP_CHAIR or (
        profile.is_head and profile.role in (Role.LEAD_OFFICER, Role.MEETING_SECRETARY)
    )


def candidates_for(head: Actor) -> Any:
    """The people the head may name: active, of a role that stands in for theirs, of the same
    department for a lead department."""
    profile: Profile | None = profile_of(head)
    users = get_user_model()._default_manager.filter(is_active=True).exclude(pk=head.pk)
    if profile is None or not is_head(head):
        return users.none()
    users = users.filter(profile__role__in=STANDS_IN_FOR[Role(profile.role)])
    if profile.role == Role.LEAD_OFFICER:
        users = users.filter(profile__department_id=profile.department_id)  # type: ignore[misc]
    return users.select_related("profile").order_by("username")


def _in_period(on: datetime.date | None) -> Q:
    """Namings that hold on that day: within their period and not ended on or before it."""
    day = on or timezone.localdate()
    return Q(starts_on__lte=day, ends_on__gte=day) & (
        Q(ending__isnull=True) | Q(ending__ended_on__gt=day)
    )


def heads_stood_in_for(user: Viewer, *, on: datetime.date | None = None) -> list[Any]:
    """The heads ``user`` acts for on that day (today by default)."""
    return [
        a.head
        for a in ActingHead.objects.filter(_in_period(on), acting_id=user.pk).select_related(
            "head__profile"
        )
    ]


def acting_for(heads: list[Any], *, on: datetime.date | None = None) -> list[Any]:
    """The active people acting, on that day, for any of ``heads``."""
    rows = ActingHead.objects.filter(
        _in_period(on), head__in=heads, acting__is_active=True
    ).select_related("acting")
    return list({a.acting_id: a.acting for a in rows}.values())


def name_acting_head(
    *,
    actor: Actor,
    acting_id: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str = "",
) -> ActingHead:
    """A head names a person to act for them from ``starts_on`` to ``ends_on`` (inclusive).
    Refused for anybody who is not a head, for a person who may not stand in for them, for a
    period that ends before it starts, lies in the past or runs longer than a year."""
    if not is_head(actor):
        raise NotAllowed(_("只有环节负责人可以指定代理人。"))
    if ends_on < starts_on:
        raise InvalidInput(_("代理结束日期不能早于开始日期。"))
    if ends_on < timezone.localdate():
        raise InvalidInput(_("代理期已经过去。"))
    if ends_on - starts_on > LONGEST_PERIOD:
        raise InvalidInput(_("代理期不能超过一年。"))
    with transaction.atomic():
        if not candidates_for(actor).filter(pk=acting_id).exists():
            raise InvalidInput(_("该人员不能代理您的职责。"))
        return ActingHead.objects.create(
            head=actor,
            acting_id=acting_id,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason.strip(),
        )


def end_acting_head(*, actor: Actor, appointment_id: int) -> ActingHeadEnding:
    """The head who named an acting person ends the period today: from today they no longer
    stand in. Refused for anybody but that head, for a period already ended or over."""
    today = timezone.localdate()
    with transaction.atomic():
        appointment = (
            ActingHead.objects.select_for_update().filter(pk=appointment_id, head=actor).first()
        )
        if appointment is None:
            raise NotAllowed(_("只有指定代理人的负责人可以终止代理。"))
        if ActingHeadEnding.objects.filter(appointment=appointment).exists():
            raise TransitionConflict(_("该代理已经终止。"))
        if appointment.ends_on < today:
            raise TransitionConflict(_("该代理期已经结束。"))
        return ActingHeadEnding.objects.create(
            appointment=appointment, ended_on=max(today, appointment.starts_on), ended_by=actor
        )
