"""Ids, characters and missing objects in a request's path or parameters give a 4xx page."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from tests.factories import make_user
from workflows.converters import IdConverter

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("workflows", "approvals", "documents")


def _patterns(resolver: URLResolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_an_id_past_the_64_bit_range_in_a_path_is_a_page_that_does_not_exist(client):
    response = client.get(f"/process/{2**63}/")

    assert response.status_code == 404


def test_the_largest_64_bit_id_is_looked_up_like_any_other(client):
    client.force_login(make_user("auditor"))

    response = client.get(f"/process/{2**63 - 1}/")

    assert response.status_code == 404


def test_every_numeric_id_in_our_urls_is_bounded_to_64_bits():
    unbounded = [
        route
        for route, pattern in _patterns(get_resolver())
        if pattern.callback.__module__.split(".")[0] in PROJECT_APPS
        and any(
            isinstance(c, IntConverter) and not isinstance(c, IdConverter)
            for c in pattern.pattern.converters.values()
        )
    ]

    assert unbounded == []


def test_building_the_agenda_of_a_meeting_that_does_not_exist_is_a_404(client):
    client.force_login(make_user("meeting_secretary"))

    response = client.post(reverse("approvals:build-agenda", args=[999999]))

    assert response.status_code == 404


def test_a_nul_character_in_a_query_parameter_is_refused_with_400(client):
    response = client.get(reverse("document-verify"), {"number": "\x00"})

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_character_in_a_posted_field_is_refused_and_nothing_is_stored(client):
    from workflows.models import AuditEntry

    client.force_login(make_user("group_chair"))

    response = client.post(
        "/applications/1/reassign/", {"task": "1", "to_user": "1", "reason": "\x00"}
    )

    assert response.status_code == 400
    assert not AuditEntry.objects.exists()


@pytest.mark.postgres
def test_a_nul_in_the_verification_number_is_no_server_error_on_postgresql(client):
    response = client.get(reverse("document-verify"), {"number": "京科配\x00"})

    assert response.status_code == 400
