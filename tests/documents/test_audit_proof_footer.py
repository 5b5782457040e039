"""The footer prints the audit checkpoint and inclusion proof of a decision when it has one."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

PROOF = {
    "checkpoint": 128,
    "root": "ab12" * 16,
    "entry": 97,
    "proof": ["cd" * 32],
    "key_id": "9f3a",
}


def test_a_document_with_an_audit_proof_prints_its_checkpoint_root_and_entry():
    html = render_to_string("documents/base.html", {"audit_proof": PROOF})

    assert "审计检查点 #128 · 根 ab12ab12ab12ab12 · 记录 #97" in html


def test_a_document_without_an_audit_proof_prints_no_checkpoint():
    assert "审计检查点" not in render_to_string("documents/base.html", {})


def test_an_english_translation_prints_the_audit_proof_in_english():
    with translation.override("en"):
        html = render_to_string("documents/base.html", {"audit_proof": PROOF})

    assert "Audit checkpoint #128 · root ab12ab12ab12ab12 · entry #97" in html
