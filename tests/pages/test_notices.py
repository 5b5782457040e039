"""Notifications in the application: every notice e-mailed today is also under the bell, links
to its request, and is marked read once seen."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import FundingApplicationFactory, formal_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(django_capture_on_commit_callbacks):
    application = FundingApplicationFactory(at_lead_review=True)
    with django_capture_on_commit_callbacks(execute=True):
        formal_check(application, application.people, "return")
    return application


def test_a_return_e_mailed_to_the_applicant_is_also_under_their_bell(client_of, returned):
    page = client_of(returned.people.applicant).get(reverse("home")).content.decode()

    bell = page[page.index('class="bell"') : page.index("</a>", page.index('class="bell"'))]
    assert '<span class="count">1<span class="visually-hidden"> 条未读</span>' in bell


def test_the_notices_list_links_each_notice_to_its_request(client_of, returned):
    page = client_of(returned.people.applicant).get(reverse("notices")).content.decode()

    link = reverse("application-detail", args=[returned.pk])
    assert f'<a href="{link}">您的配套资金申请有新进展：{returned.title}</a>' in page


def test_the_notices_are_marked_read_once_the_list_is_seen(client_of, returned):
    client = client_of(returned.people.applicant)
    client.get(reverse("notices"))

    page = client.get(reverse("home")).content.decode()

    assert 'class="count"' not in page[page.index('class="bell"') :][:200]


def test_the_notices_list_is_in_english_on_english_pages(client_of, returned):
    page = client_of(returned.people.applicant, "en").get(reverse("notices")).content.decode()

    assert f"News on your matching-fund request: {returned.title}" in page


def test_nobody_reads_another_persons_notices(client_of, returned):
    page = client_of(returned.people.lead_officer).get(reverse("notices")).content.decode()

    assert returned.title not in page


def test_the_e_mail_carries_the_absolute_link_to_the_request(settings, returned):
    link = f"{settings.SITE_BASE_URL}{reverse('application-detail', args=[returned.pk])}"

    message = next(m for m in mail.outbox if m.to == [returned.people.applicant.email])

    assert link in message.body
