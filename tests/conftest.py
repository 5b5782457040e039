import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Chinese): a page asked for in English leaves
    English active in the thread that served it, as LocaleMiddleware does."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def private_storage(tmp_path, settings):
    """Uploaded and issued files go to a fresh folder per test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    return tmp_path / "private"


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        default="test-results/screenshots",
        help="where the browser journeys save a screenshot of each step (not committed)",
    )


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` run only when DATABASE_URL names PostgreSQL; elsewhere they are
    deselected (and .ci/run runs the suite on PostgreSQL too)."""
    import os

    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
