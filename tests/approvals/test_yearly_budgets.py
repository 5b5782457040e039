"""The funding departments' pooled budgets per year: set in the back office, they replace the
policy file's budget for the calls of that year in the pool, the meeting's budget check, the
what-if and the dashboard; the file's budget stays the default."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from approvals import budgets
from approvals.models import DepartmentBudget, PoolBalance
from approvals.policy import load_policy_text
from approvals.policy_store import policy_in_force_for_call
from approvals.simulation import simulate
from backoffice.models import ConfigChange
from tests.approvals.test_policy_in_review import (
    approve_all,
    awaiting_meeting,
    planned_meeting,
    resolve,
)
from tests.approvals.test_policy_store import active_policy, policy_text
from tests.factories import FundingCallFactory, SpecialProjectFactory, make_user
from workflows.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db

TEN_MILLION = Decimal("10000000.00")


@pytest.fixture
def special_project():
    return SpecialProjectFactory(code="ZX01")


@pytest.fixture
def call(special_project):
    call = FundingCallFactory(total_budget=Decimal("500000000.00"))
    call.special_projects.add(special_project)
    return call


@pytest.fixture
def administrator():
    return make_user("administrator")


def _set(administrator, call, amount, code="kw"):
    return budgets.set_yearly_budget(
        actor=administrator, department_code=code, year=call.year, amount=Decimal(amount)
    )


def _budgets(policy):
    return {d.code: d.budget for d in policy.pool.departments}


def test_the_policy_files_budget_applies_when_no_yearly_budget_is_set(call):
    active_policy()

    assert _budgets(policy_in_force_for_call(call).policy)["kw"] == Decimal("300000000")


def test_a_yearly_budget_replaces_the_policy_files_budget_for_the_calls_of_that_year(
    call, administrator
):
    active_policy()
    _set(administrator, call, TEN_MILLION)

    assert _budgets(policy_in_force_for_call(call).policy)["kw"] == TEN_MILLION


def test_a_yearly_budget_leaves_the_calls_of_other_years_alone(call, administrator):
    active_policy()
    budgets.set_yearly_budget(
        actor=administrator, department_code="kw", year=call.year + 1, amount=TEN_MILLION
    )

    assert _budgets(policy_in_force_for_call(call).policy)["kw"] == Decimal("300000000")


def test_calls_of_two_years_read_one_after_the_other_each_have_their_years_budget(
    call, administrator
):
    active_policy()
    _set(administrator, call, TEN_MILLION)
    next_year = FundingCallFactory(year=call.year + 1, opens_at=call.opens_at)

    first = _budgets(policy_in_force_for_call(call).policy)["kw"]
    second = _budgets(policy_in_force_for_call(next_year).policy)["kw"]

    assert (first, second) == (TEN_MILLION, Decimal("300000000"))


def test_the_meeting_draws_on_the_yearly_budget(call, special_project, administrator):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    active_policy()
    _set(administrator, call, TEN_MILLION)

    resolve(meeting, secretary, approve_all(applications))

    assert PoolBalance.objects.get(department_code="kw").budget == TEN_MILLION


def test_the_meetings_budget_check_refuses_what_the_yearly_budget_cannot_pay(
    call, special_project, administrator
):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    active_policy(budgets=(3_000_000, 3_000_000, 3_000_000))
    for code in ("kw", "jxw", "fgw"):
        _set(administrator, call, "1000000.00", code=code)

    with pytest.raises(InvalidInput, match="资金池不足"):
        resolve(meeting, secretary, approve_all(applications))


def test_raising_the_yearly_budget_raises_the_balance_of_a_pool_already_drawn_on(
    call, special_project, administrator
):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    active_policy()
    resolve(meeting, secretary, approve_all(applications))

    _set(administrator, call, "400000000.00")

    # 12,000,000 reserved by the meeting stays reserved against the new budget.
    assert PoolBalance.objects.get(department_code="kw").balance == Decimal("388000000.00")


def test_a_yearly_budget_below_what_the_year_has_drawn_is_refused(
    call, special_project, administrator
):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    active_policy()
    resolve(meeting, secretary, approve_all(applications))

    with pytest.raises(InvalidInput, match=r"12,000,000\.00"):
        _set(administrator, call, TEN_MILLION)


def test_a_negative_yearly_budget_is_refused(call, administrator):
    active_policy()

    with pytest.raises(InvalidInput):
        _set(administrator, call, "-1.00")


def test_a_yearly_budget_for_a_department_no_pool_names_is_refused(call, administrator):
    active_policy()

    with pytest.raises(InvalidInput):
        _set(administrator, call, TEN_MILLION, code="nobody")


def test_only_an_administrator_sets_a_yearly_budget(call):
    active_policy()

    with pytest.raises(NotAllowed):
        _set(make_user("auditor"), call, TEN_MILLION)


def test_the_what_if_measures_the_draft_against_the_yearly_budget(call, administrator):
    active_policy()
    _set(administrator, call, TEN_MILLION)

    simulation = simulate(load_policy_text(policy_text(version="t.2")), call=call)

    totals = {d.code: d.new_budget for d in simulation.comparison.departments}
    assert totals["kw"] == TEN_MILLION


def test_the_what_if_measures_the_policy_in_force_against_the_yearly_budget(call, administrator):
    active_policy()
    _set(administrator, call, TEN_MILLION)

    simulation = simulate(load_policy_text(policy_text(version="t.2")), call=call)

    totals = {d.code: d.old_budget for d in simulation.comparison.departments}
    assert totals["kw"] == TEN_MILLION


def _dashboard_pools(call):
    client = Client()
    client.force_login(make_user("auditor"))
    response = client.get(reverse("dashboard"))
    table = next(
        t for s in response.context["sections"] for t in s.tables if t.key == "department_pool"
    )
    return {row[0]: row[1:] for row in table.rows}


def test_the_dashboard_shows_the_yearly_budget_of_a_pool_drawn_on(
    call, special_project, administrator
):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    active_policy()
    resolve(meeting, secretary, approve_all(applications))
    _set(administrator, call, "400000000.00")

    pools = _dashboard_pools(call)

    assert pools[f"{call.title} · 市科委"][0] == Decimal("400000000.00")


def test_the_dashboard_shows_the_yearly_budget_of_a_pool_not_yet_drawn_on(
    call, special_project, administrator
):
    awaiting_meeting(call, special_project, count=1)
    active_policy()
    _set(administrator, call, TEN_MILLION)

    pools = _dashboard_pools(call)

    assert pools[f"{call.title} · 市科委"] == (TEN_MILLION, Decimal(0), TEN_MILLION)


# --- the back office --------------------------------------------------------------------------


def _add_from_the_back_office(client, call, amount):
    return client.post(
        reverse("admin:approvals_departmentbudget_add"),
        {"department_code": "kw", "year": call.year, "amount": amount},
    )


def test_an_administrator_sets_a_yearly_budget_in_the_back_office(call, administrator):
    active_policy()
    client = Client()
    client.force_login(administrator)

    _add_from_the_back_office(client, call, "10000000.00")

    assert DepartmentBudget.objects.get().amount == TEN_MILLION


def test_a_yearly_budget_set_in_the_back_office_is_in_the_configuration_log(call, administrator):
    active_policy()
    client = Client()
    client.force_login(administrator)

    _add_from_the_back_office(client, call, "10000000.00")

    change = ConfigChange.objects.get(model="approvals.departmentbudget")
    assert change.after["amount"] == "10000000.00"


def test_a_negative_yearly_budget_is_refused_next_to_the_form_in_the_back_office(
    call, administrator
):
    active_policy()
    client = Client()
    client.force_login(administrator)

    response = _add_from_the_back_office(client, call, "-5")

    assert response.status_code == 200
    assert not DepartmentBudget.objects.exists()
