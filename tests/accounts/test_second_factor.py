"""Staff confirm each login with a second factor (TOTP or a backup code) when it is required."""

import io
import os
import subprocess
import sys
from base64 import b32encode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DepartmentFactory, OrganisationFactory, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.STAFF_2FA_REQUIRED = True


@pytest.fixture
def secretary():
    user = make_user("meeting_secretary")
    user.set_password(PASSWORD)
    user.save()
    return user


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or ``steps_ahead`` steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _password_login(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def test_a_staff_login_without_an_authenticator_goes_to_enrolment(secretary):
    client = _password_login(secretary)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("second-factor-setup"))


def test_a_staff_login_with_an_authenticator_asks_for_its_code(secretary):
    _enrolled(secretary)
    client = _password_login(secretary)

    response = client.get(reverse("home"))

    assert response.url.startswith(reverse("second-factor"))


def test_the_enrolment_page_shows_a_qr_code_and_the_key(secretary):
    client = _password_login(secretary)

    page = client.get(reverse("second-factor-setup")).content.decode()

    assert "<svg" in page
    assert "otpauth" not in page  # the URL is in the picture only, the key in groups below
    device = TOTPDevice.objects.get(user=secretary, confirmed=False)
    assert b32encode(device.bin_key).decode()[:4] in page


def test_enrolling_with_the_apps_code_opens_the_pages_and_shows_ten_backup_codes(secretary):
    client = _password_login(secretary)
    client.get(reverse("second-factor-setup"))
    device = TOTPDevice.objects.get(user=secretary, confirmed=False)

    response = client.post(reverse("second-factor-setup"), {"token": _code(device), "next": "/"})

    codes = StaticDevice.objects.get(user=secretary).token_set.values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in response.content.decode() for code in codes)
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_at_enrolment_is_refused_and_enrols_nothing(secretary):
    client = _password_login(secretary)
    client.get(reverse("second-factor-setup"))

    response = client.post(reverse("second-factor-setup"), {"token": "000000"})

    assert "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=secretary, confirmed=True).exists()
    assert client.get(reverse("home")).status_code == 302


def test_the_authenticators_code_completes_the_login(secretary):
    device = _enrolled(secretary)
    client = _password_login(secretary)

    response = client.post(reverse("second-factor"), {"token": _code(device), "next": "/"})

    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_keeps_the_pages_closed(secretary):
    _enrolled(secretary)
    client = _password_login(secretary)

    response = client.post(reverse("second-factor"), {"token": "123456"})

    assert "验证码不正确" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_backup_code_completes_a_login_once(secretary):
    _enrolled(secretary)
    StaticDevice.objects.create(user=secretary, name="backup").token_set.create(token="abcd2345")
    first = _password_login(secretary)
    first.post(reverse("second-factor"), {"token": "abcd2345"})
    second = _password_login(secretary)

    second.post(reverse("second-factor"), {"token": "abcd2345"})

    assert first.get(reverse("home")).status_code == 200
    assert second.get(reverse("home")).status_code == 302


def test_new_backup_codes_replace_the_old_ones(secretary):
    device = _enrolled(secretary)
    StaticDevice.objects.create(user=secretary, name="backup").token_set.create(token="abcd2345")
    client = _password_login(secretary)
    client.post(reverse("second-factor"), {"token": _code(device)})

    client.post(reverse("second-factor-backup-codes"))

    tokens = set(StaticDevice.objects.get(user=secretary).token_set.values_list("token", flat=True))
    assert len(tokens) == 10
    assert "abcd2345" not in tokens


def test_a_password_alone_cannot_replace_an_enrolled_authenticator(secretary):
    _enrolled(secretary)
    client = _password_login(secretary)

    response = client.get(reverse("second-factor-setup"))

    assert response.url == reverse("second-factor")


def test_the_admin_site_needs_the_second_factor_too(secretary):
    secretary.is_staff = True
    secretary.save()
    _enrolled(secretary)
    client = Client()
    client.post("/admin/login/", {"username": secretary.username, "password": PASSWORD})

    response = client.get("/admin/")

    assert response.url.startswith(reverse("second-factor"))


@pytest.mark.parametrize(
    "role", ["lead_officer", "group_chair", "group_member", "auditor", "administrator"]
)
def test_every_staff_role_needs_the_second_factor(role):
    user = make_user(role, department=DepartmentFactory() if role == "lead_officer" else None)
    client = Client()
    client.force_login(user)

    assert client.get(reverse("home")).status_code == 302


def test_an_applicant_logs_in_without_a_second_factor():
    applicant = make_user("applicant", organisation=OrganisationFactory())
    client = Client()
    client.force_login(applicant)

    assert client.get(reverse("home")).status_code == 200


def test_staff_log_in_with_a_password_alone_when_the_second_factor_is_off(secretary, settings):
    settings.STAFF_2FA_REQUIRED = False
    client = _password_login(secretary)

    assert client.get(reverse("home")).status_code == 200


def test_an_administrator_resets_a_lost_authenticator_from_the_user_list(secretary):
    _enrolled(secretary)
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    admin_device = _enrolled(admin)
    admin_client = Client()
    admin_client.force_login(admin)
    admin_client.post(reverse("second-factor"), {"token": _code(admin_device)})

    admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factors", "_selected_action": [secretary.pk]},
    )

    assert not TOTPDevice.objects.filter(user=secretary).exists()
    client = _password_login(secretary)
    assert client.get(reverse("home")).url.startswith(reverse("second-factor-setup"))


def test_reset_second_factor_command_removes_the_authenticator(secretary):
    _enrolled(secretary)

    call_command("reset_second_factor", secretary.username, stdout=io.StringIO())

    assert not TOTPDevice.objects.filter(user=secretary).exists()


def test_the_second_factor_is_required_by_default_under_production_settings():
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("STAFF_2FA_REQUIRED", None)

    result = subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.STAFF_2FA_REQUIRED)"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "True"


def test_the_demo_says_the_second_factor_is_off_when_it_prints_the_logins(settings):
    settings.DEBUG = True
    settings.STAFF_2FA_REQUIRED = False
    out = io.StringIO()

    call_command("loaddemo", stdout=out)

    assert "STAFF_2FA_REQUIRED" in out.getvalue()
