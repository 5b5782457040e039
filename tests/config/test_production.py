"""Production serving: gunicorn serves the static files, rate limits hold across processes."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory

from documents import throttle

ROOT = Path(settings.BASE_DIR)


def _production_env(var_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_DEBUG", "DATABASE_URL", "REDIS_URL", "CACHE_URL")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "production-like-secret-key-for-this-test-0123456789abcdef",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_BEHIND_PROXY": "1",
            "APP_VAR_DIR": str(var_dir),
        }
    )
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_until_listening(server: subprocess.Popen, port: int) -> None:
    for _ in range(1200):
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {server.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start listening")


def test_gunicorn_serves_the_stylesheet_under_production_settings(tmp_path):
    env = _production_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter
        # --preload: the application is loaded before the port is bound, so a listening port
        # means a server ready to answer.
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--preload",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_listening(server, port)
        status, body = _get(port, "/static/site.css")
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert status == 200
    assert body == (ROOT / "static" / "site.css").read_bytes()


def _subprocess_database_env() -> dict[str, str]:
    """Environment that points another process at this test's database."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(db["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    return env


COUNT_IN_ANOTHER_PROCESS = """
import django
django.setup()
from django.test import RequestFactory
from documents import throttle
request = RequestFactory().get("/documents/verify/", REMOTE_ADDR="192.0.2.77")
print(sum(throttle.allow(request, scope="verify", limit=3) for _ in range(3)))
"""


@pytest.mark.django_db(transaction=True)
def test_the_public_verification_limit_counts_requests_of_every_process():
    other = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", COUNT_IN_ANOTHER_PROCESS],
        cwd=ROOT,
        env=_subprocess_database_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    request = RequestFactory().get("/documents/verify/", REMOTE_ADDR="192.0.2.77")

    allowed_here = throttle.allow(request, scope="verify", limit=3)

    assert other.stdout.strip() == "3"
    assert allowed_here is False


def test_the_cache_is_redis_when_redis_url_is_set(tmp_path):
    env = {**_production_env(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/3"}

    result = subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.CACHES['default'])"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert "RedisCache" in result.stdout
    assert "redis://127.0.0.1:6379/3" in result.stdout
