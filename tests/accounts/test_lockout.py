"""Repeated wrong passwords lock the account and the address out of both login pages."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def officer():
    user = make_user("auditor")
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, username, password, *, url=None, address="198.51.100.7"):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _fail(client, username, times, **kwargs):
    for _ in range(times):
        _login(client, username, "wrong-password-1", **kwargs)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_after_five_wrong_ones_is_refused_with_the_lockout_page(officer):
    client = Client()
    _fail(client, officer.username, 5)

    response = _login(client, officer.username, PASSWORD)

    assert response.status_code == 429
    assert "登录已被锁定" in response.content.decode()
    assert not _logged_in(client)


def test_four_wrong_passwords_do_not_lock_the_account(officer):
    client = Client()
    _fail(client, officer.username, 4)

    response = _login(client, officer.username, PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)


def test_the_admin_login_is_locked_out_after_five_wrong_passwords(officer):
    officer.is_staff = True
    officer.save()
    client = Client()
    _fail(client, officer.username, 5, url=ADMIN_LOGIN)

    response = _login(client, officer.username, PASSWORD, url=ADMIN_LOGIN)

    assert response.status_code == 429
    assert not _logged_in(client)


def test_failures_from_many_addresses_lock_the_account(officer):
    client = Client()
    for n in range(5):
        _login(client, officer.username, "wrong-password-1", address=f"203.0.113.{n + 1}")

    response = _login(client, officer.username, PASSWORD, address="203.0.113.99")

    assert response.status_code == 429


def test_an_address_that_guessed_at_many_accounts_is_locked_out_of_every_account(officer):
    client = Client()
    for n in range(5):
        _login(client, f"nobody{n}", "wrong-password-1", address="192.0.2.50")

    response = _login(client, officer.username, PASSWORD, address="192.0.2.50")

    assert response.status_code == 429


def test_the_failure_limit_is_configurable(officer, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    _fail(client, officer.username, 2)

    assert _login(client, officer.username, PASSWORD).status_code == 429


def test_the_lockout_page_is_in_english_for_an_english_browser(officer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _fail(client, officer.username, 5)

    response = _login(client, officer.username, PASSWORD)

    assert "Login locked" in response.content.decode()


def test_unlock_login_lets_a_locked_account_log_in_again(officer):
    client = Client()
    _fail(client, officer.username, 5)

    call_command("unlock_login", officer.username, stdout=io.StringIO())

    assert _login(client, officer.username, PASSWORD, address="198.51.100.8").status_code == 302


def test_unlock_login_of_an_address_lifts_its_lockout(officer):
    client = Client()
    for n in range(5):
        _login(client, f"nobody{n}", "wrong-password-1", address="192.0.2.50")

    call_command("unlock_login", "--address", "192.0.2.50", stdout=io.StringIO())

    assert _login(client, officer.username, PASSWORD, address="192.0.2.50").status_code == 302


def test_unlock_login_without_an_account_or_address_fails_saying_what_to_name():
    with pytest.raises(CommandError, match="USERNAME"):
        call_command("unlock_login")


def test_unlock_login_refuses_an_address_that_is_not_one():
    with pytest.raises(CommandError, match="not an IP address"):
        call_command("unlock_login", "--address", "nowhere")


def test_an_administrator_unlocks_an_account_from_the_user_list(officer):
    client = Client()
    _fail(client, officer.username, 5)
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    staff_client = Client()
    staff_client.force_login(admin)

    staff_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_logins", "_selected_action": [officer.pk]},
    )

    assert _login(client, officer.username, PASSWORD, address="198.51.100.8").status_code == 302
