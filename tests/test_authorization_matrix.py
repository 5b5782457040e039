"""The authorization matrix: every URL of the URL conf, as every kind of user, by GET and by POST,
against the outcome the access policy and the decision path allow, in one table.

The world: one request at the review group with its attachment and acceptance document, its
experts in every standing (not yet declared, declared, conflicted, never asked), the officers of
its lead department and of another, the chair, the secretariat, an auditor, an administrator,
the applicant organisation's user and another organisation's, and a planned joint meeting.
Each request runs in a savepoint that is rolled back, so a POST that succeeds changes nothing
for the next cell.

A URL added to the URL conf without a row in ``MATRIX`` fails
``test_every_url_has_a_row_in_the_matrix``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from approvals import group_review, meetings
from approvals.models import CheckItem
from tests import files
from tests.factories import (
    DepartmentFactory,
    FundingApplicationFactory,
    make_user,
    perform,
)
from workflows import assignments, drafts
from workflows.models import AuditVerification

pytestmark = pytest.mark.django_db

# Outcomes, by status code.
OK = "ok"  # 2xx, or a redirect elsewhere than the login page
LOGIN = "login"  # a redirect to the login page
HIDDEN = "404"  # not found: the user may not know it exists
DENIED = "403"
REFUSED = "409"  # reached, but the request's status does not allow it (or 400: bad input)
METHOD = "405"

ROLES = (
    "anonymous",
    "applicant",
    "applicant_elsewhere",
    "officer",
    "officer_elsewhere",
    "chair",
    "expert_undeclared",
    "expert_declared",
    "expert_conflicted",
    "expert_unassigned",
    "secretary",
    "auditor",
    "administrator",
)
STAFF_READERS = ("auditor", "administrator")


@dataclass
class World:
    users: dict[str, Any]
    application: Any
    attachment: Any
    document: Any
    meeting: Any
    verification: Any


PDF = files.PDF


def build_world(django_capture_on_commit_callbacks: Callable[..., Any]) -> World:
    application = FundingApplicationFactory()
    people = application.people
    attachment = drafts.add_attachment(
        application_id=application.pk,
        actor=people.applicant,
        kind="national_approval",
        upload=SimpleUploadedFile("approval.pdf", PDF, content_type="application/pdf"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        for step in ("submit", "claim_lead", "accept"):
            perform(step, application, people)
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    undeclared, declared, conflicted = people.experts[:3]
    group_review.assign_experts(
        application_id=application.pk,
        actor=people.group_chair,
        expert_ids=[e.pk for e in (undeclared, declared, conflicted)],
    )
    group_review.declare_interest(application_id=application.pk, actor=declared, conflict=False)
    group_review.declare_interest(
        application_id=application.pk, actor=conflicted, conflict=True, reason="曾合作"
    )
    meeting = meetings.create_meeting(
        actor=people.secretary,
        call_id=application.call_id,
        held_on=timezone.localdate() + datetime.timedelta(days=7),
        place="市政府会议室",
        chair="主管副市长",
    )
    application.refresh_from_db()
    users = {
        "anonymous": None,
        "applicant": people.applicant,
        "applicant_elsewhere": FundingApplicationFactory().created_by,
        "officer": people.lead_officer,
        "officer_elsewhere": make_user("lead_officer", department=DepartmentFactory()),
        "chair": people.group_chair,
        "expert_undeclared": undeclared,
        "expert_declared": declared,
        "expert_conflicted": conflicted,
        "expert_unassigned": make_user("group_member"),
        "secretary": people.secretary,
        "auditor": make_user("auditor"),
        "administrator": make_user("administrator"),
    }
    document = application.documents.get(kind="acceptance")
    verification = AuditVerification.objects.create(started_by=users["auditor"])
    return World(users, application, attachment, document, meeting, verification)


# --- the table --------------------------------------------------------------------------------


def everyone(outcome: str, **exceptions: str) -> dict[str, str]:
    return {role: exceptions.get(role, outcome) for role in ROLES}


def signed_in(outcome: str, **exceptions: str) -> dict[str, str]:
    return everyone(outcome, anonymous=LOGIN, **exceptions)


# Who sees the request at the review group: its applicant, its lead department, the chair, the
# expert who declared no conflict, auditors and administrators.
SEES_REQUEST = ("applicant", "officer", "chair", "expert_declared", *STAFF_READERS)


def request_page(seen: str, **exceptions: str) -> dict[str, str]:
    """A page of the request: ``seen`` for those who see it, hidden from everybody else."""
    return signed_in(HIDDEN, **{**dict.fromkeys(SEES_REQUEST, seen), **exceptions})


# Pages for the auditors and administrators only, and for the reviewers only (every officer
# and expert, the chair, the secretariat), whoever the request is.
AUDITORS = signed_in(DENIED, auditor=OK, administrator=OK)
REVIEWERS = signed_in(
    DENIED,
    **{
        role: OK
        for role in ROLES
        if role.startswith(("officer", "expert")) or role in ("chair", "secretary")
    },
)

STATISTICS = signed_in(
    DENIED, officer=OK, officer_elsewhere=OK, secretary=OK, auditor=OK, administrator=OK
)


def _check_items() -> dict[str, str]:
    return {f"passed_{item}": "yes" for item in CheckItem.values}


# Who has work after the approval: the secretariat, the lead departments, the applicants.
AWARD_WORKERS = ("applicant", "applicant_elsewhere", "officer", "officer_elsewhere", "secretary")


@dataclass(frozen=True)
class Row:
    kwargs: Callable[[World], dict[str, Any]]
    get: dict[str, str]
    post: dict[str, str]
    data: Callable[[World], dict[str, Any]] = lambda world: {}


def _app(world: World) -> dict[str, Any]:
    return {"pk": world.application.pk}


MATRIX: dict[str, Row] = {
    # Public: the login and password pages, the language switch, document verification.
    "login": Row(lambda w: {}, everyone(OK), everyone(OK)),
    "logout": Row(lambda w: {}, everyone(METHOD), everyone(LOGIN)),
    "password_change": Row(lambda w: {}, signed_in(OK), signed_in(OK)),
    "password_change_done": Row(lambda w: {}, signed_in(OK), signed_in(METHOD)),
    "password_reset": Row(lambda w: {}, everyone(OK), everyone(OK)),
    "password_reset_done": Row(lambda w: {}, everyone(OK), everyone(METHOD)),
    "password_reset_confirm": Row(
        lambda w: {"uidb64": "MQ", "token": "set-password"}, everyone(OK), everyone(OK)
    ),
    "password_reset_complete": Row(lambda w: {}, everyone(OK), everyone(METHOD)),
    "set_language": Row(lambda w: {}, everyone(OK), everyone(OK), lambda w: {"language": "en"}),
    "document-verify": Row(lambda w: {}, everyone(OK), everyone(OK)),
    "document-download": Row(lambda w: {"pk": w.document.pk}, request_page(OK), request_page(OK)),
    # The list of documents: everybody signed in, each seeing only what they may read.
    "documents": Row(lambda w: {}, signed_in(OK), signed_in(METHOD)),
    "documents-export": Row(lambda w: {}, signed_in(OK), signed_in(METHOD)),
    # Signing in with a second factor (off in the tests' settings), and the access log.
    "second-factor": Row(lambda w: {}, signed_in(OK), signed_in(OK)),
    "second-factor-setup": Row(lambda w: {}, signed_in(OK), signed_in(OK)),
    "second-factor-backup-codes": Row(lambda w: {}, signed_in(OK), signed_in(OK)),
    "access-log": Row(
        lambda w: {},
        AUDITORS,
        AUDITORS,
    ),
    "access-log-export": Row(
        lambda w: {},
        AUDITORS,
        AUDITORS,
    ),
    # The back office's configuration log.
    "config-log": Row(lambda w: {}, AUDITORS, AUDITORS),
    # Organisations register themselves (public); administrators decide; an organisation's
    # administrator (nobody in this world) manages its staff.
    "organisation-register": Row(lambda w: {}, everyone(OK), everyone(OK)),
    "registrations": Row(
        lambda w: {}, signed_in(DENIED, administrator=OK), signed_in(DENIED, administrator=OK)
    ),
    "organisation-staff": Row(lambda w: {}, signed_in(DENIED), signed_in(DENIED)),
    "organisation-staff-remove": Row(
        lambda w: {"pk": w.users["applicant"].pk}, signed_in(METHOD), signed_in(DENIED)
    ),
    # Heads name their acting heads (the chair heads the group; the others here are no heads).
    "acting-heads": Row(
        lambda w: {}, signed_in(DENIED, chair=OK), signed_in(DENIED, chair=OK), lambda w: {}
    ),
    # Only a head ends a period they named (nobody here named one: the chair is refused).
    "acting-head-end": Row(lambda w: {"pk": 1}, signed_in(METHOD), signed_in(DENIED, chair=OK)),
    "backoffice-policies": Row(
        lambda w: {},
        signed_in(DENIED, administrator=OK),
        signed_in(DENIED, administrator=OK),
        lambda w: {"text": "name: x"},
    ),
    # The reviewers' queue.
    "approvals:queue": Row(lambda w: {}, REVIEWERS, REVIEWERS),
    "approvals:queue-export": Row(lambda w: {}, REVIEWERS, signed_in(METHOD)),
    # Tier 1 at the wrong time (the request is with the group): the officer is refused by the
    # status, everybody else never reaches the decision.
    "approvals:formal-check": Row(
        _app,
        request_page(OK),
        request_page(DENIED, officer=REFUSED),
        lambda w: {"decision": "accept", "reason": "齐全", **_check_items()},
    ),
    # Tier 2: only the chair holding the assignment task assigns experts.
    "approvals:assign-experts": Row(
        _app,
        request_page(OK),
        request_page(DENIED, chair=REFUSED),
        lambda w: {"experts": [w.users["expert_unassigned"].pk]},
    ),
    # The expert pool: whoever sees experts' identities reads it; only the chair draws.
    "approvals:expert-pool": Row(
        _app,
        request_page(DENIED, chair=OK, auditor=OK, administrator=OK),
        request_page(DENIED, chair=REFUSED),
    ),
    "approvals:declaration": Row(
        _app,
        request_page(OK, expert_undeclared=OK),
        request_page(DENIED, expert_undeclared=OK, expert_declared=REFUSED),
        lambda w: {"conflict": "no", "reason": ""},
    ),
    "approvals:scores": Row(
        _app,
        request_page(OK),
        request_page(DENIED, expert_declared=OK),
        lambda w: {
            **{f"score_{c}": "80" for c in ("district_fit", "market_prospects")},
            **{f"score_{c}": "80" for c in ("feasibility", "highlights")},
            **{
                f"comment_{c}": "论证充分"
                for c in ("district_fit", "market_prospects", "feasibility", "highlights")
            },
        },
    ),
    "approvals:replace-expert": Row(
        _app,
        request_page(OK),
        request_page(DENIED, chair=OK),
        lambda w: {"expert": w.users["expert_unassigned"].pk},
    ),
    "approvals:recommendation": Row(
        _app,
        request_page(OK),
        request_page(DENIED, chair=REFUSED),
        lambda w: {"decision": "recommend", "amount": "1000000", "reason": "建议支持"},
    ),
    # Tier 3: the meetings are the secretariat's; auditors and administrators read them.
    "approvals:meetings": Row(
        lambda w: {},
        signed_in(DENIED, secretary=OK, auditor=OK, administrator=OK),
        signed_in(DENIED, secretary=OK, auditor=DENIED, administrator=DENIED),
        lambda w: {
            "call": w.application.call_id,
            "held_on": timezone.localdate().isoformat(),
            "place": "会议室",
            "chair": "主持人",
        },
    ),
    "approvals:meetings-export": Row(
        lambda w: {},
        signed_in(DENIED, secretary=OK, auditor=OK, administrator=OK),
        signed_in(METHOD),
    ),
    "approvals:meeting": Row(
        lambda w: {"pk": w.meeting.pk},
        signed_in(DENIED, secretary=OK, auditor=OK, administrator=OK),
        signed_in(DENIED, secretary=OK),
        lambda w: {"csrfmiddlewaretoken": "unused"},
    ),
    # The secretariat changes a planned meeting's kind, date, place and people.
    "approvals:meeting-details": Row(
        lambda w: {"pk": w.meeting.pk},
        signed_in(METHOD),
        signed_in(DENIED, secretary=OK),
        lambda w: {
            "kind": "plenary",
            "held_on": w.meeting.held_on.isoformat(),
            "place": "市政府会议室",
            "chair": "主管副市长",
        },
    ),
    "approvals:build-agenda": Row(
        lambda w: {"pk": w.meeting.pk},
        signed_in(METHOD),
        signed_in(DENIED, secretary=OK),
    ),
    # The requests' own pages.
    "home": Row(lambda w: {}, signed_in(OK), signed_in(OK)),
    # Every list exports what its reader sees (the access policy's list, filtered).
    "applications-export": Row(lambda w: {}, signed_in(OK), signed_in(METHOD)),
    "audit-export": Row(lambda w: {}, AUDITORS, signed_in(METHOD)),
    # The dashboard: the programme office, the secretariat, auditors, and lead departments
    # (over their own special projects).
    "dashboard": Row(lambda w: {}, STATISTICS, signed_in(METHOD)),
    "dashboard-export": Row(
        lambda w: {"section": "pipeline", "table": "by_status"},
        STATISTICS,
        signed_in(METHOD),
    ),
    "application-create": Row(
        lambda w: {},
        signed_in(DENIED, applicant=OK, applicant_elsewhere=OK),
        signed_in(DENIED, applicant=OK, applicant_elsewhere=OK),
    ),
    "application-detail": Row(
        _app, request_page(OK, expert_undeclared=OK), request_page(OK, expert_undeclared=OK)
    ),
    "application-edit": Row(
        _app,
        request_page(DENIED, applicant=REFUSED),
        request_page(DENIED, applicant=REFUSED),
        lambda w: {"title": "改过的名称"},
    ),
    # Claiming: the chair holds the group's task already; nobody else may take it.
    "application-act": Row(
        lambda w: {"pk": w.application.pk, "action": "claim"},
        signed_in(METHOD),
        request_page(DENIED, officer=REFUSED, chair=REFUSED),
    ),
    "attachment-upload": Row(
        _app,
        signed_in(METHOD),
        request_page(DENIED, applicant=REFUSED),
        lambda w: {
            "kind": "other",
            "file": SimpleUploadedFile("more.pdf", PDF, content_type="application/pdf"),
        },
    ),
    "attachment-download": Row(
        lambda w: {"pk": w.application.pk, "attachment_pk": w.attachment.pk},
        request_page(OK),
        request_page(OK),
    ),
    # Only a tier's head reassigns (the chair heads the group; task 0 is no open task).
    "application-reassign": Row(
        _app,
        signed_in(METHOD),
        request_page(DENIED, chair=REFUSED),
        lambda w: {"task": "0", "to_user": str(w.users["officer"].pk)},
    ),
    "audit-verification-start": Row(
        lambda w: {},
        signed_in(METHOD),
        AUDITORS,
    ),
    "audit-verification": Row(
        lambda w: {"pk": w.verification.pk},
        AUDITORS,
        AUDITORS,
    ),
    # Each user's own notifications.
    "notices": Row(lambda w: {}, signed_in(OK), signed_in(METHOD)),
    "audit-trail": Row(
        lambda w: {},
        AUDITORS,
        AUDITORS,
    ),
    # After the approval (the request here is still with the review group). The public notice
    # is anybody's; the objection form answers only for a request in notice.
    "awards:notices": Row(lambda w: {}, everyone(OK), everyone(METHOD)),
    "awards:objection-form": Row(
        _app,
        everyone(HIDDEN),
        everyone(HIDDEN),
        lambda w: {"name": "张三", "contact": "1", "grounds": "理由"},
    ),
    "awards:queue": Row(
        lambda w: {},
        signed_in(DENIED, **dict.fromkeys(AWARD_WORKERS, OK)),
        signed_in(METHOD),
    ),
    # The secretariat reads the objections (auditors and administrators too) and acts on them.
    "awards:notice": Row(
        _app,
        request_page(DENIED, auditor=OK, administrator=OK),
        request_page(DENIED),
        lambda w: {"action": "open"},
    ),
    "awards:objection": Row(
        lambda w: {"pk": 1},
        signed_in(DENIED, secretary=HIDDEN, auditor=HIDDEN, administrator=HIDDEN),
        signed_in(DENIED, secretary=HIDDEN, auditor=HIDDEN, administrator=HIDDEN),
        lambda w: {"decision": "dismiss", "resolution": "不成立"},
    ),
    "awards:objection-attachment": Row(
        lambda w: {"pk": 1},
        signed_in(DENIED, secretary=HIDDEN, auditor=HIDDEN, administrator=HIDDEN),
        signed_in(METHOD),
    ),
    # The agreement follows the request; only its own people act, and not before it is final.
    "awards:agreement": Row(
        _app,
        request_page(OK),
        request_page(DENIED, applicant=REFUSED),
        lambda w: {"action": "confirm"},
    ),
    "awards:amendment-propose": Row(
        _app,
        signed_in(METHOD),
        request_page(DENIED, officer=REFUSED),
        lambda w: {"summary": "延后节点", "milestones": ""},
    ),
    "awards:equity": Row(
        _app,
        request_page(OK),
        request_page(DENIED, officer=REFUSED),
        lambda w: {
            "investing_body": "基金",
            "amount": "100",
            "share": "1",
            "valuation": "1000",
            "invested_on": "2026-12-01",
        },
    ),
    "awards:amendment-approve": Row(lambda w: {"pk": 1}, signed_in(METHOD), signed_in(HIDDEN)),
    "awards:tranche-release": Row(lambda w: {"pk": 1}, signed_in(METHOD), signed_in(HIDDEN)),
    # After the approval (the outcomes app), asked of a request still at the review group: its
    # readers see the pages; only the one who may take a step reaches it, and the status
    # refuses it.
    "outcomes:reports": Row(_app, request_page(OK), request_page(METHOD)),
    "outcomes:report": Row(
        lambda w: {"pk": w.application.pk, "index": 1},
        request_page(OK),
        request_page(DENIED, applicant=REFUSED),
        lambda w: {
            "form": "submit",
            "sales_revenue": "1000000.00",
            "of_which_industrial": "0",
            "patents_filed": "1",
            "patents_granted": "0",
            "jobs": "2",
            "district": "haidian",
        },
    ),
    "outcomes:acceptance": Row(
        _app,
        request_page(OK),
        request_page(DENIED, applicant=REFUSED),
        lambda w: {"form": "request", "summary": "任务完成"},
    ),
    "outcomes:recovery": Row(
        _app,
        request_page(OK),
        request_page(DENIED, officer=REFUSED),
        lambda w: {"form": "abandon", "reason": "企业终止"},
    ),
    "application-detail-by-process": Row(
        lambda w: {"process_pk": w.application.review_process_id},
        request_page(OK, expert_undeclared=OK),
        request_page(OK, expert_undeclared=OK),
    ),
}


# --- running it -------------------------------------------------------------------------------


def url_names() -> list[str]:
    """Every named URL of the URL conf, except Django's own admin site."""

    def walk(patterns: list[Any], namespace: str | None) -> list[str]:
        names = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                names += walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)
        return names

    return walk(get_resolver().url_patterns, None)


def outcome(response: Any) -> str:
    code = response.status_code
    if code in (301, 302, 303):
        return LOGIN if reverse("login") in response["Location"] else OK
    if code < 300:
        return OK
    if code in (400, 409):
        return REFUSED
    return str(code)


def response_as(world: World, role: str, url: str, data: dict[str, Any] | None = None) -> Any:
    """The response to a GET (or, with ``data``, a POST) of ``url`` as ``role``, in a savepoint
    rolled back afterwards."""
    client = Client(raise_request_exception=False)
    with transaction.atomic():
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        response = client.get(url) if data is None else client.post(url, data)
        transaction.set_rollback(True)
    return response


def answer(world: World, name: str, method: str, role: str) -> str:
    row = MATRIX[name]
    url = reverse(name, kwargs=row.kwargs(world))
    return outcome(response_as(world, role, url, None if method == "GET" else row.data(world)))


def test_every_url_has_a_row_in_the_matrix():
    assert sorted(set(url_names()) - set(MATRIX)) == []


def test_every_url_answers_every_role_as_the_matrix_says(django_capture_on_commit_callbacks):
    world = build_world(django_capture_on_commit_callbacks)
    wrong = [
        f"{method} {name} as {role}: got {got}, expected {expected}"
        for name, row in MATRIX.items()
        for method, expected_by_role in (("GET", row.get), ("POST", row.post))
        for role, expected in expected_by_role.items()
        if (got := answer(world, name, method, role)) != expected
    ]
    assert not wrong, "\n".join(wrong)


# --- the back office --------------------------------------------------------------------------
# Django's admin site is the back office (``backoffice.site``): every list of the programme's own
# (its pages derive from ``backoffice.admin_base.ReadableAdmin``) is read by the auditors and the
# administrators and refused to everyone else; an anonymous visitor is sent to its sign-in page.


def back_office_lists() -> list[str]:
    from django.contrib import admin

    from backoffice.admin_base import ReadableAdmin

    return [
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model, page in admin.site._registry.items()
        if isinstance(page, ReadableAdmin)
    ]


def test_the_back_office_has_lists_of_the_programmes_own():
    assert len(back_office_lists()) >= 10


def back_office_answer(world: World, url: str, role: str) -> str:
    response = response_as(world, role, url)
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return LOGIN
    return outcome(response)


def test_every_back_office_list_answers_every_role_as_the_access_policy_says(
    django_capture_on_commit_callbacks,
):
    world = build_world(django_capture_on_commit_callbacks)
    expected = everyone(DENIED, anonymous=LOGIN, auditor=OK, administrator=OK)
    wrong = [
        f"GET {name} as {role}: got {got}, expected {expected[role]}"
        for name in back_office_lists()
        for role in ROLES
        if (got := back_office_answer(world, reverse(name), role)) != expected[role]
    ]
    assert not wrong, "\n".join(wrong)
