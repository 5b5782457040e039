"""The policy tests need no Django: they must also run with `-p no:django`."""

import pytest


@pytest.fixture(autouse=True)
def private_storage() -> None:
    """Overrides the suite-wide storage fixture, which needs pytest-django's `settings`: the
    policy module touches no storage, so there is nothing to isolate."""
