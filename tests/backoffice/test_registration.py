from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice import registration
from backoffice.models import OrganisationRegistration
from tests import files
from tests.factories import OrganisationFactory, make_user
from workflows.credit_code import check_character
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import Notice, Organisation, Profile

pytestmark = pytest.mark.django_db

CODE = "91110108MA0987654" + check_character("91110108MA0987654")
PASSWORD = "A-long-pass-phrase-2027"


def _form(**changes):
    return {
        "name": "北京新创科技有限公司",
        "kind": "enterprise",
        "district": "bda",
        "credit_code": CODE,
        "licence": SimpleUploadedFile("licence.pdf", files.PDF, content_type="application/pdf"),
        "representative_name": "王芳",
        "username": "wangfang",
        "email": "wangfang@example.invalid",
        "password": PASSWORD,
        **changes,
    }


def _registered(client) -> OrganisationRegistration:
    client.post(reverse("organisation-register"), _form())
    return OrganisationRegistration.objects.get()


def test_an_organisation_registers_itself_from_the_public_page(client):
    response = client.post(reverse("organisation-register"), _form())

    assert response.status_code == 201
    assert OrganisationRegistration.objects.get().state == OrganisationRegistration.State.PENDING
    assert not Organisation.objects.filter(credit_code=CODE).exists()


def test_a_credit_code_with_a_wrong_check_digit_is_refused_next_to_its_field(client):
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")

    response = client.post(reverse("organisation-register"), _form(credit_code=wrong))

    assert "credit_code" in response.context["form"].errors


def test_a_licence_that_is_not_a_document_is_refused(client):
    fake = SimpleUploadedFile("licence.pdf", b"not a pdf", content_type="application/pdf")

    response = client.post(reverse("organisation-register"), _form(licence=fake))

    assert response.context["form"].non_field_errors()
    assert not OrganisationRegistration.objects.exists()


def test_a_credit_code_already_registered_is_refused(client):
    OrganisationFactory(credit_code=CODE)

    client.post(reverse("organisation-register"), _form())

    assert not OrganisationRegistration.objects.exists()


def test_approving_creates_the_organisation_and_its_administrator(client):
    pending = _registered(client)

    registration.approve_registration(registration_id=pending.pk, actor=make_user("administrator"))

    profile = Profile.objects.get(user__username="wangfang")
    assert (profile.organisation.credit_code, profile.administers_organisation) == (CODE, True)
    assert profile.user.check_password(PASSWORD)


def test_the_representative_hears_of_the_approval(client, django_capture_on_commit_callbacks):
    pending = _registered(client)

    with django_capture_on_commit_callbacks(execute=True):
        registration.approve_registration(
            registration_id=pending.pk, actor=make_user("administrator")
        )

    assert mail.outbox[-1].to == ["wangfang@example.invalid"]


def test_refusing_needs_a_reason(client):
    pending = _registered(client)

    with pytest.raises(InvalidInput):
        registration.refuse_registration(
            registration_id=pending.pk, actor=make_user("administrator"), reason=" "
        )


def test_a_refusal_tells_the_representative_why(client, django_capture_on_commit_callbacks):
    pending = _registered(client)

    with django_capture_on_commit_callbacks(execute=True):
        registration.refuse_registration(
            registration_id=pending.pk, actor=make_user("administrator"), reason="执照已过期"
        )

    assert "执照已过期" in mail.outbox[-1].body
    assert not Organisation.objects.filter(credit_code=CODE).exists()


def test_only_an_administrator_approves(client):
    pending = _registered(client)

    with pytest.raises(NotAllowed):
        registration.approve_registration(registration_id=pending.pk, actor=make_user("auditor"))


def _organisation_admin():
    organisation = OrganisationFactory()
    user = make_user("applicant", organisation=organisation)
    user.profile.administers_organisation = True
    user.profile.save(update_fields=["administers_organisation"])
    return user


def test_the_organisations_administrator_adds_a_colleague(client):
    admin = _organisation_admin()
    client.force_login(admin)

    client.post(
        reverse("organisation-staff"),
        {"username": "li.lei", "name": "李雷", "email": "lilei@example.invalid"},
    )

    colleague = Profile.objects.get(user__username="li.lei")
    assert colleague.organisation == admin.profile.organisation
    assert not colleague.administers_organisation


def test_the_organisations_administrator_removes_a_colleague(client):
    admin = _organisation_admin()
    colleague = make_user("applicant", organisation=admin.profile.organisation)
    client.force_login(admin)

    client.post(reverse("organisation-staff-remove", args=[colleague.pk]))

    colleague.refresh_from_db()
    assert not colleague.is_active


def test_an_administrator_cannot_remove_another_organisations_user(client):
    admin = _organisation_admin()
    stranger = make_user("applicant", organisation=OrganisationFactory())

    with pytest.raises(InvalidInput):
        registration.remove_staff(actor=admin, user_id=stranger.pk)


def test_an_applicant_who_does_not_administer_the_organisation_is_refused_the_staff_page(client):
    client.force_login(make_user("applicant", organisation=OrganisationFactory()))

    assert client.get(reverse("organisation-staff")).status_code == 403


def test_an_administrator_approves_from_the_registrations_page(client):
    pending = _registered(client)
    client.force_login(make_user("administrator"))

    client.post(reverse("registrations"), {"registration": pending.pk, "decision": "approve"})

    pending.refresh_from_db()
    assert pending.state == OrganisationRegistration.State.APPROVED


# --- the notices go through the messenger, under the bell as well as by e-mail ---------------


def test_the_approved_representative_finds_the_approval_under_the_bell(
    client, django_capture_on_commit_callbacks
):
    pending = _registered(client)

    with django_capture_on_commit_callbacks(execute=True):
        registration.approve_registration(
            registration_id=pending.pk, actor=make_user("administrator")
        )

    notice = Notice.objects.get(recipient__username="wangfang")
    assert (notice.kind, notice.application_id) == ("registration_approved", None)


def test_the_refusal_is_mailed_in_both_languages_with_its_reason(
    client, django_capture_on_commit_callbacks
):
    pending = _registered(client)

    with django_capture_on_commit_callbacks(execute=True):
        registration.refuse_registration(
            registration_id=pending.pk, actor=make_user("administrator"), reason="执照已过期"
        )

    assert "Reason: 执照已过期" in mail.outbox[-1].body


def test_an_invited_colleague_finds_the_invitation_under_the_bell(
    client, django_capture_on_commit_callbacks
):
    admin = _organisation_admin()

    with django_capture_on_commit_callbacks(execute=True):
        registration.add_staff(actor=admin, username="li.lei", name="李雷", email="lilei@x.invalid")

    assert Notice.objects.get(recipient__username="li.lei").kind == "staff_invited"


def test_an_invited_colleague_is_mailed_the_invitation(client, django_capture_on_commit_callbacks):
    admin = _organisation_admin()

    with django_capture_on_commit_callbacks(execute=True):
        registration.add_staff(actor=admin, username="li.lei", name="李雷", email="lilei@x.invalid")

    assert mail.outbox[-1].to == ["lilei@x.invalid"]


def test_a_notice_about_no_request_shows_on_the_notices_page(
    client, django_capture_on_commit_callbacks
):
    admin = _organisation_admin()
    with django_capture_on_commit_callbacks(execute=True):
        colleague = registration.add_staff(
            actor=admin, username="li.lei", name="李雷", email="lilei@x.invalid"
        )
    client.force_login(colleague)

    response = client.get(reverse("notices"))

    assert admin.profile.organisation.name in response.content.decode()
