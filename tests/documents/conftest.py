import socket
from collections.abc import Iterator

import pytest

from .hostile import Listener


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A loopback port that counts connection attempts (none may come from a render)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield Listener(server)
