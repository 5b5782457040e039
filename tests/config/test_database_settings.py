"""PostgreSQL's connection options: parameters bound by the server, statements kept prepared
after DB_PREPARE_THRESHOLD runs (or never, with ``off``)."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings.py"


@pytest.fixture
def postgres(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.setenv("DATABASE_URL", "postgres://funds@127.0.0.1:5432/funds")


def _options():
    return runpy.run_path(str(SETTINGS))["DATABASES"]["default"]["OPTIONS"]


def test_postgresql_statements_are_kept_prepared_after_five_runs_by_default(postgres, monkeypatch):
    monkeypatch.delenv("DB_PREPARE_THRESHOLD", raising=False)

    assert _options() == {"server_side_binding": True, "prepare_threshold": 5}


def test_postgresql_statements_are_never_kept_prepared_with_the_threshold_off(
    postgres, monkeypatch
):
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "off")

    assert _options() == {"server_side_binding": True, "prepare_threshold": None}


def test_a_prepare_threshold_that_is_no_number_stops_the_settings_naming_the_variable(
    postgres, monkeypatch
):
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "often")

    with pytest.raises(ImproperlyConfigured, match=r"DB_PREPARE_THRESHOLD.*or to off"):
        runpy.run_path(str(SETTINGS))
