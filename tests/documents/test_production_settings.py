"""Production settings refuse to start without the public address documents print."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings.py"


@pytest.fixture
def production(monkeypatch):
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "production-like-secret-key-0123456789-abcdefghijkl")


def test_production_settings_refuse_to_start_without_a_verification_address(
    production, monkeypatch
):
    monkeypatch.delenv("DOCUMENT_VERIFY_BASE_URL", raising=False)

    with pytest.raises(ImproperlyConfigured, match="DOCUMENT_VERIFY_BASE_URL"):
        runpy.run_path(str(SETTINGS))


def test_production_settings_print_the_configured_verification_address(production, monkeypatch):
    monkeypatch.setenv("DOCUMENT_VERIFY_BASE_URL", "https://funds.example.gov.cn")

    loaded = runpy.run_path(str(SETTINGS))
    assert loaded["DOCUMENT_VERIFY_BASE_URL"] == "https://funds.example.gov.cn"


def test_development_settings_default_to_the_local_address(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.delenv("DOCUMENT_VERIFY_BASE_URL", raising=False)

    assert runpy.run_path(str(SETTINGS))["DOCUMENT_VERIFY_BASE_URL"] == "http://127.0.0.1:8000"
