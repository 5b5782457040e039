"""The interface in English: the catalogue is complete and compiled, a browser asking for
English gets it, and the header switches between the two languages."""

import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import FundingApplicationFactory

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\w*\}")
BRAND_ZH = "国家科技重大专项配套资金 · 审批系统"
BRAND_EN = "Matching Funds for National Major S&T Projects · Approvals"


def _entries():
    return [e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete]


def _text(response):
    return response.content.decode()


def test_every_message_of_the_interface_has_an_english_translation():
    missing = [e.msgid for e in _entries() if not e.translated() or e.fuzzy]

    assert missing == []


def test_every_translation_keeps_the_placeholders_of_its_message():
    def differs(entry):
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        return any(sorted(PLACEHOLDER.findall(t)) != wanted for t in translations)

    assert [e.msgid for e in _entries() if differs(e)] == []


def test_the_compiled_catalogue_gives_every_translation():
    with translation.override("en"):
        wrong = [
            e.msgid
            for e in _entries()
            if not e.msgid_plural
            and (
                translation.pgettext(e.msgctxt, e.msgid)
                if e.msgctxt
                else translation.gettext(e.msgid)
            )
            != e.msgstr
        ]

    assert wrong == []


@pytest.mark.django_db
def test_a_browser_asking_for_english_gets_the_pages_in_english(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

    assert BRAND_EN in _text(response)
    assert BRAND_ZH not in _text(response)


@pytest.mark.django_db
def test_a_browser_asking_for_nothing_in_particular_gets_the_pages_in_chinese(client):
    response = client.get(reverse("login"))

    assert BRAND_ZH in _text(response)


@pytest.mark.django_db
def test_choosing_english_in_the_header_keeps_the_pages_in_english(client):
    application = FundingApplicationFactory(state="lead_review")
    client.force_login(application.people.applicant)
    page = reverse("application-detail", args=[application.pk])

    switched = client.post(reverse("set_language"), {"language": "en", "next": page})
    response = client.get(page)

    assert (switched.status_code, switched.url) == (302, page)
    assert BRAND_EN in _text(response)
    assert '<html lang="en">' in _text(response)
