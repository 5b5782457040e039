import pytest
from django.utils import translation

from tests.factories import OrganisationFactory, make_user


@pytest.fixture
def client_of(client):
    def login(user, language: str = "zh-hans"):
        client.force_login(user)
        client.cookies["django_language"] = language
        return client

    return login


@pytest.fixture
def applicant():
    return make_user("applicant", organisation=OrganisationFactory())


@pytest.fixture
def english():
    with translation.override("en"):
        yield
