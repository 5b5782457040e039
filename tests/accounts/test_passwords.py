"""Passwords pass all of Django's validators with at least 10 characters; the demonstration
logins are made only in debug."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from demo.data import DEMO_PASSWORD, ensure_demo_data
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _refusals(password: str) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    return [error.code for error in refused.value.error_list]


def test_an_all_numeric_password_is_refused():
    assert _refusals("8765432912") == ["password_entirely_numeric"]


def test_a_nine_character_password_is_refused():
    assert _refusals("x7#kq2!mz") == ["password_too_short"]


def test_a_common_password_is_refused():
    assert _refusals("qwertyuiop") == ["password_too_common"]


def test_the_password_change_page_refuses_an_all_numeric_password():
    user = make_user("auditor")
    user.set_password("old-password-long-enough")
    user.save()
    client = Client()
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "old-password-long-enough",
            "new_password1": "87654329",
            "new_password2": "87654329",
        },
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("old-password-long-enough")


def test_the_demo_password_satisfies_the_validators_for_every_demo_login():
    ensure_demo_data()

    for user in get_user_model().objects.all():
        validate_password(DEMO_PASSWORD, user)


def test_loaddemo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("loaddemo", stdout=io.StringIO())

    assert not get_user_model().objects.exists()


def test_demo_refuses_to_run_without_debug(settings, tmp_path):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("demo", "--out", str(tmp_path / "out"), stdout=io.StringIO())

    assert not get_user_model().objects.exists()
    assert not (tmp_path / "out").exists()
