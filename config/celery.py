"""Celery application: rendering and notifications off the request path when a broker is set.

Without ``CELERY_BROKER_URL`` the embedded default runs every task eagerly, in process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("matching_funds")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
