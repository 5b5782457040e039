"""A Celery application for ``test_celery_worker``: the project's own, with one difference in
its worker processes. While the file ``$RENDER_STALL_DIR/stall`` exists, a render stops before
WeasyPrint runs, leaves ``rendering-<pid>`` beside it and waits, so that the test can kill the
process in the middle of a render. Nothing else imports this module.
"""

import os
import time
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init

from config.celery import app

__all__ = ["app"]


@worker_process_init.connect
def _stall_renders(**kwargs: Any) -> None:
    from documents import services

    render_pdf = services.render_pdf
    folder = Path(os.environ["RENDER_STALL_DIR"])

    def stalling_render_pdf(*args: Any, **kwargs: Any) -> bytes:
        if (folder / "stall").exists():
            (folder / f"rendering-{os.getpid()}").touch()
            while (folder / "stall").exists():
                time.sleep(0.05)
        return render_pdf(*args, **kwargs)

    services.render_pdf = stalling_render_pdf
