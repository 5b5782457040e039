"""Rendering off the request path: after commit, once per decision, retried with bounds, and
never able to undo the decision. The status is visible to the applicant and administrators."""

from __future__ import annotations

import io
import threading

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from documents import services as document_services
from documents.models import Document
from documents.receivers import enqueue_render
from documents.render import RenderError
from documents.services import render_document
from documents.tasks import backoff_seconds, render_document_task
from tests.factories import FundingApplicationFactory, formal_check, make_user
from workflows.models import FundingApplication

from .issued import accepted, the_document

pytestmark = pytest.mark.django_db


def _accept(application):
    formal_check(application, application.people, "accept")


@pytest.fixture
def pending(django_capture_on_commit_callbacks):
    """A decision whose document is numbered but not rendered (its task never ran)."""
    application = FundingApplicationFactory(state="lead_review")
    with django_capture_on_commit_callbacks(execute=False):
        _accept(application)
    return the_document(application, "acceptance")


@pytest.fixture
def renderer_down(monkeypatch):
    """Every render fails as when no renderer could be started (a transient failure)."""

    def unavailable(*args, **kwargs):
        raise RenderError("cannot start a document renderer", transient=True)

    monkeypatch.setattr(document_services, "render_pdf", unavailable)


@pytest.fixture
def broker_down():
    """This process queues tasks on a broker nobody listens on."""
    from config.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url="redis://127.0.0.1:9/0", task_always_eager=False)
    app._pool, app.amqp._producer_pool = None, None
    yield
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool, app.amqp._producer_pool = None, None
    app.conf.update(saved)


def _fresh(document) -> Document:
    return Document.objects.get(pk=document.pk)


# --- after commit ----------------------------------------------------------------------------


def test_the_document_is_numbered_in_the_decisions_transaction_and_rendered_after_it(pending):
    assert (pending.number != "", pending.status, pending.file.name) == (True, "pending", "")


def test_the_render_is_queued_when_the_decision_commits(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(state="lead_review")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _accept(application)

    queued = [c for c in callbacks if getattr(c, "func", None) is enqueue_render]
    assert len(queued) == 1
    assert the_document(application, "acceptance").status == "ready"


def test_the_decision_commits_when_the_broker_is_down(
    broker_down, django_capture_on_commit_callbacks
):
    application = FundingApplicationFactory(state="lead_review")

    with django_capture_on_commit_callbacks(execute=True):
        _accept(application)

    assert FundingApplication.objects.get(pk=application.pk).status == "group_review"
    assert the_document(application, "acceptance").status == "pending"


# --- once per decision -----------------------------------------------------------------------


def test_a_task_that_runs_twice_stores_one_file(pending, private_storage):
    render_document_task.apply(args=(pending.pk,))
    render_document_task.apply(args=(pending.pk,))

    assert len(list(private_storage.rglob("*.pdf"))) == 1
    assert Document.objects.filter(audit_entry=pending.audit_entry).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_document_store_one_file(private_storage):
    application = FundingApplicationFactory(state="lead_review")
    # Committed for real, so that two threads with their own connections see it; the render
    # queued at commit runs eagerly here, so the race runs on a document set back to pending.
    _accept(application)
    document = the_document(application, "acceptance")
    Document.objects.filter(pk=document.pk).update(status="pending", sha256="", file="")
    for stored in private_storage.rglob("*.pdf"):
        stored.unlink()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(render_document(document.pk).sha256)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    stored = [path.name for path in private_storage.rglob("*.pdf")]
    assert stored == [_fresh(document).file.name.rsplit("/", 1)[1]]


# --- failures --------------------------------------------------------------------------------


def test_a_transient_failure_on_a_worker_asks_celery_to_retry_later(pending, renderer_down):
    # As a worker runs a task it received; the retry is published (here: run eagerly once).
    render_document_task.push_request(
        called_directly=False, is_eager=False, retries=0, id="t1", args=[pending.pk], kwargs={}
    )
    try:
        with pytest.raises(Retry) as retried:
            render_document_task.run(pending.pk)
    finally:
        render_document_task.pop_request()

    assert retried.value.when >= 5
    assert _fresh(pending).status == "pending"


def test_retries_back_off_exponentially_with_some_jitter():
    assert all(5 * 2**n <= backoff_seconds(n) <= 5 * 2**n * 1.25 for n in range(6))


def test_retries_wait_at_most_about_five_minutes():
    assert 300 <= backoff_seconds(20) <= 375


def test_a_document_failing_transiently_is_failed_after_the_last_attempt(
    pending, renderer_down, settings
):
    settings.DOCUMENT_RENDER_MAX_ATTEMPTS = 3
    outcomes = []
    for _ in range(5):
        try:
            render_document(pending.pk)
        except RenderError as error:
            outcomes.append(error.transient)

    document = _fresh(pending)
    assert outcomes == [True, True, False]
    assert (document.status, document.attempts) == ("failed", 3)
    assert "cannot start a document renderer" in document.last_error


def test_a_failure_that_will_not_go_away_fails_the_document_at_once(pending, monkeypatch):
    def broken(*args, **kwargs):
        raise RenderError("the document is nested too deeply to lay out", transient=False)

    monkeypatch.setattr(document_services, "render_pdf", broken)

    assert render_document_task.apply(args=(pending.pk,)).get() == "failed"
    assert (_fresh(pending).status, _fresh(pending).attempts) == ("failed", 1)


def test_a_redelivered_task_counts_as_an_attempt(pending, settings):
    settings.DOCUMENT_RENDER_MAX_ATTEMPTS = 2
    # Two deliveries whose worker died mid-render: each claimed an attempt, none finished.
    Document.objects.filter(pk=pending.pk).update(attempts=2)

    document = render_document(pending.pk)

    assert document.status == "failed"
    assert "gave up after 2 attempts" in document.last_error


def test_a_failed_render_leaves_the_decision_as_it_was(
    renderer_down, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_RENDER_MAX_ATTEMPTS = 1
    application = FundingApplicationFactory(state="lead_review")

    with django_capture_on_commit_callbacks(execute=True):
        _accept(application)

    assert FundingApplication.objects.get(pk=application.pk).status == "group_review"
    assert the_document(application, "acceptance").status == "failed"


# --- render_pending --------------------------------------------------------------------------


def test_render_pending_renders_what_is_pending(pending):
    call_command("render_pending", stdout=io.StringIO())

    assert _fresh(pending).status == "ready"


def test_render_pending_leaves_failed_documents_alone_without_the_flag(pending):
    Document.objects.filter(pk=pending.pk).update(status="failed", attempts=5)

    call_command("render_pending", stdout=io.StringIO())

    assert _fresh(pending).status == "failed"


def test_render_pending_with_failed_gives_failed_documents_a_new_round(pending):
    Document.objects.filter(pk=pending.pk).update(status="failed", attempts=5)

    call_command("render_pending", "--failed", stdout=io.StringIO())

    assert (_fresh(pending).status, _fresh(pending).attempts) == ("ready", 1)


def test_render_pending_skips_documents_younger_than_asked(pending):
    call_command("render_pending", "--older-than", "3600", stdout=io.StringIO())

    assert _fresh(pending).status == "pending"


# --- who sees the status ---------------------------------------------------------------------


def test_the_applicant_sees_a_pending_documents_status_on_the_application_page(client, pending):
    client.force_login(pending.application.created_by)

    page = client.get(reverse("application-detail", args=[pending.application_id]))

    assert f"{pending.number} · 生成中" in page.content.decode()


def test_the_applicant_gets_a_download_link_once_the_document_is_ready(
    client, django_capture_on_commit_callbacks
):
    application = accepted(django_capture_on_commit_callbacks)
    document = the_document(application, "acceptance")
    client.force_login(application.created_by)

    page = client.get(reverse("application-detail", args=[application.pk]))

    assert reverse("document-download", args=[document.pk]) in page.content.decode()


def test_administrators_see_each_documents_status_in_the_admin(admin_client, pending):
    page = admin_client.get(reverse("admin:documents_document_changelist"))

    assert pending.number in page.content.decode()
    assert "生成中" in page.content.decode()


def test_administrators_cannot_change_a_document_in_the_admin(admin_client, pending):
    url = reverse("admin:documents_document_change", args=[pending.pk])

    response = admin_client.post(url, {"number": "京科配〔2026〕999号"})

    assert response.status_code == 403
    assert _fresh(pending).number == pending.number


def test_the_minutes_are_downloadable_by_the_meeting_secretariat_only(
    client, django_capture_on_commit_callbacks
):
    from .issued import meeting_with_agenda, minutes_of, resolve

    meeting, secretary = meeting_with_agenda(1)
    items = resolve(django_capture_on_commit_callbacks, meeting, secretary, [("approve", "")])
    url = reverse("document-download", args=[minutes_of(meeting).pk])

    client.force_login(make_user("meeting_secretary"))
    by_secretariat = client.get(url).status_code
    client.force_login(items[0].application.created_by)
    by_applicant = client.get(url).status_code

    assert (by_secretariat, by_applicant) == (200, 404)
