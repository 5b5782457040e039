"""Decision documents in English: a translation beside the Chinese original, on request."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.utils.translation.template import templatize

from documents.models import Document

from .issued import ASSESSMENT, accepted, approved, pdf_text, the_document

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates" / "documents").glob("*.html"))
CATALOG = ROOT / "documents" / "locale" / "en" / "LC_MESSAGES" / "django.mo"
GETTEXT_CALL = re.compile(r"gettext\((u'(?:[^'\\]|\\.)*')\)")


def _msgids(template: Path) -> list[str]:
    code = templatize(template.read_text(), origin=str(template))
    return [ast.literal_eval(literal) for literal in GETTEXT_CALL.findall(code)]


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_every_string_of_a_document_template_has_an_english_translation(template):
    with CATALOG.open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)

    untranslated = [msgid for msgid in _msgids(template) if catalog.gettext(msgid) == msgid]

    assert untranslated == []


@pytest.mark.django_db
def test_by_default_a_decision_is_issued_in_chinese_only(django_capture_on_commit_callbacks):
    application = accepted(django_capture_on_commit_callbacks)

    languages = Document.objects.filter(application=application).values_list("language", flat=True)
    assert list(languages) == ["zh-hans"]


@pytest.mark.django_db
def test_a_configured_translation_is_issued_beside_the_original_with_its_number(
    settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_TRANSLATIONS = ["en"]
    application = accepted(django_capture_on_commit_callbacks)

    original = the_document(application, "acceptance")
    translation = Document.objects.get(translation_of=original)
    assert (translation.language, translation.number, translation.status) == (
        "en",
        original.number,
        "ready",
    )


@pytest.mark.django_db
def test_a_translation_says_that_the_chinese_original_prevails(
    settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_TRANSLATIONS = ["en"]
    application = accepted(django_capture_on_commit_callbacks)

    translation = Document.objects.get(translation_of=the_document(application, "acceptance"))
    text = pdf_text(translation)
    assert "Noticeofacceptance(Translation;theChineseoriginalprevails)" in text
    assert settings.PROGRAMME_ISSUER_EN.replace(" ", "") in text


@pytest.mark.django_db
def test_the_english_approval_reads_in_english(settings, django_capture_on_commit_callbacks):
    settings.DOCUMENT_TRANSLATIONS = ["en"]
    application = approved(django_capture_on_commit_callbacks, assessment=ASSESSMENT)

    translation = Document.objects.get(translation_of=the_document(application, "approval"))
    text = pdf_text(translation)
    assert "Approvalofmatchingfunds" in text
    assert "ScienceCommission¥3,000,000.00" in text
    assert "Conditionsofthegrant" in text
    assert "(incapitals:伍佰万元整)" in text  # the capitals are the legal form of the amount
    assert "支持条件" not in text
