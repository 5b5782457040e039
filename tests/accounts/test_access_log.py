"""The access log records logins, failures, lockouts, rights changes and staff reads, and
auditors read it by person, request and period, and export it."""

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent, AccessKind
from tests.factories import (
    DepartmentFactory,
    FundingApplicationFactory,
    OrganisationFactory,
    make_user,
    perform,
)
from workflows.models import AppendOnlyError, Attachment

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
ADDRESS = "198.51.100.23"


def _kinds(**filters) -> list[str]:
    return list(AccessEvent.objects.filter(**filters).values_list("kind", flat=True))


@pytest.fixture
def officer():
    user = make_user("lead_officer", department=DepartmentFactory())
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def auditor_client():
    client = Client()
    client.force_login(make_user("auditor", username="auditor-a"))
    return client


def _login(client, user, password=PASSWORD):
    return client.post(
        reverse("login"), {"username": user.username, "password": password}, REMOTE_ADDR=ADDRESS
    )


def test_a_login_is_recorded_with_the_person_and_address(officer):
    _login(Client(), officer)

    event = AccessEvent.objects.get(kind=AccessKind.LOGIN)
    assert (event.user_id, event.username, event.address) == (officer.pk, officer.username, ADDRESS)


def test_a_failed_login_is_recorded_with_the_name_tried(officer):
    _login(Client(), officer, password="not-the-password")

    event = AccessEvent.objects.get(kind=AccessKind.LOGIN_FAILED)
    assert (event.username, event.address) == (officer.username, ADDRESS)


def test_a_logout_is_recorded(officer):
    client = Client()
    _login(client, officer)

    client.post(reverse("logout"), REMOTE_ADDR=ADDRESS)

    assert _kinds(user=officer) == [AccessKind.LOGOUT, AccessKind.LOGIN]


def test_a_lockout_is_recorded(officer):
    client = Client()
    for _ in range(5):
        _login(client, officer, password="not-the-password")

    assert AccessEvent.objects.filter(
        kind=AccessKind.LOCKED_OUT, username=officer.username
    ).exists()


def test_second_factor_events_are_recorded(officer, settings):
    settings.STAFF_2FA_REQUIRED = True
    client = Client()
    _login(client, officer)

    client.post(reverse("second-factor-setup"), {"token": "000000"})

    assert AccessKind.SECOND_FACTOR_FAILED in _kinds(user=officer)


def test_a_role_change_is_recorded_with_the_old_and_new_role(officer):
    profile = officer.profile
    profile.role = "group_chair"
    profile.department = None
    profile.save()

    event = AccessEvent.objects.filter(kind=AccessKind.ROLE_CHANGED).latest("pk")
    assert event.target == officer.username
    assert "lead_officer → group_chair" in event.detail


def test_a_group_membership_given_in_the_admin_is_recorded_with_who_gave_it(officer):
    group = Group.objects.create(name="审核员")
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("admin:auth_user_change", args=[officer.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("groups", "user_permissions", "password")
    }
    data.update(
        {
            "groups": [group.pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": timezone.localtime(officer.date_joined).strftime("%Y-%m-%d"),
            "date_joined_1": timezone.localtime(officer.date_joined).strftime("%H:%M:%S"),
        }
    )
    for inline in page.context["inline_admin_formsets"]:  # the person's role, unchanged
        formset = inline.formset
        data.update(
            {
                formset.management_form.add_prefix(k): v
                for k, v in formset.management_form.initial.items()
            }
        )
        for sub in formset.forms:
            values = {name: sub[name].value() for name in sub.fields}
            data.update({sub.add_prefix(k): v for k, v in values.items() if v is not None})

    client.post(reverse("admin:auth_user_change", args=[officer.pk]), data)

    event = AccessEvent.objects.get(kind=AccessKind.PERMISSION_CHANGED, target=officer.username)
    assert event.username == "root"
    assert "审核员" in event.detail


def test_making_a_user_a_superuser_is_recorded(officer):
    officer.is_superuser = True
    officer.save()

    event = AccessEvent.objects.get(kind=AccessKind.PERMISSION_CHANGED)
    assert event.detail == "is_superuser: False → True"


def test_a_login_does_not_count_as_a_permission_change(officer):
    _login(Client(), officer)

    assert not AccessEvent.objects.filter(kind=AccessKind.PERMISSION_CHANGED).exists()


def test_a_staff_read_of_a_request_is_recorded(auditor_client):
    application = FundingApplicationFactory(state="submitted")

    auditor_client.get(reverse("application-detail", args=[application.pk]), REMOTE_ADDR=ADDRESS)

    event = AccessEvent.objects.get(kind=AccessKind.READ_APPLICATION)
    assert (event.application_id, event.username, event.address) == (
        application.pk,
        "auditor-a",
        ADDRESS,
    )


def test_an_applicant_reading_their_own_request_is_not_a_staff_read():
    application = FundingApplicationFactory(state="submitted")
    client = Client()
    client.force_login(application.created_by)

    client.get(reverse("application-detail", args=[application.pk]))

    assert not AccessEvent.objects.filter(kind=AccessKind.READ_APPLICATION).exists()


def test_a_staff_download_of_an_attachment_is_recorded(auditor_client):
    application = FundingApplicationFactory(state="submitted")
    attachment = Attachment(
        application=application,
        kind="budget",
        original_name="预算书.pdf",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
        uploaded_by=application.created_by,
    )
    attachment.file.save("budget.pdf", ContentFile(b"%PDF"), save=False)
    attachment.save()

    auditor_client.get(reverse("attachment-download", args=[application.pk, attachment.pk]))

    event = AccessEvent.objects.get(kind=AccessKind.READ_ATTACHMENT)
    assert (event.application_id, event.target) == (application.pk, "预算书.pdf")


def test_a_staff_download_of_a_document_is_recorded(
    auditor_client, django_capture_on_commit_callbacks
):
    application = FundingApplicationFactory(state="meeting_review")
    people = application.people
    perform("claim_meeting", application, people)
    with django_capture_on_commit_callbacks(execute=True):
        perform("approve", application, people)
    document = application.documents.get(kind="approval")

    auditor_client.get(reverse("document-download", args=[document.pk]))

    event = AccessEvent.objects.get(kind=AccessKind.READ_DOCUMENT)
    assert (event.application_id, event.target) == (application.pk, document.number)


def test_an_access_event_cannot_be_changed():
    event = AccessEvent.objects.create(kind=AccessKind.LOGIN, username="someone")
    event.username = "someone else"

    with pytest.raises(AppendOnlyError):
        event.save()


def test_access_events_cannot_be_deleted():
    AccessEvent.objects.create(kind=AccessKind.LOGIN, username="someone")

    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()


# --- the auditors' page -----------------------------------------------------------------------


def _event(username, *, days_ago=0, application=None, kind=AccessKind.READ_APPLICATION):
    return AccessEvent.objects.create(
        kind=kind,
        username=username,
        application=application,
        at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def _listed(response) -> set[str]:
    return {event.username for event in response.context["page"]}


def test_auditors_filter_the_log_by_person(auditor_client):
    _event("alice")
    _event("bob")

    response = auditor_client.get(reverse("access-log"), {"person": "alice"})

    assert _listed(response) == {"alice"}


def test_auditors_filter_the_log_by_request(auditor_client):
    application = FundingApplicationFactory()
    _event("alice", application=application)
    _event("bob")

    response = auditor_client.get(reverse("access-log"), {"application": application.pk})

    assert _listed(response) == {"alice"}


def test_auditors_filter_the_log_by_the_requests_national_task_code(auditor_client):
    application = FundingApplicationFactory()
    _event("alice", application=application)
    _event("bob")

    response = auditor_client.get(
        reverse("access-log"), {"application": application.national_task_code}
    )

    assert _listed(response) == {"alice"}


def test_auditors_filter_the_log_by_period(auditor_client):
    _event("long-ago", days_ago=40)
    _event("last-week", days_ago=7)
    _event("today")
    today = timezone.localdate()

    response = auditor_client.get(
        reverse("access-log"),
        {
            "since": (today - datetime.timedelta(days=10)).isoformat(),
            "until": (today - datetime.timedelta(days=1)).isoformat(),
        },
    )

    assert _listed(response) == {"last-week"}


def test_a_period_that_ends_before_it_starts_is_refused_next_to_its_field(auditor_client):
    response = auditor_client.get(
        reverse("access-log"), {"since": "2026-05-02", "until": "2026-05-01"}
    )

    assert "截止日期不能早于起始日期" in response.content.decode()
    assert response.context["form"].errors["until"]


def test_the_export_is_the_filtered_log_as_csv(auditor_client):
    application = FundingApplicationFactory()
    _event("alice", application=application)
    _event("bob")

    response = auditor_client.get(reverse("access-log-export"), {"person": "alice"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert response["Content-Type"].startswith("text/csv")
    assert [(row["用户名"], row["申请"]) for row in rows] == [("alice", str(application.pk))]


def test_an_officer_may_not_read_the_access_log(officer):
    client = Client()
    client.force_login(officer)

    assert client.get(reverse("access-log")).status_code == 403
    assert client.get(reverse("access-log-export")).status_code == 403


def test_an_applicant_may_not_export_the_access_log():
    client = Client()
    client.force_login(make_user("applicant", organisation=OrganisationFactory()))

    assert client.get(reverse("access-log-export")).status_code == 403
