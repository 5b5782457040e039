"""The demo takes approved requests through the stages after the approval."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from awards.models import EquityHolding, Objection, Tranche

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_output(tmp_path, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with override_settings(DEBUG=True), django_capture_on_commit_callbacks(execute=False):
        call_command("demo", out=str(tmp_path), count=7, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_demo_has_one_objection_dismissed_and_one_upheld(demo_output):
    outcomes = sorted(Objection.objects.values_list("status", flat=True))

    assert outcomes == ["dismissed", "upheld"]
    assert "objections 1 dismissed / 1 upheld" in demo_output


def test_the_demo_releases_tranches_and_exits_an_equity_holding(demo_output):
    assert Tranche.objects.filter(released_at__isnull=False).exists()
    assert EquityHolding.objects.exclude(exit_kind="").count() == 1
