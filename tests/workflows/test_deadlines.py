"""Time limits: an overdue task is reminded once, then escalated once to the tier's head, each on
the audit trail and by mail after commit; the head may then give the task to somebody else."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from tests.factories import DepartmentFactory, FundingApplicationFactory, make_user
from workflows import assignments
from workflows.deadlines import process_deadlines
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import DeadlineNotice, Profile, RefusedAttempt
from workflows.selectors import open_tasks

pytestmark = pytest.mark.django_db

# Each tier's task waiting unclaimed: the state, the task, and the call's limit for it.
WAITING = {
    "lead": ("submitted", "lead_review", "lead_days"),
    "group": ("group_review", "assign_experts", "group_days"),
    "meeting": ("meeting_review", "meeting_review", "meeting_days"),
}
REMINDER, ESCALATION = "办理提醒", "逾期升级"


def _head(application, tier):
    """The head of ``tier`` for this application: the lead department's head, a group chair,
    the head of the meeting secretariat."""
    if tier == "group":
        return application.people.group_chair
    if tier == "lead":
        user = make_user("lead_officer", department=application.special_project.lead_department)
    else:
        user = make_user("meeting_secretary")
    Profile.objects.filter(user=user).update(is_head=True)
    return get_user_model().objects.get(pk=user.pk)


def _reviewer(application, tier):
    return application.people.at_tier(tier)


@pytest.fixture(params=list(WAITING))
def waiting(request):
    """(tier, application) with the tier's task waiting, unclaimed, and the tier's head."""
    tier = request.param
    application = FundingApplicationFactory(state=WAITING[tier][0])
    application.head = _head(application, tier)
    return tier, application


def _age(application, tier, days):
    """Move the waiting task's creation ``days`` back."""
    node = WAITING[tier][1]
    task_ids = [t.pk for t in open_tasks(application, node)]
    type(open_tasks(application, node)[0])._default_manager.filter(pk__in=task_ids).update(
        created=timezone.now() - datetime.timedelta(days=days)
    )


def _limit(application, tier):
    return getattr(application.call, WAITING[tier][2])


def _overdue(application, tier, *, by=1):
    _age(application, tier, _limit(application, tier) + by)


def _past_escalation(application, tier):
    _overdue(application, tier, by=application.call.escalate_after_days + 1)


def _events(application, name):
    return list(application.audit_entries.filter(transition=name))


def _mails(subject_part):
    return sorted(address for m in mail.outbox if subject_part in m.subject for address in m.to)


# --- reminders ------------------------------------------------------------------------------


def test_an_overdue_task_is_reminded(waiting):
    tier, application = waiting
    _overdue(application, tier)

    report = process_deadlines()

    assert (report.reminded, report.escalated) == (1, 0)


def test_an_overdue_task_is_reminded_only_once(waiting):
    tier, application = waiting
    _overdue(application, tier)
    process_deadlines()

    report = process_deadlines()

    assert (report.reminded, report.escalated) == (0, 0)
    assert len(_events(application, "remind")) == 1
    assert DeadlineNotice.objects.count() == 1


def test_a_reminder_is_an_audit_event_of_the_tier(waiting):
    tier, application = waiting
    _overdue(application, tier)

    process_deadlines()

    (entry,) = _events(application, "remind")
    assert (entry.actor, entry.tier, entry.source, entry.target, entry.details["node"]) == (
        None,
        tier,
        application.status,
        application.status,
        WAITING[tier][1],
    )


def test_the_reminder_is_mailed_to_the_tiers_reviewers_only_after_commit(
    waiting, django_capture_on_commit_callbacks
):
    tier, application = waiting
    _overdue(application, tier)

    with django_capture_on_commit_callbacks(execute=True):
        process_deadlines()
        assert mail.outbox == []

    # Nobody holds the task yet, so the whole tier hears (its head is one of them).
    assert _mails(REMINDER) == sorted({_reviewer(application, tier).email, application.head.email})


def test_the_reminder_of_a_held_task_goes_to_its_holder(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(state="lead_review")  # the officer holds it
    make_user("lead_officer", department=application.special_project.lead_department)
    _overdue(application, "lead")

    with django_capture_on_commit_callbacks(execute=True):
        process_deadlines()

    assert _mails(REMINDER) == [application.people.lead_officer.email]


def test_a_task_within_its_time_limit_is_left_alone(waiting, django_capture_on_commit_callbacks):
    tier, application = waiting
    _age(application, tier, _limit(application, tier) - 1)
    entries = application.audit_entries.count()

    with django_capture_on_commit_callbacks(execute=True):
        report = process_deadlines()

    assert (report.reminded, report.escalated) == (0, 0)
    assert not DeadlineNotice.objects.exists()
    assert application.audit_entries.count() == entries
    assert mail.outbox == []


def test_a_finished_task_is_never_reminded():
    application = FundingApplicationFactory(state="approved")  # every task of it is done
    _age_all(application, days=400)

    assert process_deadlines().reminded == 0


def _age_all(application, *, days):
    from workflows.flows import ReviewFlow

    ReviewFlow.task_class._default_manager.filter(process=application.review_process).update(
        created=timezone.now() - datetime.timedelta(days=days)
    )


# --- escalation -----------------------------------------------------------------------------


def test_a_task_still_open_after_the_escalation_period_is_escalated(waiting):
    tier, application = waiting
    _past_escalation(application, tier)

    report = process_deadlines()

    assert (report.reminded, report.escalated) == (1, 1)


def test_an_escalation_happens_only_once(waiting):
    tier, application = waiting
    _past_escalation(application, tier)
    process_deadlines()

    report = process_deadlines()

    assert (report.reminded, report.escalated) == (0, 0)
    assert len(_events(application, "escalate")) == 1


def test_an_overdue_task_inside_the_escalation_period_is_not_escalated(waiting):
    tier, application = waiting
    _overdue(application, tier, by=application.call.escalate_after_days - 1)

    assert process_deadlines().escalated == 0
    assert _events(application, "escalate") == []


def test_an_escalation_is_an_audit_event_of_the_tier(waiting):
    tier, application = waiting
    _past_escalation(application, tier)

    process_deadlines()

    (entry,) = _events(application, "escalate")
    assert (entry.actor, entry.tier, entry.details["node"]) == (None, tier, WAITING[tier][1])


def test_the_escalation_is_mailed_to_the_tiers_head_only_after_commit(
    waiting, django_capture_on_commit_callbacks
):
    tier, application = waiting
    _past_escalation(application, tier)

    with django_capture_on_commit_callbacks(execute=True):
        process_deadlines()
        assert mail.outbox == []

    assert _mails(ESCALATION) == [application.head.email]


def test_a_reminder_sent_earlier_is_followed_by_the_escalation_alone(waiting):
    tier, application = waiting
    _overdue(application, tier)
    process_deadlines()
    _past_escalation(application, tier)

    report = process_deadlines()

    assert (report.reminded, report.escalated) == (0, 1)


# --- reassignment by the head ---------------------------------------------------------------


@pytest.fixture(params=list(WAITING))
def held(request):
    """(tier, application) whose task the tier's reviewer holds, the tier's head, and a
    colleague of the reviewer who may take it over."""
    tier = request.param
    application = FundingApplicationFactory(state=WAITING[tier][0])
    assignments.claim_task(application_id=application.pk, actor=_reviewer(application, tier))
    application.head = make_user("group_chair") if tier == "group" else _head(application, tier)
    application.colleague = make_user(
        {"lead": "lead_officer", "group": "group_chair", "meeting": "meeting_secretary"}[tier],
        department=application.special_project.lead_department if tier == "lead" else None,
    )
    return tier, application


def _held_task(application, tier):
    (task,) = open_tasks(application, WAITING[tier][1])
    return task


def _reassign(application, tier, *, by, to):
    assignments.reassign_task(
        application_id=application.pk,
        actor=by,
        task_id=_held_task(application, tier).pk,
        to_user_id=to.pk,
        reason="原经办人出差",
    )


def test_the_tiers_head_reassigns_an_overdue_task(held):
    tier, application = held

    _reassign(application, tier, by=application.head, to=application.colleague)

    assert _held_task(application, tier).owner == application.colleague


def test_a_reassignment_is_an_audit_event(held):
    tier, application = held

    _reassign(application, tier, by=application.head, to=application.colleague)

    (entry,) = _events(application, "reassign")
    assert (entry.actor, entry.details["to"], entry.reason) == (
        application.head,
        application.colleague.pk,
        "原经办人出差",
    )


def test_a_reviewer_who_is_not_the_head_cannot_reassign(held):
    tier, application = held
    reviewer = _reviewer(application, tier) if tier != "group" else application.people.experts[0]

    with pytest.raises(NotAllowed):
        _reassign(application, tier, by=reviewer, to=application.colleague)

    assert _held_task(application, tier).owner == _reviewer(application, tier)
    assert RefusedAttempt.objects.filter(actor=reviewer, action="reassign_task").count() == 1


def test_the_head_of_another_lead_department_cannot_reassign():
    application = FundingApplicationFactory(state="lead_review")
    other_head = make_user("lead_officer", department=DepartmentFactory())
    Profile.objects.filter(user=other_head).update(is_head=True)
    colleague = make_user("lead_officer", department=application.special_project.lead_department)

    with pytest.raises(NotAllowed):
        _reassign(
            application, "lead", by=get_user_model().objects.get(pk=other_head.pk), to=colleague
        )

    assert _held_task(application, "lead").owner == application.people.lead_officer


def test_the_head_cannot_reassign_to_somebody_who_may_not_act_on_the_application(held):
    tier, application = held
    outsider = make_user("applicant", organisation=application.organisation)

    with pytest.raises(InvalidInput):
        _reassign(application, tier, by=application.head, to=outsider)

    assert _held_task(application, tier).owner == _reviewer(application, tier)
