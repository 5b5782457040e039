"""The embedded database's backend (config/sqlite3): Django's SQLite backend, converting each
statement's placeholders once and keeping the result."""

import runpy
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings.py"


@pytest.fixture
def embedded(django_db_blocker):
    """A database of its own in memory, on either suite's database."""
    handler = ConnectionHandler({"default": {"ENGINE": "config.sqlite3", "NAME": ":memory:"}})
    with django_db_blocker.unblock():
        yield handler["default"]
        handler["default"].close()


def _run(connection, sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_the_embedded_database_runs_on_the_projects_backend(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SQLITE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("DJANGO_DEBUG", "1")

    assert runpy.run_path(str(SETTINGS))["DATABASES"]["default"]["ENGINE"] == "config.sqlite3"


def test_a_statement_run_again_takes_its_new_values(embedded):
    sql = "SELECT %s + 1, %s"

    assert _run(embedded, sql, [1, "a"]) == (2, "a")
    assert _run(embedded, sql, [41, "b"]) == (42, "b")


def test_a_doubled_percent_sign_stays_a_literal_percent_sign(embedded):
    assert _run(embedded, "SELECT '100%%', %s", ["%s"]) == ("100%", "%s")


def test_named_parameters_are_still_taken_by_name(embedded):
    assert _run(embedded, "SELECT %(b)s, %(a)s", {"a": 1, "b": 2}) == (2, 1)
