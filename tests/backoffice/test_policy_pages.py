from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import MatchingPolicyVersion
from backoffice.models import ConfigChange
from tests.approvals.test_policy_store import active_policy, policy_text
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    SpecialProjectFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

URL = reverse("backoffice-policies")


@pytest.fixture
def administrator(client):
    user = make_user("administrator")
    client.force_login(user)
    return user


@pytest.fixture
def open_request():
    project = SpecialProjectFactory(code="ZX01")
    call = FundingCallFactory()
    call.special_projects.add(project)
    return FundingApplicationFactory(call=call, special_project=project, at_submitted=True)


def test_an_uploaded_policy_with_problems_shows_each_by_rule_and_field(client, administrator):
    text = policy_text().replace("budget: 300000000\n", "budget: lots\n")
    upload = SimpleUploadedFile("policy.yaml", text.encode(), content_type="application/yaml")

    response = client.post(URL, {"file": upload, "check": "1"})

    problems = response.context["checked"].problems
    assert problems
    assert any("budget" in p.location for p in problems)
    assert "policy-problems" in response.content.decode()


def test_a_policy_with_problems_stores_nothing(client, administrator):
    client.post(URL, {"text": "name: 只有名称\n", "activate": "1"})

    assert not MatchingPolicyVersion.objects.exists()


def test_the_what_if_shows_the_open_requests_beside_the_policy_in_force(
    client, administrator, open_request
):
    active_policy(version="in-force.1")
    draft = policy_text(version="draft.2", budgets=(1000, 1000, 1000))

    response = client.post(URL, {"text": draft, "check": "1"})

    (simulation,) = response.context["checked"].simulations
    assert simulation.in_force.policy.version == "in-force.1"
    assert [row.key for row in simulation.comparison.rows] == [
        f"#{open_request.pk} {open_request.national_task_code}"
    ]
    assert "1,000.00" in response.content.decode()  # the draft's budgets beside the totals


def test_checking_a_policy_stores_nothing(client, administrator, open_request):
    client.post(URL, {"text": policy_text(), "check": "1"})

    assert not MatchingPolicyVersion.objects.exists()


def test_activating_a_policy_puts_it_in_force_for_the_period_it_states(client, administrator):
    start = datetime.date(2026, 1, 1)
    text = policy_text(version="new.1", start=start, end=datetime.date(2026, 12, 31))

    response = client.post(URL, {"text": text, "activate": "1"})

    assert response.status_code == 302
    record = MatchingPolicyVersion.objects.get(version="new.1")
    assert (record.active, record.effective_from) == (True, start)


def test_activating_a_policy_is_recorded_in_the_configuration_log(client, administrator):
    client.post(URL, {"text": policy_text(version="new.1"), "activate": "1"})

    change = ConfigChange.objects.get(model="approvals.matchingpolicyversion")
    assert (change.actor_name, change.after["active"]) == (administrator.username, True)


def test_a_policy_overlapping_the_one_in_force_is_refused(client, administrator):
    active_policy(version="in-force.1")

    response = client.post(URL, {"text": policy_text(version="other.1"), "activate": "1"})

    assert response.context["checked"].problems
    assert not MatchingPolicyVersion.objects.filter(version="other.1").exists()


def test_a_file_that_is_not_yaml_or_json_is_refused_next_to_the_field(client, administrator):
    upload = SimpleUploadedFile("policy.exe", b"MZ", content_type="application/octet-stream")

    response = client.post(URL, {"file": upload, "check": "1"})

    assert "file" in response.context["form"].errors


def test_an_auditor_may_not_use_the_policy_page(client):
    client.force_login(make_user("auditor"))

    assert client.get(URL).status_code == 403
