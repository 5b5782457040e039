"""Rendering off the request path, for real: a Celery worker on the local Redis renders the
documents of twenty decisions, exactly one each; and a render whose worker process is killed
midway is delivered again and stored once.

The worker is a separate process (``celery -A config worker``) pointed at the test database:
the test's SQLite file, or the test database on the same PostgreSQL server. The test's data
must be committed for the worker to see it, hence ``transaction=True``. Run by ``make
test-redis`` (``pytest -m redis``) and by ``.ci/run``; deselected from ``make test``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from documents.models import Document, DocumentStatus
from tests.factories import FundingApplicationFactory, formal_check

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
# A Redis database nothing else of the project uses, emptied before and after.
REDIS_URL = "redis://127.0.0.1:6379/13"
DECISIONS = 20
POLL_SECONDS = 0.2
TIMEOUT_SECONDS = 180


@pytest.fixture
def redis_broker():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def tasks_go_to_redis(redis_broker):
    """This process queues tasks on Redis instead of running them eagerly."""
    from config.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=redis_broker, task_always_eager=False)
    _forget_connections(app)
    yield
    _forget_connections(app)
    app.conf.update(saved)


def _forget_connections(app) -> None:
    """Close the broker connections and producers of this process, kombu's shared pools too
    (they are kept per broker address, so the next test would get the closed ones back)."""
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def _database_environment() -> dict[str, str]:
    """Where the worker finds the test database this process is using."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(database["NAME"]), "DATABASE_URL": ""}
    credentials = quote(database["USER"] or "")
    if database.get("PASSWORD"):
        credentials += ":" + quote(database["PASSWORD"])
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return {"DATABASE_URL": f"postgres://{credentials}@{host}/{database['NAME']}"}


def _start_worker(
    log_path: Path, redis_broker: str, private_storage: Path, *, app: str = "config", **env: str
) -> subprocess.Popen:
    """A Celery worker of ``app`` with two processes (``--concurrency``), sharing this test's
    database and storage."""
    environment = {
        **os.environ,
        **_database_environment(),
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "CELERY_BROKER_URL": redis_broker,
        "PRIVATE_STORAGE_ROOT": str(private_storage),
        **env,
    }
    if not environment["DATABASE_URL"]:
        del environment["DATABASE_URL"]
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603 -- our interpreter, fixed arguments
            [
                *(sys.executable, "-m", "celery", "-A", app, "worker"),
                *("--pool=prefork", "--concurrency=2", "--loglevel=INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("-n", f"documents-test-{uuid.uuid4().hex[:8]}@%h"),
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def celery_worker(transactional_db, redis_broker, private_storage, tmp_path):
    log_path = tmp_path / "worker.log"
    worker = _start_worker(log_path, redis_broker, private_storage)
    yield worker
    _stop(worker)
    print(log_path.read_text(errors="replace")[-4000:])  # shown when the test fails


@pytest.fixture
def stalling_worker(transactional_db, redis_broker, private_storage, tmp_path):
    """A worker whose renders wait while ``stall`` exists in the folder it is given
    (``tests/documents/stalling_worker.py``); yields the worker and that folder."""
    folder = tmp_path / "stall"
    folder.mkdir()
    (folder / "stall").touch()
    log_path = tmp_path / "worker.log"
    worker = _start_worker(
        log_path,
        redis_broker,
        private_storage,
        app="tests.documents.stalling_worker",
        RENDER_STALL_DIR=str(folder),
    )
    yield worker, folder
    _stop(worker)
    print(log_path.read_text(errors="replace")[-4000:])  # shown when the test fails


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _wait_until_ready(expected: int, worker: subprocess.Popen) -> int:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    ready = 0
    while time.monotonic() < deadline and worker.poll() is None:
        ready = Document.objects.filter(status=DocumentStatus.READY).count()
        if ready >= expected:
            return ready
        time.sleep(POLL_SECONDS)
    return ready


@pytest.fixture
def twenty_decisions(tasks_go_to_redis):
    """Twenty applications, each accepted for review by its lead department (one acceptance
    notice each), committed one by one."""
    applications = [FundingApplicationFactory(state="lead_review") for _ in range(DECISIONS)]
    for application in applications:
        formal_check(application, application.people, "accept")
    return applications


def test_a_celery_worker_on_redis_renders_one_document_for_each_of_twenty_decisions(
    twenty_decisions, celery_worker
):
    ready = _wait_until_ready(DECISIONS, celery_worker)

    documents = list(Document.objects.all())
    per_decision = Counter(document.audit_entry_id for document in documents)
    stored = {d.pk: hashlib.sha256(d.file.open("rb").read()).hexdigest() for d in documents}
    assert ready == DECISIONS
    assert (len(documents), set(per_decision.values())) == (DECISIONS, {1})
    assert all(stored[d.pk] == d.sha256 for d in documents)


def _wait_for_stalled_render(folder: Path, worker: subprocess.Popen) -> int:
    """The pid of the worker process that has started a render and now waits."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline and worker.poll() is None:
        marks = list(folder.glob("rendering-*"))
        if marks:
            return int(marks[0].name.removeprefix("rendering-"))
        time.sleep(POLL_SECONDS)
    raise AssertionError("no render started")


@pytest.fixture
def one_decision(tasks_go_to_redis):
    application = FundingApplicationFactory(state="lead_review")
    formal_check(application, application.people, "accept")
    return application


def test_a_render_whose_worker_process_is_killed_is_delivered_again_and_stored_once(
    one_decision, stalling_worker
):
    worker, folder = stalling_worker
    os.kill(_wait_for_stalled_render(folder, worker), signal.SIGKILL)
    (folder / "stall").unlink()

    ready = _wait_until_ready(1, worker)

    document = Document.objects.get()
    stored = hashlib.sha256(document.file.open("rb").read()).hexdigest()
    assert (ready, document.attempts, stored) == (1, 2, document.sha256)
