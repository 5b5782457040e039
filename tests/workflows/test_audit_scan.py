"""The verifier reads entries and rows as the database gives them (on PostgreSQL, COPY text):
any text the writer kept verifies, and text changed to look like the writer's bytes does not."""

import datetime
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import FundingApplicationFactory, UserFactory
from workflows import audit_rows
from workflows.audit import record_event, verify_chain
from workflows.audit_checkpoints import make_key, seal_checkpoint
from workflows.audit_scan import copy_text
from workflows.models import AuditEntry, FundingApplication

from .cases import behind_the_applications_back

TRICKY = {
    "quotes and backslashes": '他说"同意"\\但\\\\保留',
    "line breaks and tabs": "第一行\n第二行\t缩进\r回车",
    "control characters": "响铃\x07垂直制表\x0b单元\x1f",
    "text that looks like JSON": '{"amount": "1.00"}","',
    "the NULL marker of COPY": "\\N",
}


def _reminded(reason, details=None):
    application = FundingApplicationFactory(state="group_review")
    entry = record_event(
        application, actor=None, name="remind", tier="group", reason=reason, details=details
    )
    return application, entry


@pytest.mark.django_db
@pytest.mark.parametrize("reason", TRICKY.values(), ids=TRICKY.keys())
def test_an_entry_whose_reason_needs_escaping_verifies_intact(reason):
    _reminded(reason)

    assert verify_chain().intact


@pytest.mark.django_db
@pytest.mark.parametrize("reason", TRICKY.values(), ids=TRICKY.keys())
def test_a_checkpoint_over_an_entry_whose_reason_needs_escaping_matches_the_log(
    reason, tmp_path, settings
):
    make_key(tmp_path / "audit-key.pem")
    settings.AUDIT_CHECKPOINT_KEY = str(tmp_path / "audit-key.pem")
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    _reminded(reason)
    seal_checkpoint()

    assert verify_chain().intact


@pytest.mark.django_db
def test_an_entry_whose_details_hold_quotes_and_line_breaks_verifies_intact():
    _reminded("", details={"note": 'a "quoted"\nline', "说明": "\\", "amount": "1.50"})

    assert verify_chain().intact


REWRITTEN = {
    "a quote as an escaped quote": ('a"b', 'a\\"b'),
    "a line break as its escape": ("a\nb", "a\\nb"),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("written", "rewritten"), REWRITTEN.values(), ids=REWRITTEN.keys())
def test_a_reason_rewritten_in_the_escaped_form_of_its_text_is_reported(written, rewritten):
    _, entry = _reminded(written)
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET reason = %s WHERE seq = %s", [rewritten, entry.seq]
        )

    assert verify_chain().first_bad_seq == entry.seq


@pytest.mark.django_db
def test_details_reordered_in_the_database_still_verify():
    _, entry = _reminded("", details={"b": 1, "a": [1, 2]})
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET details = %s WHERE seq = %s",
            ['{"a": [1, 2], "b": 1}', entry.seq],
        )

    assert verify_chain().intact


@pytest.mark.django_db
def test_details_changed_in_the_database_are_reported():
    _, entry = _reminded("", details={"amount": "1.50"})
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET details = %s WHERE seq = %s",
            ['{"amount": "9.50"}', entry.seq],
        )

    assert verify_chain().first_bad_seq == entry.seq


@pytest.mark.django_db
def test_an_entry_whose_actor_was_changed_in_the_database_is_reported():
    application = FundingApplicationFactory(state="group_review")
    entry = record_event(application, actor=UserFactory(), name="remind", tier="group")
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET actor_id = %s WHERE seq = %s",
            [UserFactory().pk, entry.seq],
        )

    assert verify_chain().first_bad_seq == entry.seq


@pytest.mark.django_db
def test_an_entry_whose_actor_was_erased_in_the_database_is_reported():
    application = FundingApplicationFactory(state="group_review")
    entry = record_event(application, actor=UserFactory(), name="remind", tier="group")
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET actor_id = NULL WHERE seq = %s", [entry.seq]
        )

    assert verify_chain().first_bad_seq == entry.seq


def _copy_escaped(text: str) -> bytes:
    """A text field as PostgreSQL's COPY writes it (text format)."""
    escapes = {"\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    escapes["\v"] = "\\v"
    return "".join(escapes.get(c, c) for c in text).encode()


@given(st.text())
def test_a_field_read_from_copy_text_is_the_text_written(text):
    assert copy_text(_copy_escaped(text)) == text


def _last_entries():
    last = {}
    for e in AuditEntry.objects.order_by("seq"):
        last[e.application_id] = (
            e.app_seq,
            e.entry_hash,
            e.seq,
            e.content_digest,
            e.state_digest,
            e.target,
        )
    return last


@pytest.mark.postgres
@pytest.mark.django_db
def test_rows_read_as_text_match_their_entries_without_a_second_look():
    FundingApplicationFactory(state="approved", title='标题"引号"\n换行\\')
    FundingApplicationFactory(state="returned_by_lead")
    FundingApplicationFactory(state="rejected_by_lead")
    FundingApplicationFactory(state="draft")

    assert audit_rows.suspects(_last_entries()) == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_row_changed_behind_the_services_is_a_suspect_when_read_as_text():
    changed = FundingApplicationFactory(state="approved")
    FundingApplicationFactory(state="approved")
    FundingApplication.objects.filter(pk=changed.pk).update(title="改过的标题")

    assert audit_rows.suspects(_last_entries()) == [changed.pk]


DECISION_TIMES = {
    "a whole second": datetime.datetime(2026, 3, 2, 8, 30, 0, tzinfo=datetime.UTC),
    "a fraction ending in zeros": datetime.datetime(2026, 3, 2, 8, 30, 0, 120000, datetime.UTC),
    "a fraction of six digits": datetime.datetime(2026, 3, 2, 8, 30, 0, 654321, datetime.UTC),
}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("at", DECISION_TIMES.values(), ids=DECISION_TIMES.keys())
def test_a_row_decided_at_any_time_matches_its_entry_without_a_second_look(at):
    with mock.patch("django.utils.timezone.now", return_value=at):
        decided = FundingApplicationFactory(state="approved")
    assert FundingApplication.objects.get(pk=decided.pk).decided_at == at

    assert audit_rows.suspects(_last_entries()) == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_decision_time_moved_by_a_microsecond_behind_the_services_is_a_suspect():
    moved = FundingApplicationFactory(state="approved")
    FundingApplication.objects.filter(pk=moved.pk).update(
        decided_at=moved.decided_at + datetime.timedelta(microseconds=1)
    )

    assert audit_rows.suspects(_last_entries()) == [moved.pk]


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_approved_amount_raised_behind_the_services_is_a_suspect():
    raised = FundingApplicationFactory(state="approved")
    FundingApplication.objects.filter(pk=raised.pk).update(
        approved_amount=raised.approved_amount + 1
    )

    assert audit_rows.suspects(_last_entries()) == [raised.pk]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_returned_request_whose_decision_fields_changed_is_a_suspect():
    returned = FundingApplicationFactory(state="returned_by_lead")
    FundingApplication.objects.filter(pk=returned.pk).update(returned_from_tier="meeting")

    assert audit_rows.suspects(_last_entries()) == [returned.pk]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("title", TRICKY.values(), ids=TRICKY.keys())
def test_a_row_whose_text_needs_escaping_matches_its_entry_without_a_second_look(title):
    FundingApplicationFactory(state="approved", title=title, summary=title)

    assert audit_rows.suspects(_last_entries()) == []
