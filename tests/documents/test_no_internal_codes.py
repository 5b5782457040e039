"""No internal code reaches paper: the demo's documents, of every kind, read as text."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from django.core.management import call_command
from django.test.utils import override_settings
from pypdf import PdfReader

from approvals.policy.facts import FACT_FIELDS_BY_NAME
from demo.data import EXAMPLE_POLICY
from documents.models import Document, DocumentKind
from documents.services import render_document

pytestmark = pytest.mark.django_db


def internal_codes() -> list[str]:
    """The fact names conditions are written in, the example policy's rule ids and version."""
    policy = yaml.safe_load(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    return [*FACT_FIELDS_BY_NAME, *(rule["id"] for rule in policy["rules"]), policy["version"]]


def text_of(document: Document) -> str:
    with document.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "".join(page.extract_text() for page in reader.pages)


def test_no_document_of_the_demo_prints_a_rule_code_or_a_policy_version_code(
    tmp_path, django_capture_on_commit_callbacks
):
    # The decisions open their documents; one of each kind is rendered here (the latest, with
    # the most history behind it), not all of them.
    with override_settings(DEBUG=True), django_capture_on_commit_callbacks(execute=False):
        call_command("demo", out=str(tmp_path), count=7, stdout=io.StringIO(), stderr=io.StringIO())
    documents = [
        render_document(document.pk)
        for document in (
            Document.objects.filter(kind=kind, translation_of=None).order_by("-id").first()
            for kind in DocumentKind.values
        )
        if document is not None
    ]
    patterns = {
        code: re.compile(rf"(?<![\w-]){re.escape(code)}(?![\w-])") for code in internal_codes()
    }

    texts = {document.number: text_of(document) for document in documents}

    leaks = [
        (number, code)
        for number, text in texts.items()
        for code, pattern in patterns.items()
        if pattern.search(text)
    ]
    kinds = {document.kind for document in documents}
    explained = any("测算依据" in re.sub(r"\s", "", text) for text in texts.values())
    assert (kinds, explained, leaks) == (set(DocumentKind.values), True, [])
