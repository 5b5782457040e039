"""The first two tiers: the lead department's formal check and its queue, the scoring rubric, the
experts of the review group (assignment, conflicts, scores) and the group's summary."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import group_review, lead_review, rubric
from approvals.models import CheckItem, CriterionScore, ExpertAssignment, FormalCheck
from tests.factories import (
    DepartmentFactory,
    FundingApplicationFactory,
    FundingCallFactory,
    SpecialProjectFactory,
    bulk_awaiting,
    make_user,
)
from workflows import assignments
from workflows.errors import DomainError, InvalidInput, NotAllowed, TransitionConflict
from workflows.models import AuditEntry, FundingApplication
from workflows.selectors import open_tasks, queue_for

from .bulk import record_arrival

pytestmark = pytest.mark.django_db

ALL_PASSED = {item: {"passed": True, "note": ""} for item in CheckItem.values}
DEFAULT_CODES = [code for code, *_ in rubric.DEFAULT_RUBRIC]


def _reloaded(application):
    fresh = FundingApplication.objects.get(pk=application.pk)
    fresh.people = application.people
    return fresh


def _failing(*items, note=""):
    return {**ALL_PASSED, **{item: {"passed": False, "note": note} for item in items}}


def _scores(*values, comment="论证充分"):
    return {code: (value, comment) for code, value in zip(DEFAULT_CODES, values, strict=True)}


# --- tier 1: the formal check ---------------------------------------------------------------


@pytest.fixture
def at_lead_review():
    """A request the lead department's officer has received and holds."""
    return FundingApplicationFactory(state="lead_review")


@pytest.mark.parametrize(
    ("decision", "items", "status"),
    [
        ("accept", ALL_PASSED, "group_review"),
        ("return", _failing("national_approval_present"), "returned"),
        ("reject", _failing("special_project_covered"), "rejected"),
    ],
)
def test_the_formal_check_is_stored_with_the_decision(at_lead_review, decision, items, status):
    officer = at_lead_review.people.lead_officer

    lead_review.record_formal_check(
        application_id=at_lead_review.pk,
        actor=officer,
        decision=decision,
        items=items,
        reason="形式审查意见",
    )

    check = FormalCheck.objects.get(application=at_lead_review)
    assert (check.decision, check.items, check.officer, check.revision) == (
        decision,
        items,
        officer,
        1,
    )
    assert _reloaded(at_lead_review).status == status


def test_accepting_with_a_failed_check_item_is_refused(at_lead_review):
    entries = AuditEntry.objects.count()

    with pytest.raises(InvalidInput):
        lead_review.record_formal_check(
            application_id=at_lead_review.pk,
            actor=at_lead_review.people.lead_officer,
            decision="accept",
            items=_failing("attachments_complete"),
        )

    assert _reloaded(at_lead_review).status == "lead_review"
    assert not FormalCheck.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_a_return_carries_the_failed_items_as_structured_reasons(at_lead_review):
    items = {
        **ALL_PASSED,
        "national_approval_present": {"passed": False, "note": "缺少国家任务书盖章页"},
        "amounts_consistent": {"passed": False, "note": ""},
    }

    lead_review.record_formal_check(
        application_id=at_lead_review.pk,
        actor=at_lead_review.people.lead_officer,
        decision="return",
        items=items,
    )

    entry = at_lead_review.audit_entries.get(transition="return_for_revision")
    assert entry.details["reasons"] == [
        {"item": "national_approval_present", "text": "缺少国家任务书盖章页"},
        {"item": "amounts_consistent", "text": str(CheckItem.AMOUNTS_CONSISTENT.label)},
    ]


def test_an_unknown_check_item_is_refused(at_lead_review):
    with pytest.raises(InvalidInput):
        lead_review.record_formal_check(
            application_id=at_lead_review.pk,
            actor=at_lead_review.people.lead_officer,
            decision="accept",
            items={**ALL_PASSED, "looks_promising": {"passed": True}},
        )

    assert _reloaded(at_lead_review).status == "lead_review"


# --- tier 1: routing to the lead department -------------------------------------------------


@pytest.fixture
def submitted():
    return FundingApplicationFactory(state="submitted")


def test_an_officer_of_another_department_cannot_claim_the_request(submitted):
    outsider = make_user("lead_officer", department=DepartmentFactory())

    with pytest.raises(NotAllowed):
        assignments.claim_task(application_id=submitted.pk, actor=outsider)

    assert _reloaded(submitted).status == "submitted"
    assert [t.owner_id for t in open_tasks(submitted, "lead_review")] == [None]


@pytest.mark.parametrize(
    ("department", "listed"),
    [("lead", True), ("another", False)],
    ids=["the_lead_departments_officer_sees_it", "another_departments_officer_does_not"],
)
def test_a_submitted_request_is_queued_only_for_its_lead_department(submitted, department, listed):
    lead_department = submitted.special_project.lead_department
    officer = make_user(
        "lead_officer", department=lead_department if department == "lead" else DepartmentFactory()
    )

    queued = {t.process.funding_application.pk for t in queue_for(officer)}

    assert (submitted.pk in queued) is listed


# --- queues: a fixed number of queries however long ------------------------------------------


def _queue_owner(task, project):
    if task == "lead_review":
        return make_user("lead_officer", department=project.lead_department)
    return make_user("meeting_secretary")


@pytest.mark.parametrize("task", ["lead_review", "meeting_review"])
@pytest.mark.parametrize("count", [10, 1000])
def test_a_queue_takes_the_same_two_queries_however_many_applications_wait(
    task, count, django_assert_num_queries
):
    project = SpecialProjectFactory()
    record_arrival(bulk_awaiting(task, count, special_project=project))
    reviewer = get_user_model().objects.get(pk=_queue_owner(task, project).pk)  # nothing cached

    # One query for the reviewer's profile, one for the queue with everything the home page
    # shows of each line.
    with django_assert_num_queries(2):
        lines = [
            (
                t.process.funding_application.national_task_code,
                t.process.funding_application.organisation.name,
                t.process.funding_application.special_project.code,
                t.owner,
            )
            for t in queue_for(reviewer)
        ]

    assert len(lines) == count


# --- rubric ---------------------------------------------------------------------------------


def _criteria(*weights, codes=None):
    codes = codes or [f"c{i}" for i in range(len(weights))]
    return [
        {"code": code, "name": f"评分项{code}", "weight": weight}
        for code, weight in zip(codes, weights, strict=True)
    ]


@pytest.mark.parametrize(
    "criteria",
    [
        _criteria(40, 40, 10),
        _criteria(50, 40, 20),
        _criteria(50, 50, codes=["market", "market"]),
        _criteria(100, 0),
        _criteria(101, -1),
        _criteria(120, -20),
        [],
    ],
    ids=[
        "sum_90",
        "sum_110",
        "duplicate_codes",
        "weight_0",
        "weight_101",
        "negative_weight",
        "no_criteria",
    ],
)
def test_an_invalid_rubric_is_refused_and_the_call_keeps_its_criteria(criteria):
    call = FundingCallFactory()
    admin = make_user("administrator")

    with pytest.raises(InvalidInput):
        rubric.set_rubric(call_id=call.pk, actor=admin, criteria=criteria)

    assert [c.code for c in rubric.rubric_for(call)] == DEFAULT_CODES


def test_a_valid_rubric_becomes_the_calls_criteria():
    call = FundingCallFactory()

    rubric.set_rubric(
        call_id=call.pk,
        actor=make_user("administrator"),
        criteria=_criteria(60, 40, codes=["market", "feasibility"]),
    )

    assert [(c.code, c.weight) for c in rubric.rubric_for(call)] == [
        ("market", 60),
        ("feasibility", 40),
    ]


def test_only_an_administrator_may_set_a_rubric():
    call = FundingCallFactory()

    with pytest.raises(NotAllowed):
        rubric.set_rubric(
            call_id=call.pk, actor=make_user("group_chair"), criteria=_criteria(60, 40)
        )

    assert not call.rubric.exists()


def test_a_call_without_a_rubric_is_scored_on_the_programmes_default_criteria():
    criteria = rubric.rubric_for(FundingCallFactory())

    assert [(c.code, c.weight) for c in criteria] == [
        (code, w) for code, *_, w in rubric.DEFAULT_RUBRIC
    ]
    assert sum(c.weight for c in criteria) == 100


# --- tier 2: assigning experts --------------------------------------------------------------


@pytest.fixture
def at_group_review():
    return FundingApplicationFactory(state="group_review")


def _claim_assignment(application):
    assignments.claim_task(application_id=application.pk, actor=application.people.group_chair)


def _assign(application, experts=None):
    return group_review.assign_experts(
        application_id=application.pk,
        actor=application.people.group_chair,
        expert_ids=[e.pk for e in (experts or application.people.experts)],
    )


@pytest.fixture
def with_experts(at_group_review):
    """The chair has asked the application's three experts to score it."""
    _claim_assignment(at_group_review)
    _assign(at_group_review)
    return at_group_review


def _declare(application, expert, conflict=False, reason=""):
    group_review.declare_interest(
        application_id=application.pk, actor=expert, conflict=conflict, reason=reason
    )


def _score(application, expert, values=(80, 80, 80, 80)):
    _declare(application, expert)
    group_review.submit_scores(application_id=application.pk, actor=expert, scores=_scores(*values))


def test_a_group_member_cannot_assign_experts(at_group_review):
    member = at_group_review.people.experts[0]

    with pytest.raises(NotAllowed):
        group_review.assign_experts(
            application_id=at_group_review.pk,
            actor=member,
            expert_ids=[e.pk for e in at_group_review.people.experts],
        )

    assert not ExpertAssignment.objects.exists()


def test_the_chair_must_hold_the_assignment_task_to_assign_experts(at_group_review):
    with pytest.raises(TransitionConflict):
        _assign(at_group_review)

    assert not ExpertAssignment.objects.exists()
    assert open_tasks(at_group_review, "score") == []


def test_fewer_experts_than_the_call_requires_are_refused():
    application = FundingApplicationFactory(
        state="group_review", call=FundingCallFactory(experts_required=4)
    )
    _claim_assignment(application)

    with pytest.raises(InvalidInput, match="4"):
        _assign(application, application.people.experts[:3])

    assert not ExpertAssignment.objects.exists()


def test_the_same_expert_cannot_be_assigned_twice(at_group_review):
    _claim_assignment(at_group_review)
    first, second, third = at_group_review.people.experts

    with pytest.raises(InvalidInput):
        _assign(at_group_review, [first, second, third, first])

    assert not ExpertAssignment.objects.exists()


def test_an_expert_from_the_applicant_organisation_is_refused(at_group_review):
    _claim_assignment(at_group_review)
    insider = make_user("group_member", organisation=at_group_review.organisation)

    with pytest.raises(InvalidInput, match="须回避"):
        _assign(at_group_review, [*at_group_review.people.experts[:2], insider])

    assert not ExpertAssignment.objects.exists()


def test_assigning_experts_opens_one_scoring_task_owned_by_each_expert(with_experts):
    owners = [t.owner for t in open_tasks(with_experts, "score")]

    assert sorted(owners, key=lambda u: u.pk) == with_experts.people.experts


def _queries_to_assign(experts_count):
    application = FundingApplicationFactory(state="group_review")
    experts = [make_user("group_member") for _ in range(experts_count)]
    _claim_assignment(application)
    with CaptureQueriesContext(connection) as queries:
        _assign(application, experts)
    return len(queries)


def test_each_further_expert_costs_only_their_own_scoring_task_and_its_link():
    """Eligibility (past involvement) is read once for all experts, and the experts are loaded
    once: one more expert is one more task and one more link, nothing read one by one."""
    extra = 3

    cost = _queries_to_assign(3 + extra) - _queries_to_assign(3)

    assert cost <= 2 * extra


def test_the_group_decision_waits_until_every_expert_has_scored(with_experts):
    for expert in with_experts.people.experts[:2]:
        _score(with_experts, expert)

    assert open_tasks(with_experts, "group_decision") == []


def test_the_group_decision_opens_once_every_expert_has_scored(with_experts):
    for expert in with_experts.people.experts:
        _score(with_experts, expert)

    assert len(open_tasks(with_experts, "group_decision")) == 1


def test_the_chairs_decision_before_every_expert_has_scored_is_refused(with_experts):
    for expert in with_experts.people.experts[:2]:
        _score(with_experts, expert)

    with pytest.raises(TransitionConflict):
        group_review.record_group_recommendation(
            application_id=with_experts.pk,
            actor=with_experts.people.group_chair,
            decision="recommend",
            amount=Decimal("5000000.00"),
        )

    assert _reloaded(with_experts).status == "group_review"
    assert not with_experts.recommendations.exists()


# --- tier 2: conflicts of interest ----------------------------------------------------------


@pytest.fixture
def conflicted(with_experts):
    """The first expert declared a conflict of interest; the other two have not acted yet."""
    _declare(with_experts, with_experts.people.experts[0], conflict=True, reason="曾在申报单位兼职")
    return with_experts


def _handed_back(application):
    return next(t for t in open_tasks(application, "score") if t.owner_id is None)


def test_a_declared_conflict_hands_the_scoring_task_back_to_nobody(conflicted):
    owners = [t.owner_id for t in open_tasks(conflicted, "score")]

    assert sorted(owners, key=str) == sorted(
        [None, *(e.pk for e in conflicted.people.experts[1:])], key=str
    )


def test_a_conflict_must_be_explained(with_experts):
    expert = with_experts.people.experts[0]

    with pytest.raises(InvalidInput):
        _declare(with_experts, expert, conflict=True, reason="  ")

    assert ExpertAssignment.objects.get(expert=expert).state == "assigned"
    assert all(t.owner_id for t in open_tasks(with_experts, "score"))


def test_an_expert_who_declared_a_conflict_can_no_longer_score(conflicted):
    expert = conflicted.people.experts[0]

    with pytest.raises(DomainError):
        group_review.submit_scores(
            application_id=conflicted.pk, actor=expert, scores=_scores(90, 90, 90, 90)
        )

    assert not CriterionScore.objects.filter(assignment__expert=expert).exists()


def test_an_expert_who_declared_a_conflict_cannot_claim_the_task_back(conflicted):
    with pytest.raises(DomainError):
        assignments.claim_task(application_id=conflicted.pk, actor=conflicted.people.experts[0])

    assert _handed_back(conflicted).owner_id is None


def test_the_handed_back_task_cannot_be_reassigned_to_the_expert_who_declared_the_conflict(
    conflicted,
):
    with pytest.raises(InvalidInput, match="利益冲突"):
        assignments.reassign_task(
            application_id=conflicted.pk,
            actor=conflicted.people.group_chair,
            task_id=_handed_back(conflicted).pk,
            to_user_id=conflicted.people.experts[0].pk,
        )

    assert _handed_back(conflicted).owner_id is None


def test_an_expert_who_declared_a_conflict_no_longer_sees_the_task_in_their_queue(conflicted):
    queued = [t.pk for t in queue_for(conflicted.people.experts[0])]

    assert _handed_back(conflicted).pk not in queued


def test_the_chair_gives_the_handed_back_task_to_a_replacement_expert(conflicted):
    task = _handed_back(conflicted)
    replacement = make_user("group_member")

    group_review.replace_expert(
        application_id=conflicted.pk, actor=conflicted.people.group_chair, expert_id=replacement.pk
    )

    task.refresh_from_db()
    assert task.owner == replacement


def test_the_group_decision_still_waits_for_the_replacement_expert(conflicted):
    replacement = make_user("group_member")
    group_review.replace_expert(
        application_id=conflicted.pk, actor=conflicted.people.group_chair, expert_id=replacement.pk
    )
    for expert in conflicted.people.experts[1:]:
        _score(conflicted, expert)

    assert open_tasks(conflicted, "group_decision") == []
    _score(conflicted, replacement)
    assert len(open_tasks(conflicted, "group_decision")) == 1


def test_the_chair_cannot_give_the_task_back_to_the_expert_who_declared_the_conflict(conflicted):
    with pytest.raises(InvalidInput):
        group_review.replace_expert(
            application_id=conflicted.pk,
            actor=conflicted.people.group_chair,
            expert_id=conflicted.people.experts[0].pk,
        )

    assert _handed_back(conflicted).owner_id is None


# --- tier 2: scores -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scores",
    [
        _scores(101, 80, 80, 80),
        _scores(-1, 80, 80, 80),
        _scores("很好", 80, 80, 80),
        dict(list(_scores(80, 80, 80, 80).items())[:3]),
        {**_scores(80, 80, 80, 80), "novelty": (80, "新颖")},
        _scores(80, 80, 80, 80, comment=""),
        {**_scores(80, 80, 80, 80), "feasibility": (80, "   ")},
    ],
    ids=[
        "above_100",
        "below_0",
        "not_a_number",
        "missing_criterion",
        "unknown_criterion",
        "empty_comments",
        "blank_comment",
    ],
)
def test_invalid_scores_are_refused_and_nothing_is_kept(with_experts, scores):
    expert = with_experts.people.experts[0]
    _declare(with_experts, expert)

    with pytest.raises(InvalidInput):
        group_review.submit_scores(application_id=with_experts.pk, actor=expert, scores=scores)

    assert not CriterionScore.objects.exists()
    assert ExpertAssignment.objects.get(expert=expert).state == "declared"
    assert [t.owner for t in open_tasks(with_experts, "score")].count(expert) == 1


def test_an_expert_must_declare_their_interests_before_scoring(with_experts):
    expert = with_experts.people.experts[0]

    with pytest.raises(TransitionConflict):
        group_review.submit_scores(
            application_id=with_experts.pk, actor=expert, scores=_scores(80, 80, 80, 80)
        )

    assert not CriterionScore.objects.exists()


# --- tier 2: the group's summary ------------------------------------------------------------

# Weights of the default rubric: 25, 25, 30, 20. By hand, each expert's weighted score:
#   (25×80 + 25×70 + 30×90 + 20×60) / 100 = 76.50
#   (25×60 + 25×60 + 30×60 + 20×60) / 100 = 60.00
#   (25×100 + 25×90 + 30×80 + 20×70) / 100 = 85.50
KNOWN_SCORES = [(80, 70, 90, 60), (60, 60, 60, 60), (100, 90, 80, 70)]


@pytest.fixture
def scored(with_experts):
    for expert, values in zip(with_experts.people.experts, KNOWN_SCORES, strict=True):
        _score(with_experts, expert, values)
    return with_experts


def test_each_experts_weighted_score_follows_the_rubrics_weights(scored):
    summary = group_review.group_summary(scored)

    assert sorted(score for _, score in summary.by_expert) == [
        Decimal("60.00"),
        Decimal("76.50"),
        Decimal("85.50"),
    ]


def test_the_group_score_is_the_mean_of_the_experts_weighted_scores(scored):
    # (76.50 + 60.00 + 85.50) / 3 = 74.00
    assert group_review.group_summary(scored).weighted_score == Decimal("74.00")


def test_the_spread_is_the_highest_minus_the_lowest_experts_weighted_score(scored):
    # 85.50 − 60.00
    assert group_review.group_summary(scored).spread == Decimal("25.50")


def test_the_summary_gives_each_criterions_mean_over_the_experts(scored):
    means = {c.code: c.mean for c in group_review.group_summary(scored).criteria}

    # district_fit (80+60+100)/3, market (70+60+90)/3, feasibility (90+60+80)/3, highlights
    # (60+60+70)/3
    assert means == {
        "district_fit": Decimal("80.00"),
        "market_prospects": Decimal("73.33"),
        "feasibility": Decimal("76.67"),
        "highlights": Decimal("63.33"),
    }


def test_the_summary_counts_only_experts_who_have_scored(with_experts):
    _score(with_experts, with_experts.people.experts[0], KNOWN_SCORES[0])

    summary = group_review.group_summary(with_experts)

    assert (summary.experts, summary.weighted_score, summary.spread) == (
        1,
        Decimal("76.50"),
        Decimal("0.00"),
    )


def test_assigning_experts_a_second_time_is_a_conflict_and_adds_nobody(with_experts):
    before = ExpertAssignment.objects.filter(application=with_experts).count()
    with pytest.raises(TransitionConflict):
        _assign(with_experts)
    assert ExpertAssignment.objects.filter(application=with_experts).count() == before


def test_a_recommended_amount_that_is_not_a_number_is_refused_as_input(with_experts):
    for expert in with_experts.people.experts:
        _score(with_experts, expert)
    assignments.claim_task(application_id=with_experts.pk, actor=with_experts.people.group_chair)
    with pytest.raises(InvalidInput):
        group_review.record_group_recommendation(
            application_id=with_experts.pk,
            actor=with_experts.people.group_chair,
            decision="recommend",
            amount=Decimal("NaN"),
        )
    assert _reloaded(with_experts).status == "group_review"
