"""Posting the back office's forms as a browser would: the form as the page shows it, with some
fields changed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.test import Client


def _value(bound: Any) -> Any:
    value = bound.value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return value


def _fields(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        widget = getattr(field.widget, "widget", field.widget)  # unwrap the admin's wrapper
        value = form[name].value()
        if isinstance(widget, forms.MultiWidget):
            value = value if isinstance(value, list) else widget.decompress(value)
            for i, part in enumerate(value):
                if part not in (None, ""):
                    data[f"{key}_{i}"] = part
            continue
        value = _value(form[name])
        if value not in ("", []):
            data[key] = value
    return data


def errors(response: Any) -> Any:
    """The form's and the inlines' errors of a page that did not save."""
    context = response.context
    return (
        context["adminform"].form.errors,
        [inline.formset.errors for inline in context["inline_admin_formsets"]],
        [inline.formset.non_form_errors() for inline in context["inline_admin_formsets"]],
    )


def form_data(client: Client, url: str) -> dict[str, Any]:
    """The data the page's form would send unchanged: its fields and its inlines'."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data: dict[str, Any] = {}
    data.update(_fields(response.context["adminform"].form))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management[name])
        for sub in formset.forms:
            data.update(_fields(sub))
    return data
