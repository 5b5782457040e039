"""The messenger: who is told what, in Chinese with an English fallback, and only once the
decision has committed; a failing mail server never undoes a decision."""

import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from approvals import group_review
from tests.factories import (
    FundingApplicationFactory,
    OrganisationFactory,
    assign_experts,
    formal_check,
    make_user,
    resolve_at_meeting,
    score_by_experts,
)
from workflows import assignments, submission
from workflows.models import FundingApplication

pytestmark = pytest.mark.django_db

REASON = "请补充国家批复文件"

# What the applicant is told, by decision: the action, the state it is taken in, and the
# status's words in the two languages.
APPLICANT_HEARS = {
    "return": ("lead_review", "退回修改", "Returned for revision"),
    "reject": ("lead_review", "不予支持", "Not supported"),
    "approve": ("meeting_review", "已批复", "Approved"),
    "defer": ("meeting_review", "联席会议暂缓", "Deferred by the joint meeting"),
}


def _decide(application, decision):
    people = application.people
    if decision in ("return", "reject"):
        formal_check(application, people, decision, reason=REASON)
    else:
        resolve_at_meeting(
            application,
            people,
            decision,
            amount=Decimal("5000000.00") if decision == "approve" else None,
            reason=REASON,
        )


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


def _status(application):
    return FundingApplication.objects.get(pk=application.pk).status


# --- the applicant --------------------------------------------------------------------------


@pytest.mark.parametrize("decision", list(APPLICANT_HEARS))
def test_the_applicant_is_told_of_a_decision_with_a_chinese_subject(
    decision, django_capture_on_commit_callbacks
):
    application = FundingApplicationFactory(state=APPLICANT_HEARS[decision][0])

    with django_capture_on_commit_callbacks(execute=True):
        _decide(application, decision)

    (message,) = _to(application.people.applicant.email)
    assert message.subject.startswith(f"您的配套资金申请有新进展：{application.title}")


@pytest.mark.parametrize("decision", list(APPLICANT_HEARS))
def test_the_decision_mail_gives_the_status_and_reason_in_chinese_then_english(
    decision, django_capture_on_commit_callbacks
):
    state, status_zh, status_en = APPLICANT_HEARS[decision]
    application = FundingApplicationFactory(state=state)

    with django_capture_on_commit_callbacks(execute=True):
        _decide(application, decision)

    (message,) = _to(application.people.applicant.email)
    chinese, english = message.body.split("\n\n——\n\n")
    assert f"状态已变为：{status_zh}" in chinese
    assert f"is now: {status_en}" in english
    assert REASON in chinese
    assert "News on your matching-fund request" in message.subject


def test_a_decision_taken_in_english_still_mails_chinese_first(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(state="lead_review")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        _decide(application, "reject")

    (message,) = _to(application.people.applicant.email)
    chinese, english = message.body.split("\n\n——\n\n")
    assert "状态已变为：不予支持" in chinese
    assert "is now: Not supported" in english


def test_only_the_applicant_organisation_hears_of_its_decision(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(state="lead_review")
    make_user("applicant", organisation=OrganisationFactory())

    with django_capture_on_commit_callbacks(execute=True):
        _decide(application, "return")

    assert sorted(a for m in mail.outbox for a in m.to) == [application.people.applicant.email]


# --- the next tier --------------------------------------------------------------------------


def _submit(application):
    submission.submit_application(application_id=application.pk, actor=application.people.applicant)


def _accept(application):
    formal_check(application, application.people, "accept")


def _recommend(application):
    people = application.people
    score_by_experts(application, people)
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    group_review.record_group_recommendation(
        application_id=application.pk,
        actor=people.group_chair,
        decision="recommend",
        amount=Decimal("6000000.00"),
    )


# (the state before, the move, who of the next tier hears)
ARRIVALS = {
    "submitted_to_the_lead_department": ("draft", _submit, "lead_officer"),
    "accepted_to_the_review_group": ("lead_review", _accept, "group_chair"),
    "recommended_to_the_joint_meeting": ("group_review", _recommend, "secretary"),
}


@pytest.mark.parametrize("arrival", list(ARRIVALS))
def test_the_next_tiers_members_are_told_a_request_has_arrived(
    arrival, django_capture_on_commit_callbacks
):
    state, move, member = ARRIVALS[arrival]
    application = FundingApplicationFactory(state=state)

    with django_capture_on_commit_callbacks(execute=True):
        move(application)

    (message,) = _to(getattr(application.people, member).email)
    assert message.subject == (
        f"新的配套资金申请待办理：{application.title} / "
        f"A matching-fund request awaits you: {application.title}"
    )


def test_officers_of_other_departments_are_not_told_of_an_arrival(
    django_capture_on_commit_callbacks,
):
    application = FundingApplicationFactory(state="draft")
    other = FundingApplicationFactory(state="draft")  # its officer is in another department

    with django_capture_on_commit_callbacks(execute=True):
        _submit(application)

    assert _to(other.people.lead_officer.email) == []


def test_a_resubmission_is_announced_to_the_tier_that_returned_it(
    django_capture_on_commit_callbacks,
):
    application = FundingApplicationFactory(state="returned_by_lead")

    with django_capture_on_commit_callbacks(execute=True):
        submission.resubmit_application(
            application_id=application.pk, actor=application.people.applicant
        )

    assert [m.subject.split("：")[0] for m in _to(application.people.lead_officer.email)] == [
        "新的配套资金申请待办理"
    ]


# --- experts --------------------------------------------------------------------------------


def test_each_expert_is_asked_to_declare_and_score_when_assigned(
    django_capture_on_commit_callbacks,
):
    application = FundingApplicationFactory(state="group_review")
    people = application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)

    with django_capture_on_commit_callbacks(execute=True):
        group_review.assign_experts(
            application_id=application.pk,
            actor=people.group_chair,
            expert_ids=[e.pk for e in people.experts],
        )

    assert sorted(a for m in mail.outbox for a in m.to) == sorted(e.email for e in people.experts)
    assert all("利益冲突" in m.body and "conflict of interest" in m.body for m in mail.outbox)


def test_the_chair_is_told_to_reassign_when_an_expert_declares_a_conflict(
    django_capture_on_commit_callbacks,
):
    application = FundingApplicationFactory(state="group_review")
    people = application.people
    assign_experts(application)

    with django_capture_on_commit_callbacks(execute=True):
        group_review.declare_interest(
            application_id=application.pk,
            actor=people.experts[0],
            conflict=True,
            reason="近三年在申报单位任职",
        )

    (message,) = _to(people.group_chair.email)
    assert message.subject.startswith("评审专家回避，请改派")


# --- after commit, and never at the decision's expense --------------------------------------


def test_nothing_is_sent_before_the_decision_commits(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(state="lead_review")

    with django_capture_on_commit_callbacks(execute=True):
        _decide(application, "return")
        assert mail.outbox == []

    assert len(_to(application.people.applicant.email)) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(state="lead_review")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _decide(application, "return")
        raise RuntimeError("the surrounding work failed")

    assert (callbacks, mail.outbox) == ([], [])
    assert _status(application) == "lead_review"


def _refusing_mail_server(*args, **kwargs):
    raise smtplib.SMTPServerDisconnected("mail server went away")


def test_a_failing_mail_server_does_not_undo_the_decision(
    monkeypatch, django_capture_on_commit_callbacks
):
    application = FundingApplicationFactory(state="lead_review")
    monkeypatch.setattr("workflows.notifications.send_mass_mail", _refusing_mail_server)

    with django_capture_on_commit_callbacks(execute=True):
        _decide(application, "return")

    assert _status(application) == "returned"
    assert application.audit_entries.filter(transition="return_for_revision").count() == 1


def _logged_for_operators(caplog, application):
    return any(
        r.name == "workflows.notifications" and str(application.pk) in r.getMessage()
        for r in caplog.records
    )


def test_a_failing_mail_server_is_logged_for_operators(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    application = FundingApplicationFactory(state="lead_review")
    monkeypatch.setattr("workflows.notifications.send_mass_mail", _refusing_mail_server)

    with django_capture_on_commit_callbacks(execute=True):
        _decide(application, "return")

    assert _logged_for_operators(caplog, application)


def _unreachable_broker(*args, **kwargs):
    raise ConnectionRefusedError("broker went away")


def test_an_unreachable_broker_does_not_undo_the_decision(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    application = FundingApplicationFactory(state="lead_review")
    monkeypatch.setattr("workflows.tasks.send_transition_notices_task.delay", _unreachable_broker)

    with django_capture_on_commit_callbacks(execute=True):
        _decide(application, "return")

    assert _status(application) == "returned"
    assert _logged_for_operators(caplog, application)
