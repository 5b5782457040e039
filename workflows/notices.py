"""Notifications in the application: every message the messenger e-mails
(``workflows.notifications``) is also written here for its recipient, shown under the bell
of the navigation bar until read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import FundingApplication, Notice

if TYPE_CHECKING:
    from .actors import Actor, Viewer


def record_notices(
    kind: str,
    application: FundingApplication | None,
    recipients: Iterable[Any],
    *,
    subjects: tuple[str, str],
    bodies: tuple[str, str],
) -> list[Notice]:
    """One unread notice per recipient, in both languages (about a request, or about none)."""
    return Notice.objects.bulk_create(
        Notice(
            recipient=user,
            application=application,
            kind=kind,
            subject_zh=subjects[0][:300],
            subject_en=subjects[1][:300],
            body_zh=bodies[0],
            body_en=bodies[1],
        )
        for user in recipients
    )


def notices_for(user: Viewer) -> QuerySet[Notice]:
    """The user's own notices, newest first."""
    return Notice.objects.filter(recipient_id=user.pk).select_related("application")


def unread_count(user: Viewer) -> int:
    return Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def mark_read(*, actor: Actor, notice_ids: Iterable[int] | None = None) -> int:
    """The user marks their notices read (all of them without ``notice_ids``); another user's
    notices are never touched. Returns how many were unread."""
    unread = Notice.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=list(notice_ids))
    return unread.update(read_at=timezone.now())
