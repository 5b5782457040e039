"""How a form field is printed on every page: ``{{ field|described }}`` is its widget tied to
its help text and its errors (``aria-describedby``, ``aria-invalid``), as ``_field.html`` lays
them out."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def described(field: Any) -> SafeString:
    ids = []
    attrs: dict[str, str] = {}
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    if field.errors:
        ids.append(f"{field.auto_id}_errors")
        attrs["aria-invalid"] = "true"
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.field.required and field.widget_type not in ("checkbox", "radioselect"):
        attrs["required"] = ""
    return field.as_widget(attrs=attrs)  # type: ignore[no-any-return]
