"""Every management command ends bad input or a missing setting with a non-zero exit and one
line saying what to fix, and checks its output before it stores anything."""

import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

from workflows.management.base import ProjectCommand
from workflows.models import FundingApplication, FundingCall

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
OUR_APPS = ("workflows", "approvals", "documents", "demo", "accounts")


def _refusal(*args: str) -> CommandError:
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    return refused.value


def _one_line(error: CommandError) -> bool:
    return len(str(error).splitlines()) == 1 and error.returncode != 0


@pytest.fixture(autouse=True)
def _debug(settings):
    """The demonstration commands run only in development (with DJANGO_DEBUG=1)."""
    settings.DEBUG = True


def test_every_command_of_ours_ends_whatever_goes_wrong_in_one_line():
    ours = {name: app for name, app in get_commands().items() if app in OUR_APPS}

    assert ours
    assert [
        n for n, app in ours.items() if not isinstance(load_command_class(app, n), ProjectCommand)
    ] == []


def test_verify_document_with_an_argument_too_long_for_a_file_name_says_it_is_unknown():
    refused = _refusal("verify_document", "京" * 100)

    assert _one_line(refused)
    assert refused.returncode == 1


def test_demo_with_an_empty_out_stores_nothing_and_asks_for_a_folder():
    refused = _refusal("demo", "--out", "", "--count", "1")

    assert _one_line(refused) and "--out" in str(refused)
    assert not FundingApplication.objects.exists() and not FundingCall.objects.exists()


def test_demo_with_out_naming_a_file_stores_nothing(tmp_path):
    (tmp_path / "pdfs").write_text("not a folder")

    refused = _refusal("demo", "--out", str(tmp_path / "pdfs"), "--count", "1")

    assert _one_line(refused) and "is a file" in str(refused)
    assert not FundingCall.objects.exists()


def test_demo_with_out_below_a_file_stores_nothing(tmp_path):
    (tmp_path / "pdfs").write_text("not a folder")

    refused = _refusal("demo", "--out", str(tmp_path / "pdfs" / "out"), "--count", "1")

    assert _one_line(refused) and "Not a directory" in str(refused)
    assert not FundingCall.objects.exists()


def test_demo_with_out_in_a_folder_it_may_not_write_stores_nothing():
    refused = _refusal("demo", "--out", "/sys/demo-out", "--count", "1")

    assert _one_line(refused) and "Operation not permitted" in str(refused)
    assert not FundingCall.objects.exists()


def test_demo_run_again_after_the_calls_budget_is_spent_still_completes(tmp_path):
    call_command(
        "demo", "--out", str(tmp_path), "--count", "1", stdout=StringIO(), stderr=StringIO()
    )
    FundingCall.objects.update(total_budget=Decimal("1.00"))
    out = StringIO()

    call_command("demo", "--out", str(tmp_path), "--count", "2", stdout=out, stderr=StringIO())

    assert "Audit chain intact" in out.getvalue()
    assert FundingCall.objects.count() == 2


def test_load_policy_with_a_yaml_syntax_error_says_where_in_one_line(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("name: broken\nrules:\n  - id: a\n    kind: [ratio\n", encoding="utf-8")

    refused = _refusal("load_policy", str(path))

    assert _one_line(refused)
    assert "line " in str(refused)


def test_render_pending_with_an_age_no_date_can_have_says_the_range():
    refused = _refusal("render_pending", "--older-than", str(10**15))

    assert _one_line(refused) and "--older-than" in str(refused)


def test_make_demo_signing_cert_onto_a_folder_names_the_path(tmp_path):
    refused = _refusal("make_demo_signing_cert", str(tmp_path), "--force")

    assert _one_line(refused) and str(tmp_path) in str(refused)


def test_a_command_without_debug_or_a_secret_key_says_in_one_line_what_to_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    finished = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )

    assert finished.returncode != 0
    assert finished.stderr.strip().splitlines() == [
        "manage.py: Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development)."
    ]
