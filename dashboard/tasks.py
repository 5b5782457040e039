"""Celery tasks of the dashboard, where Celery's autodiscovery looks for them."""

from celery import shared_task

from .sections import warm_figures


@shared_task(name="dashboard.warm_figures")  # type: ignore[untyped-decorator]  # celery is untyped
def warm_figures_task() -> int:
    return warm_figures()
