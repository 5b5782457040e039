"""What the stages after the approval add to the application pages, through
``workflows.pages``: the notice and its objections, the agreement, the tranches and the equity
holding, each with the action its viewer may take, and the applicant's timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from workflows.models import FundingApplication

if TYPE_CHECKING:
    from django.utils.safestring import SafeString


def application_fragments(
    request: HttpRequest, application: FundingApplication, page: str
) -> dict[str, SafeString]:
    return {}
