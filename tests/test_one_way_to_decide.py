"""One way to decide: no URL that accepts POST and no management command records a decision
without its tier's rules.

Every decision of a tier leaves the tier's own record beside its audit entry: the lead
department's formal check list, the review group's recommendation (with the experts' scores
and the policy assessment), the joint meeting's resolved agenda item. A decision entry without
that record would be a decision taken around its tier's rules; these tests throw every POST
URL, with every kind of decision-looking payload, and every management command at requests in
each review state, as every reviewer, and then look for such an entry.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.test import Client
from django.urls import reverse

from approvals.models import AgendaItem, FormalCheck, GroupRecommendation, Meeting
from tests.factories import FundingApplicationFactory, claim_open_task
from tests.test_authorization_matrix import url_names
from workflows.models import AuditEntry
from workflows.review_path import DECISIONS, STEPS, Tier

pytestmark = pytest.mark.django_db

OUR_APPS = ("workflows", "approvals", "documents", "demo")
DECISION_PAYLOADS = [
    {
        "decision": decision,
        "amount": "8000000.00",
        "reason": "直接决定",
        "action": decision,
        **{f"passed_{item}": "yes" for item in ("attachments_complete", "amounts_consistent")},
        **{f"passed_{item}": "yes" for item in ("national_approval_present",)},
        **{f"passed_{item}": "yes" for item in ("special_project_covered",)},
    }
    for decision in ("accept", "recommend", "approve", "defer", "return", "reject")
]


def decisions_without_their_record() -> list[str]:
    """Every (application, tier) whose decisions on the audit trail outnumber the tier's own
    records of them: formal checks, group recommendations, resolved agenda items."""
    decided = {(s.transition, s.tier) for s in DECISIONS}
    entries = Counter(
        (application_id, tier)
        for application_id, transition, tier in AuditEntry.objects.values_list(
            "application_id", "transition", "tier"
        )
        if (transition, tier or None) in decided
    )
    records = Counter(
        [(pk, Tier.LEAD) for pk in FormalCheck.objects.values_list("application_id", flat=True)]
        + [
            (pk, Tier.GROUP)
            for pk in GroupRecommendation.objects.values_list("application_id", flat=True)
        ]
        + [
            (pk, Tier.MEETING)
            for pk in AgendaItem.objects.filter(
                meeting__state=Meeting.State.RESOLVED, resolution__gt=""
            ).values_list("application_id", flat=True)
        ]
    )
    return sorted(
        f"application {pk} at {tier}: {n} decisions, {records[(pk, tier)]} records"
        for (pk, tier), n in entries.items()
        if n > records[(pk, tier)]
    )


@pytest.fixture
def at_every_tier():
    """A request waiting at each tier, its task held by the reviewer who decides there."""
    return [
        claim_open_task(FundingApplicationFactory(state=state))
        for state in ("lead_review", "group_review", "meeting_review")
    ]


def _post_urls(application) -> list[str]:
    """Every URL of the URL conf that takes an application, aimed at ``application``; the
    generic action endpoint once for every step of the review path."""
    urls = []
    for name in url_names():
        if name == "application-act":
            actions = {s.transition for s in STEPS} | {"accept", "approve", "recommend", "return"}
            urls += [reverse(name, args=[application.pk, action]) for action in sorted(actions)]
        elif name in ("approvals:meeting", "approvals:build-agenda"):
            continue  # a meeting's pages decide only for the requests on its agenda
        else:
            try:
                urls.append(reverse(name, kwargs={"pk": application.pk}))
            except Exception:  # noqa: S112 - a URL without an application in it
                continue
    return urls


def test_no_url_that_accepts_post_records_a_decision_without_its_tiers_rules(at_every_tier):
    reviewers = {
        person
        for application in at_every_tier
        for person in (
            application.people.lead_officer,
            application.people.group_chair,
            application.people.secretary,
        )
    }
    for application in at_every_tier:
        for person in reviewers:
            client = Client(raise_request_exception=False)
            client.force_login(person)
            for url in _post_urls(application):
                # One payload for each action of the generic endpoint; every decision for the
                # pages that take one.
                for payload in DECISION_PAYLOADS[:1] if "/act/" in url else DECISION_PAYLOADS:
                    client.post(url, payload)

    assert decisions_without_their_record() == []


def test_the_generic_action_endpoint_takes_no_decision(client, at_every_tier):
    lead, group, meeting = at_every_tier
    pairs = [
        (lead, lead.people.lead_officer, "accept_for_review"),
        (group, group.people.group_chair, "recommend"),
        (meeting, meeting.people.secretary, "approve"),
    ]
    answers = set()
    for application, person, action in pairs:
        client.force_login(person)
        url = reverse("application-act", args=[application.pk, action])
        answers.add(client.post(url, {"amount": "8000000.00", "reason": "x"}).status_code)

    assert answers == {404}
    assert [a.status for a in at_every_tier] == [
        type(a).objects.get(pk=a.pk).status for a in at_every_tier
    ]


def _our_commands() -> list[str]:
    return sorted(name for name, app in get_commands().items() if app in OUR_APPS)


def test_the_demo_takes_every_decision_through_its_tiers_rules(tmp_path: Path, settings):
    settings.DEBUG = True  # the demonstration commands run only in development

    call_command("demo", "--out", str(tmp_path / "out"), "--count", "12", stdout=io.StringIO())

    assert AuditEntry.objects.filter(transition="approve").exists()
    assert decisions_without_their_record() == []


def test_no_other_management_command_records_a_decision_without_its_tiers_rules(
    at_every_tier, tmp_path: Path, settings
):
    settings.DEBUG = True
    arguments = {
        "load_policy": [str(tmp_path / "missing.yaml")],
        "simulate_policy": [str(tmp_path / "missing.yaml")],
        "verify_document": [str(tmp_path / "missing.pdf")],
        "make_demo_signing_cert": [str(tmp_path / "demo.p12")],
    }
    for name in _our_commands():
        if name == "demo":
            continue
        try:
            call_command(name, *arguments.get(name, []), stdout=io.StringIO(), stderr=io.StringIO())
        except (SystemExit, Exception):  # noqa: S112 - refusals are fine; decisions are not
            continue

    assert decisions_without_their_record() == []
