"""The audit table keeps only the indexes something reads: each one is written by every
append."""

import pytest
from django.db import connection

from workflows.models import AuditEntry

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, AuditEntry._meta.db_table)
    return {name: c["columns"] for name, c in found.items() if c["index"] or c["unique"]}


def test_no_index_repeats_the_first_column_of_the_chain_position():
    assert ["application_id", "app_seq"] in _indexes().values()
    assert ["application_id"] not in _indexes().values()


def test_an_entry_hash_is_indexed_once():
    assert list(_indexes().values()).count(["entry_hash"]) == 1
