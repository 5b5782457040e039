"""Our own error pages, in the site's look and language, with debug off."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db

SITE_HEADER = "国家科技重大专项配套资金 · 审批系统"
LIBRARY_LOOK = ("Django Material", "material-icons", "mdc-")


def _page(response) -> str:
    return response.content.decode()


def _in_english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_missing_page_is_ours_with_what_to_do_next(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert SITE_HEADER in _page(response)
    assert "页面不存在" in _page(response)
    assert "回到首页" in _page(response)
    assert not any(mark in _page(response) for mark in LIBRARY_LOOK)


def test_a_missing_page_reads_in_english(client):
    response = _in_english(client).get("/no-such-page/")

    assert "Page not found" in _page(response)
    assert "Back to the home page" in _page(response)


def test_a_forbidden_page_is_ours_and_says_whom_to_ask(client):
    client.force_login(make_user("applicant", organisation=OrganisationFactory()))

    response = client.get(reverse("audit-trail"))

    assert response.status_code == 403
    assert "无权访问" in _page(response)
    assert "系统管理员" in _page(response)
    assert not any(mark in _page(response) for mark in LIBRARY_LOOK)


def test_a_forbidden_page_reads_in_english(client):
    client.force_login(make_user("applicant", organisation=OrganisationFactory()))

    response = _in_english(client).get(reverse("audit-trail"))

    assert "Access denied" in _page(response)


def test_a_bad_request_is_ours(client):
    response = client.get(reverse("document-verify"), HTTP_HOST="evil.invalid")

    assert response.status_code == 400
    assert "请求有误" in _page(response)


def test_a_bad_request_reads_in_english(client):
    response = _in_english(client).get(reverse("document-verify"), HTTP_HOST="evil.invalid")

    assert "Bad request" in _page(response)


@pytest.mark.urls("tests.config.failing_urls")
def test_a_server_error_is_ours_and_says_what_to_do_next():
    response = Client(raise_request_exception=False).get("/fails/")

    assert response.status_code == 500
    assert SITE_HEADER in _page(response)
    assert "稍后重试" in _page(response)


@pytest.mark.urls("tests.config.failing_urls")
def test_a_server_error_reads_in_english():
    response = _in_english(Client(raise_request_exception=False)).get("/fails/")

    assert "Something went wrong" in _page(response)


def test_a_failed_csrf_check_is_ours_and_says_to_reload(db):
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"})

    assert response.status_code == 403
    assert "页面已过期" in _page(response)
    assert "刷新页面" in _page(response)
    assert "CSRF verification failed" not in _page(response)


def test_a_failed_csrf_check_reads_in_english(db):
    response = _in_english(Client(enforce_csrf_checks=True)).post(reverse("login"), {})

    assert "This page has expired" in _page(response)
