"""Hostile applicant text for rendering tests, and a loopback listener that proves no
connection was made while a document rendered (the ``listener`` fixture, in conftest)."""

from __future__ import annotations

import socket


class Listener:
    """A TCP port on 127.0.0.1 that counts the connections made to it."""

    def __init__(self, server: socket.socket) -> None:
        self.server = server
        self.port = server.getsockname()[1]

    def connections(self) -> int:
        # A connect() completes in the kernel before it returns, so any attempt made during the
        # render is already waiting in the backlog.
        count = 0
        while True:
            try:
                connection, _ = self.server.accept()
            except BlockingIOError:
                return count
            connection.close()
            count += 1


def hostile_vectors(port: int) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    return {
        "img-file": "<img src=file:///etc/passwd>",
        "link-attachment-file": "<link rel=attachment href=file:///etc/passwd>",
        "link-stylesheet-http": f"<link rel=stylesheet href={base}/x.css>",
        "style-attribute-url": f'<p style="background: url({base}/bg.png)">x</p>',
        "iframe": f"<iframe src={base}/frame></iframe>",
        "object": f"<object data={base}/object.svg></object>",
        "svg-image": f'<svg><image href="{base}/image.png" width="9" height="9"/></svg>',
        "style-import": f"<style>@import url({base}/import.css);</style>",
        "font-face": f"<style>@font-face {{ font-family: x; src: url({base}/f.woff) }}</style>",
        "svg-data-uri-image": (
            '<img src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22>'
            f'<image href=%22{base}/nested.png%22 width=%229%22 height=%229%22/></svg>">'
        ),
    }
