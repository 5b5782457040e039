"""ApplicationFacts refuses what no real application can be."""

from __future__ import annotations

from decimal import Decimal

import pytest

from approvals.policy import FACT_FIELDS, ApplicationFacts, InvalidFactsError

from .builders import make_facts


def test_integer_money_is_stored_as_decimal() -> None:
    facts = make_facts(national_funding=1_000_000)
    assert isinstance(facts.national_funding, Decimal)


def test_float_money_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="national_funding"):
        make_facts(national_funding=1e6)


def test_boolean_money_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="own_funds"):
        make_facts(own_funds=True)


def test_negative_money_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="requested_amount"):
        make_facts(requested_amount=Decimal("-0.01"))


def test_money_finer_than_a_fen_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="fen"):
        make_facts(own_funds=Decimal("1.005"))


def test_non_finite_money_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="other_local_funds"):
        make_facts(other_local_funds=Decimal("Infinity"))


def test_unknown_organisation_kind_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="organisation_kind"):
        make_facts(organisation_kind="company")


def test_district_outside_beijing_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="district"):
        make_facts(district="浦东新区")


def test_empty_district_stands_for_outside_beijing() -> None:
    assert make_facts(district="", registered_in_beijing=False).district == ""


def test_malformed_special_project_code_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="special_project"):
        make_facts(special_project="zx1")


def test_call_special_projects_must_be_a_tuple() -> None:
    with pytest.raises(InvalidFactsError, match="call_special_projects"):
        make_facts(call_special_projects=["ZX01"])


def test_non_boolean_flag_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="has_national_approval"):
        make_facts(has_national_approval="yes")


def test_project_of_zero_months_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="project_months"):
        make_facts(project_months=0)


def test_unknown_funding_form_is_refused() -> None:
    with pytest.raises(InvalidFactsError, match="funding_form"):
        make_facts(funding_form="loan")


def test_facts_round_trip_through_plain_json() -> None:
    facts = make_facts(own_funds=Decimal("12.34"))
    assert ApplicationFacts.from_dict(facts.as_dict()) == facts


def test_facts_from_dict_refuses_an_unreadable_amount() -> None:
    data = make_facts().as_dict() | {"own_funds": "a lot"}
    with pytest.raises(InvalidFactsError, match="own_funds"):
        ApplicationFacts.from_dict(data)


def test_every_fact_field_is_documented_on_the_dataclass() -> None:
    assert [f.name for f in FACT_FIELDS] == list(ApplicationFacts.__dataclass_fields__)
