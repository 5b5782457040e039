"""Set up Django against a throwaway benchmark database (SQLite file, or PostgreSQL from
BENCH_DATABASE_URL), migrated and loaded with the demo world."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/matching_funds_bench"


def setup(database: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghij")
    os.environ.setdefault("DOCUMENT_VERIFY_BASE_URL", "https://funds.example.invalid")
    os.environ["PRIVATE_STORAGE_ROOT"] = tempfile.mkdtemp(prefix="bench-private-")
    if database == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="bench-db-")) / "bench.sqlite3"
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(path)
    else:
        url = os.environ.get("BENCH_DATABASE_URL", PG_URL)
        _recreate_postgres(url)
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the dashboard keeps its figures there
    from demo.data import ensure_demo_data

    ensure_demo_data()


def _recreate_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def postgres_available() -> bool:
    try:
        import psycopg

        url = os.environ.get("BENCH_DATABASE_URL", PG_URL)
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=2):
            return True
    except Exception:
        return False


def run_on_each_database(run, script: str, argv: list[str]) -> None:
    """``script sqlite`` or ``script postgres`` runs ``run(database)`` here; without an
    argument the script runs itself once per database, each in a fresh process."""
    import subprocess

    targets = argv or ["sqlite", "postgres"]
    if len(targets) == 1:
        run(targets[0])
        return
    for database in targets:
        if database == "postgres" and not postgres_available():
            print("[postgres] not reachable; skipped")
            continue
        subprocess.run([sys.executable, script, database], check=True)  # noqa: S603
