"""A stand-in for the funding agreement until it is built: takes an approved request straight
to ``in_execution``, as signing the agreement (任务书) will.

Only for the test suite and the demonstration (it refuses unless ``settings.DEBUG`` or
``settings.OUTCOMES_INTERIM_EXECUTION`` is set): the agreement's public services replace it
when the post-award stages are merged, and the tests' ``factories.in_execution`` and the demo
then call those instead. It writes the audit entry a signed agreement leaves
(``start_execution``), so the request's history stays verifiable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from workflows.audit import record_transition
from workflows.errors import TransitionConflict
from workflows.models import FundingApplication, Status

if TYPE_CHECKING:
    from workflows.actors import Actor


def start_execution_without_agreement(*, application_id: int, actor: Actor) -> FundingApplication:
    if not (settings.DEBUG or getattr(settings, "OUTCOMES_INTERIM_EXECUTION", False)):
        raise RuntimeError("start_execution_without_agreement is for tests and the demo only")
    with transaction.atomic():
        rows = FundingApplication.objects.select_for_update().filter(
            pk=application_id, status=Status.APPROVED
        )
        if not rows.update(status=Status.IN_EXECUTION):
            raise TransitionConflict()
        application: FundingApplication = FundingApplication.objects.get(pk=application_id)
        record_transition(application, actor=actor, name="start_execution", source=Status.APPROVED)
    return application
