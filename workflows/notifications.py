"""The messenger: who hears about what, in Chinese with an English fallback, after commit.

Every notification fans out from here: the receiver of ``application_transitioned`` (sent only
after a transition commits) and ``notify_after_commit`` for people-side events (experts
assigned, reminders, escalations). Mail goes through Django's email framework (console backend
by default, SMTP by settings); a failing mail server is logged and never touches the decision.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation

from .acting import acting_for
from .models import FundingApplication, Status
from .notices import record_notices
from .review_path import APPLICANT, CURRENT_TIER, Role, Tier, notices_for
from .signals import application_transitioned

log = logging.getLogger(__name__)

# (subject zh, subject en, body zh, body en); {title}, {code}, {reason}, {status} are filled in.
MESSAGES: dict[str, tuple[str, str, str, str]] = {
    "arrived": (
        "新的配套资金申请待办理：{title}",
        "A matching-fund request awaits you: {title}",
        "申请“{title}”（{code}）已到达您所在环节，当前状态：{status}。请登录系统认领办理。",
        'The request "{title}" ({code}) has reached your tier (status: {status}). '
        "Please sign in to take it.",
    ),
    "decided": (
        "您的配套资金申请有新进展：{title}",
        "News on your matching-fund request: {title}",
        "申请“{title}”（{code}）的状态已变为：{status}。{reason}\n决定文书可登录系统下载。",
        'The status of your request "{title}" ({code}) is now: {status}. {reason}\n'
        "The decision document can be downloaded after signing in.",
    ),
    "expert_assigned": (
        "请评审配套资金申请：{code}",
        "Please review a matching-fund request: {code}",
        "您被指派评审申报单位“{organisation}”的一项申请（{code}）。查看材料前，"
        "请先声明是否存在利益冲突。",
        'You have been asked to score a request of "{organisation}" ({code}). Before you see '
        "its material, please declare whether you have a conflict of interest.",
    ),
    "reassign_needed": (
        "评审专家回避，请改派：{title}",
        "An expert withdrew; please reassign: {title}",
        "一名专家就申请“{title}”（{code}）声明利益冲突，请另行指派专家。",
        'An expert declared a conflict of interest on "{title}" ({code}); please assign '
        "another expert.",
    ),
    "reminder": (
        "办理提醒：{title} 已逾期",
        "Reminder: {title} is overdue",
        "您所在环节对申请“{title}”（{code}）的办理已超过时限，请尽快办理。",
        'Your tier\'s work on "{title}" ({code}) is past its time limit; please act on it.',
    ),
    "escalation": (
        "逾期升级：{title}",
        "Escalation: {title}",
        "申请“{title}”（{code}）在提醒后仍未办理，现升级至您处，可改派办理人。",
        '"{title}" ({code}) is still not handled after a reminder and is escalated to you; '
        "you may reassign it.",
    ),
}


def register_messages(messages: dict[str, tuple[str, str, str, str]]) -> None:
    """Add the messages of another app's events (same shape as ``MESSAGES``)."""
    MESSAGES.update(messages)


def recipients_for_tier(application: FundingApplication, tier: str) -> list[Any]:
    users = get_user_model()._default_manager.filter(is_active=True).exclude(email="")
    if tier == Tier.LEAD:
        return list(
            users.filter(
                profile__role=Role.LEAD_OFFICER,
                profile__department_id=application.special_project.lead_department_id,
            )
        )
    if tier == Tier.GROUP:
        return list(users.filter(profile__role=Role.GROUP_CHAIR))
    if tier == Tier.MEETING:
        return list(users.filter(profile__role=Role.MEETING_SECRETARY))
    return []


def tier_heads(application: FundingApplication, tier: str) -> list[Any]:
    """The tier's heads for this application, and whoever acts for one of them today."""
    heads = _heads_in_own_right(application, tier)
    stand_ins = [u for u in acting_for(heads) if u.email and u.pk not in {h.pk for h in heads}]
    return heads + stand_ins


def _heads_in_own_right(application: FundingApplication, tier: str) -> list[Any]:
    users = get_user_model()._default_manager.filter(is_active=True).exclude(email="")
    if tier == Tier.GROUP:
        return list(users.filter(profile__role=Role.GROUP_CHAIR))
    if tier == Tier.LEAD:
        return list(
            users.filter(
                profile__role=Role.LEAD_OFFICER,
                profile__is_head=True,
                profile__department_id=application.special_project.lead_department_id,
            )
        )
    return list(users.filter(profile__role=Role.MEETING_SECRETARY, profile__is_head=True))


def applicant_users(application: FundingApplication) -> list[Any]:
    return list(
        get_user_model()
        ._default_manager.filter(
            is_active=True,
            profile__role=Role.APPLICANT,
            profile__organisation_id=application.organisation_id,
        )
        .exclude(email="")
    )


def send(
    kind: str, application: FundingApplication, recipients: Iterable[Any], reason: str = ""
) -> int:
    """Send one message of ``kind`` about ``application`` to each recipient. Returns the count."""
    people = {u.pk: u for u in recipients if getattr(u, "email", "")}
    addresses = sorted({u.email for u in people.values()})
    if not addresses:
        return 0
    subject_zh, subject_en, body_zh, body_en = MESSAGES[kind]
    values = {
        "organisation": application.organisation.name,
        "title": application.title,
        "code": application.national_task_code,
        "reason": reason,
    }
    # Chinese first, then English, whatever language the request that decided was in.
    with translation.override(settings.LANGUAGE_CODE):
        values["status"] = str(Status(application.status).label)
    with translation.override("en"):
        status_en = str(Status(application.status).label)
    link = settings.SITE_BASE_URL + reverse("application-detail", args=[application.pk])
    zh = (subject_zh.format(**values), body_zh.format(**values))
    values_en = {
        **values,
        "status": status_en,
        "organisation": application.organisation.name_en or application.organisation.name,
    }
    en = (subject_en.format(**values_en), body_en.format(**values_en))
    record_notices(
        kind, application, people.values(), subjects=(zh[0], en[0]), bodies=(zh[1], en[1])
    )
    return _mail(kind, zh, en, link, addresses, about=f"application {application.pk}")


def _mail(
    kind: str,
    zh: tuple[str, str],
    en: tuple[str, str],
    link: str,
    addresses: Iterable[str],
    *,
    about: str,
) -> int:
    """One e-mail per address, Chinese first, then English; a failing server is logged."""
    subject = f"{zh[0]} / {en[0]}"
    body = f"{zh[1]}\n{link}\n\n——\n\n{en[1]}\n{link}"
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses]
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:  # the decision stands; the mail server's trouble is logged for operators
        log.exception("could not send %s notification about %s", kind, about)
        return 0


def send_to_people(
    kind: str,
    *,
    recipients: Iterable[Any],
    values: dict[str, str],
    addresses: Iterable[str] = (),
    link: str = "",
) -> int:
    """Send one message of ``kind`` that is about no request (an organisation's registration,
    a new account): each recipient gets it under the bell and by e-mail; an address of
    somebody without an account (``addresses``) gets the e-mail only. Returns the count."""
    people = {u.pk: u for u in recipients}
    emails = sorted({u.email for u in people.values() if u.email} | {a for a in addresses if a})
    subject_zh, subject_en, body_zh, body_en = MESSAGES[kind]
    zh = (subject_zh.format(**values), body_zh.format(**values))
    en = (subject_en.format(**values), body_en.format(**values))
    record_notices(kind, None, people.values(), subjects=(zh[0], en[0]), bodies=(zh[1], en[1]))
    if not emails:
        return 0
    return _mail(kind, zh, en, settings.SITE_BASE_URL + link, emails, about=", ".join(emails))


def notify_people_after_commit(
    kind: str,
    *,
    values: dict[str, str],
    recipient_ids: Iterable[int] = (),
    addresses: Iterable[str] = (),
    link: str = "",
) -> None:
    """``send_to_people`` once the caller's transaction commits (a mail failure never undoes
    it)."""
    ids, emails = list(recipient_ids), list(addresses)

    def deliver() -> None:
        users = get_user_model()._default_manager.filter(pk__in=ids, is_active=True)
        send_to_people(kind, recipients=users, values=values, addresses=emails, link=link)

    transaction.on_commit(deliver)


def notify_after_commit(
    kind: str, application_id: int, recipient_ids: Iterable[int], reason: str = ""
) -> None:
    ids = list(recipient_ids)

    def deliver() -> None:
        application = FundingApplication.objects.select_related(
            "special_project", "organisation"
        ).get(pk=application_id)
        users = get_user_model()._default_manager.filter(pk__in=ids)
        send(kind, application, users, reason)

    transaction.on_commit(deliver)


@receiver(application_transitioned, dispatch_uid="workflows.notify_transition")
def notify_transition(
    sender: object, *, application_id: int, transition: str, **kwargs: Any
) -> None:
    """Queue the notices of a committed transition, so the decision's request does not wait
    for the mail server; without a broker they are sent here and now."""
    try:
        send_transition_notices_task.delay(application_id, transition)
    except Exception:  # the broker is down: the decision stands, operators see the log
        log.exception("could not queue %s notices for application %s", transition, application_id)


def send_transition_notices(application_id: int, transition: str) -> None:
    """Whoever the review path names for the step hears of it: the applicant of decisions on
    their request, a tier of its arrival."""
    application = FundingApplication.objects.select_related("special_project", "organisation").get(
        pk=application_id
    )
    latest = (
        application.audit_entries.filter(transition=transition)
        .order_by("-seq")
        .values("reason", "tier")
        .first()
        or {}
    )
    for hears in notices_for(transition, latest.get("tier") or None):
        if hears == APPLICANT:
            send("decided", application, applicant_users(application), latest.get("reason", ""))
            continue
        tier = (application.current_tier or "") if hears == CURRENT_TIER else hears
        if tier:
            send("arrived", application, recipients_for_tier(application, tier))


@shared_task(name="workflows.send_transition_notices")  # type: ignore[untyped-decorator]  # celery is untyped
def send_transition_notices_task(application_id: int, transition: str) -> None:
    send_transition_notices(application_id, transition)
