"""Each role's main journey in headless Chromium, in Chinese and in English, at 1440 px and at
390 px: through the pages' own forms, a screenshot of every step under the run's output folder
(``--screenshots``, by default ``test-results/screenshots/``), and axe-core on every page — no
serious or critical violation — with no page scrolling sideways.

Run by ``make test-browser`` (``pytest -m browser``); deselected from ``make test``.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import CheckItem
from tests.browser_harness import VIEWS, Visitor, chromium, problems
from tests.factories import (
    FundingApplicationFactory,
    assign_experts,
    make_user,
    score_by_experts,
)
from workflows.models import FundingApplication
from workflows.review_path import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def driver():
    browser = chromium()
    yield browser
    browser.quit()


@pytest.fixture(params=VIEWS, ids=[f"{lang}-{width}px" for lang, width in VIEWS])
def view(request):
    return request.param


@pytest.fixture
def visit(driver, live_server, view, request):
    language, width = view
    folder = Path(request.config.getoption("--screenshots")) / request.node.name

    def as_user(user) -> Visitor:
        return Visitor(driver, live_server, user, language=language, width=width, shots=folder)

    return as_user


def _status(application) -> str:
    return FundingApplication.objects.get(pk=application.pk).status


def _fields(call, project) -> dict[str, str]:
    start = timezone.localdate()
    return {
        "call": call.pk,
        "special_project": project.pk,
        "national_task_code": "2026ZX03099",
        "title": "极大规模集成电路制造装备验证",
        "national_approval_number": "国科发专〔2026〕21号",
        "national_funding": "20000000.00",
        "own_funds": "10000000.00",
        "other_local_funds": "0",
        "requested_amount": "8000000.00",
        "funding_form": "grant",
        "landing_district": "haidian",
        "period_start": start.isoformat(),
        "period_end": (start + datetime.timedelta(days=900)).isoformat(),
        "expected_sales_revenue": "50000000",
        "expected_patents": "12",
        "expected_jobs": "80",
    }


def test_the_applicant_files_a_request_submits_it_and_revises_a_returned_one(visit, view):
    language = view[0]
    returned = FundingApplicationFactory(returned=True)
    people = returned.people
    checks = []

    with visit(people.applicant) as applicant:
        checks.append(applicant.step("home"))
        applicant.follow(f"//a[@href='{reverse('application-create')}']")
        applicant.fill(**_fields(returned.call, returned.special_project))
        checks.append(applicant.step("new request"))
        applicant.submit("//main//form[contains(@class, 'grid')]")
        created = FundingApplication.objects.get(national_task_code="2026ZX03099")
        checks.append(applicant.step("draft saved"))
        applicant.submit("//form[contains(@action, '/act/submit/')]")
        lead = returned.special_project.lead_department
        lead_name = lead.name_en if language == "en" and lead.name_en else lead.name
        applicant.element(f"//p[contains(@class, 'flash') and contains(., '{lead_name}')]")
        checks.append(applicant.step("submitted"))

        applicant.open(reverse("application-detail", args=[returned.pk]))
        applicant.element("//section[contains(@class, 'banner')]//li")
        checks.append(applicant.step("returned request"))
        applicant.open(reverse("application-edit", args=[returned.pk]))
        applicant.fill(title="高端通用芯片研发与产业化（修改稿）")
        checks.append(applicant.step("edit the returned request"))
        applicant.submit(
            "//main//form[contains(@class, 'grid')]"
        )  # the dates as the form shows them
        checks.append(applicant.step("revision saved"))
        applicant.submit("//form[contains(@action, '/act/resubmit/')]")
        checks.append(applicant.step("resubmitted"))
        applicant.open(reverse("notices"))
        checks.append(applicant.step("notices"))

    revised = FundingApplication.objects.get(pk=returned.pk)
    assert _status(created) == Status.SUBMITTED
    assert (revised.status, revised.period_start, revised.period_end) == (
        Status.LEAD_REVIEW,
        returned.period_start,
        returned.period_end,
    )
    assert problems(checks) == []


def test_the_lead_officer_receives_a_request_and_accepts_it_item_by_item(visit):
    submitted = FundingApplicationFactory(at_submitted=True)
    checks = []

    with visit(submitted.people.lead_officer) as officer:
        officer.follow(f"//nav[@class='main-nav']//a[@href='{reverse('approvals:queue')}']")
        checks.append(officer.step("queue"))
        officer.open(reverse("application-detail", args=[submitted.pk]))
        checks.append(officer.step("request"))
        officer.submit("//form[contains(@action, '/act/claim/')]")
        for item in CheckItem.values:
            officer.choose(f"passed_{item}", "yes")
        officer.choose("decision", "accept")
        checks.append(officer.step("formal check"))
        officer.submit("//form[contains(@action, '/formal-check/')]")
        checks.append(officer.step("accepted"))

    assert _status(submitted) == Status.GROUP_REVIEW
    assert problems(checks) == []


def test_the_expert_declares_no_conflict_and_scores(visit):
    application = FundingApplicationFactory(at_group_review=True)
    people = application.people
    assign_experts(application)
    checks = []

    with visit(people.experts[0]) as expert:
        expert.open(reverse("application-detail", args=[application.pk]))
        checks.append(expert.step("declaration"))
        expert.choose("conflict", "no")
        expert.submit("//form[contains(@action, '/declaration/')]")
        names = [e.get_attribute("name") for e in expert.elements("//input[@type='number']")]
        for name in names:
            expert.fill(**{name: "85", name.replace("score_", "comment_"): "论证充分"})
        checks.append(expert.step("scores"))
        expert.submit("//form[contains(@action, '/scores/')]")
        checks.append(expert.step("scored"))

    assert application.expert_assignments.get(expert=people.experts[0]).state == "scored"
    assert problems(checks) == []


def test_the_chair_reads_the_scores_and_recommends(visit):
    application = FundingApplicationFactory(at_group_review=True)
    people = application.people
    score_by_experts(application, people)
    checks = []

    with visit(people.group_chair) as chair:
        chair.open(reverse("application-detail", args=[application.pk]))
        checks.append(chair.step("group review"))
        chair.submit("//form[contains(@action, '/act/claim/')]")
        chair.choose("decision", "recommend")
        chair.fill(amount="90000000", reason="评分较高，建议支持")
        chair.submit("//form[contains(@action, '/recommendation/')]")
        chair.element("//div[@class='error-summary']")
        checks.append(chair.step("amount refused"))
        chair.choose("decision", "recommend")
        chair.fill(amount="6000000.00")
        chair.submit("//form[contains(@action, '/recommendation/')]")
        checks.append(chair.step("recommended"))

    assert _status(application) == Status.MEETING_REVIEW
    assert problems(checks) == []


def test_the_secretary_holds_a_meeting_and_approves_its_agenda_as_recommended(visit, view):
    waiting = [FundingApplicationFactory(at_meeting_review=True) for _ in range(1)]
    call = waiting[0].call
    secretary = waiting[0].people.secretary
    deferred = FundingApplicationFactory(deferred=True, call=call)
    checks = []

    with visit(secretary) as person:
        person.follow(f"//nav[@class='main-nav']//a[@href='{reverse('approvals:meetings')}']")
        person.fill(
            within="//main//form[contains(@class, 'grid')]",  # not the list's filter
            call=call.pk,
            held_on=timezone.localdate().isoformat(),
            place="市政府第一会议室",
            chair="分管副市长",
        )
        checks.append(person.step("meetings"))
        person.submit("//main//form[contains(@class, 'grid')]")
        person.submit("//form[contains(@action, '/agenda/')]")
        person.element("//ul[@class='deferrals']")
        checks.append(person.step("agenda"))
        person.tick("//form[contains(@class, 'batch')]//input[@name='confirm']")
        person.submit("//form[contains(@class, 'batch')]", button="as_recommended")
        checks.append(person.step("resolved"))

    assert [_status(a) for a in (*waiting, deferred)] == [Status.APPROVED] * 2
    assert problems(checks) == []


def test_the_auditor_reaches_the_meetings_the_audit_trail_and_a_request(visit):
    application = FundingApplicationFactory(approved=True)
    meeting = application.agenda_items.get().meeting
    checks = []

    with visit(make_user("auditor")) as auditor:
        checks.append(auditor.step("home"))
        auditor.follow(f"//nav[@class='main-nav']//a[@href='{reverse('audit-trail')}']")
        checks.append(auditor.step("audit trail"))
        auditor.follow(f"//nav[@class='main-nav']//a[@href='{reverse('approvals:meetings')}']")
        checks.append(auditor.step("meetings"))
        auditor.open(reverse("approvals:meeting", args=[meeting.pk]))
        checks.append(auditor.step("meeting"))
        auditor.open(reverse("application-detail", args=[application.pk]))
        auditor.element("//ol[@class='tracker']")
        checks.append(auditor.step("approved request"))

    assert problems(checks) == []
