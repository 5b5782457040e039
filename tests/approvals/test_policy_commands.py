"""manage.py load_policy and manage.py simulate_policy."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import MatchingPolicyVersion
from tests.approvals.test_policy_store import active_policy, policy_text, used_policy
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    OrganisationFactory,
    SpecialProjectFactory,
    make_user,
)
from workflows.models import FundingApplication

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


@pytest.fixture
def special_project():
    return SpecialProjectFactory(code="ZX01")


@pytest.fixture
def call(special_project):
    call = FundingCallFactory()
    call.special_projects.add(special_project)
    return call


def write(tmp_path, text: str, name: str = "policy.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def open_applications(call, special_project, count: int, status: str = "submitted") -> list[int]:
    """``count`` submitted applications written in one bulk insert (no history: the what-if
    only reads them)."""
    organisation = OrganisationFactory()
    applicant = make_user("applicant", organisation=organisation)
    today = timezone.localdate()
    created = FundingApplication.objects.bulk_create(
        FundingApplication(
            organisation=organisation,
            call=call,
            special_project=special_project,
            national_task_code=f"SIM{next(_numbers):07d}",
            title="批量测试课题",
            national_approval_number="国科发专〔2026〕1号",
            national_funding=Decimal("20000000.00"),
            own_funds=Decimal("10000000.00"),
            requested_amount=Decimal("8000000.00"),
            landing_district_id="haidian",
            period_start=today,
            period_end=today + datetime.timedelta(days=1000),
            status=status,
            created_by=applicant,
            submitted_at=timezone.now(),
        )
        for _ in range(count)
    )
    return [a.pk for a in created]


# --- load_policy ----------------------------------------------------------------------------


def test_load_policy_stores_the_file_and_reports_its_version(tmp_path):
    output = run("load_policy", write(tmp_path, policy_text()))

    assert "version t.1 stored" in output
    assert MatchingPolicyVersion.objects.get().version == "t.1"


def test_load_policy_without_activate_leaves_the_version_out_of_force(tmp_path):
    output = run("load_policy", write(tmp_path, policy_text()))

    assert "not active" in output
    assert not MatchingPolicyVersion.objects.get().active


def test_load_policy_with_activate_puts_the_version_in_force(tmp_path):
    run("load_policy", write(tmp_path, policy_text()), "--activate")

    assert MatchingPolicyVersion.objects.get().active


def test_loading_the_same_file_twice_reports_it_unchanged(tmp_path):
    path = write(tmp_path, policy_text())
    run("load_policy", path)

    assert "unchanged" in run("load_policy", path)


def test_load_policy_of_an_invalid_file_says_on_its_first_line_what_to_fix(tmp_path):
    broken = policy_text().replace("ratio: 0.3\n", "ratio: -0.3\n")

    with pytest.raises(CommandError) as refused:
        run("load_policy", write(tmp_path, broken))

    first_line = str(refused.value).splitlines()[0]
    assert "fix 1 problem" in first_line and "'matching-ratio'" in first_line
    assert refused.value.returncode != 0


def test_load_policy_lists_every_problem_of_the_document(tmp_path):
    broken = (
        policy_text()
        .replace("ratio: 0.3\n", "ratio: -0.3\n")
        .replace("absolute: 30000000", "absolute: lots")
    )

    with pytest.raises(CommandError) as refused:
        run("load_policy", write(tmp_path, broken))

    listed = [line for line in str(refused.value).splitlines() if line.startswith("  - ")]
    assert len(listed) == 2
    assert any("per-project-cap" in line and "absolute" in line for line in listed)


def test_load_policy_of_an_invalid_file_stores_nothing(tmp_path):
    broken = policy_text().replace("kind: ratio", "kind: ratios")

    with pytest.raises(CommandError):
        run("load_policy", write(tmp_path, broken), "--activate")

    assert not MatchingPolicyVersion.objects.exists()


def test_load_policy_refuses_new_content_for_a_used_version_asking_to_bump_it(tmp_path):
    used_policy()

    with pytest.raises(CommandError) as refused:
        run("load_policy", write(tmp_path, policy_text(budgets=(1, 2, 3))))

    assert "version" in str(refused.value)
    assert MatchingPolicyVersion.objects.get().content_hash == used_policy().content_hash


def test_load_policy_refuses_to_activate_a_version_overlapping_an_active_one(tmp_path):
    active_policy(version="a")

    with pytest.raises(CommandError) as refused:
        run("load_policy", write(tmp_path, policy_text(version="b")), "--activate")

    assert "effective" in str(refused.value).splitlines()[0]
    assert MatchingPolicyVersion.objects.count() == 1


def test_load_policy_of_a_missing_file_exits_non_zero(tmp_path):
    with pytest.raises(CommandError) as refused:
        run("load_policy", str(tmp_path / "missing.yaml"))

    assert "cannot read" in str(refused.value)


# --- simulate_policy ------------------------------------------------------------------------


def _draft(tmp_path) -> str:
    return write(
        tmp_path,
        policy_text(version="t.2").replace("ratio: 0.3\n", "ratio: 0.35\n"),
        "draft.yaml",
    )


def test_simulate_policy_prints_old_and_new_amount_per_application(tmp_path, call, special_project):
    active_policy()
    (pk,) = open_applications(call, special_project, 1)

    output = run("simulate_policy", _draft(tmp_path), "--call", str(call.pk))

    row = next(line for line in output.splitlines() if line.startswith(f"#{pk} "))
    assert row.split()[2:] == ["符合", "6,000,000.00", "符合", "7,000,000.00", "+1,000,000.00"]


def test_simulate_policy_prints_department_totals_against_budgets(tmp_path, call, special_project):
    active_policy()
    open_applications(call, special_project, 2)

    output = run("simulate_policy", _draft(tmp_path), "--call", str(call.pk))

    row = next(line for line in output.splitlines() if line.startswith("市科委"))
    assert row.split()[1:] == [
        "12,000,000.00",
        "300,000,000.00",
        "14,000,000.00",
        "300,000,000.00",
    ]


def test_simulate_policy_names_both_versions(tmp_path, call, special_project):
    active_policy()
    open_applications(call, special_project, 1)

    output = run("simulate_policy", _draft(tmp_path), "--call", str(call.pk))

    assert "现行政策" in output and " t.1 " in output
    assert "草案" in output and " t.2 " in output


def test_simulate_policy_speaks_english_when_asked(tmp_path, call, special_project):
    active_policy()
    open_applications(call, special_project, 1)

    output = run("simulate_policy", _draft(tmp_path), "--call", str(call.pk), "--language", "en")

    assert "Policy comparison: t.1 → t.2" in output
    assert "Municipal Science and Technology Commission" in output


def test_simulate_policy_leaves_out_drafts_and_decided_applications(
    tmp_path, call, special_project
):
    active_policy()
    open_applications(call, special_project, 1, status="deferred")
    open_applications(call, special_project, 1, status="approved")
    FundingApplicationFactory(call=call, special_project=special_project)

    output = run("simulate_policy", _draft(tmp_path), "--call", str(call.pk))

    assert sum(line.startswith("#") for line in output.splitlines()) == 1


def test_simulate_policy_writes_nothing(tmp_path, call, special_project):
    record = active_policy()
    open_applications(call, special_project, 3)
    before = list(FundingApplication.objects.order_by("pk").values())
    policies = list(MatchingPolicyVersion.objects.values())

    with CaptureQueriesContext(connection) as queries:
        run("simulate_policy", _draft(tmp_path), "--call", str(call.pk))

    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)
    assert list(FundingApplication.objects.order_by("pk").values()) == before
    assert list(MatchingPolicyVersion.objects.values()) == policies
    assert not MatchingPolicyVersion.objects.get(pk=record.pk).is_used


def test_simulate_policy_reads_any_number_of_applications_in_the_same_queries(
    tmp_path, call, special_project
):
    active_policy()
    draft = _draft(tmp_path)
    open_applications(call, special_project, 2)
    with CaptureQueriesContext(connection) as few:
        run("simulate_policy", draft, "--call", str(call.pk))
    open_applications(call, special_project, 40)

    with CaptureQueriesContext(connection) as many:
        run("simulate_policy", draft, "--call", str(call.pk))

    assert len(many) == len(few)


def test_simulate_policy_without_a_call_covers_every_call_with_open_applications(
    tmp_path, call, special_project
):
    other = FundingCallFactory()
    open_applications(call, special_project, 1)
    open_applications(other, special_project, 1)
    FundingCallFactory()  # nothing open

    output = run("simulate_policy", _draft(tmp_path))

    assert [line for line in output.splitlines() if line.startswith("批次")] == [
        f"批次：#{call.pk} {call.title}",
        f"批次：#{other.pk} {other.title}",
    ]


def test_simulate_policy_without_a_policy_in_force_says_so(tmp_path, call, special_project):
    open_applications(call, special_project, 1)

    output = run("simulate_policy", _draft(tmp_path), "--call", str(call.pk))

    assert "现行政策：无（原金额按零计）" in output


def test_simulate_policy_for_an_unknown_call_exits_non_zero(tmp_path):
    with pytest.raises(CommandError) as refused:
        run("simulate_policy", _draft(tmp_path), "--call", "999999")

    assert refused.value.returncode != 0


def test_simulate_policy_of_an_invalid_draft_exits_non_zero_saying_what_to_fix(tmp_path, call):
    broken = policy_text().replace("ratio: 0.3\n", "ratio: -0.3\n")

    with pytest.raises(CommandError) as refused:
        run("simulate_policy", write(tmp_path, broken), "--call", str(call.pk))

    assert "'matching-ratio'" in str(refused.value).splitlines()[0]
