"""The unified social credit code (统一社会信用代码, GB 32100-2015) and its check digit."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The 31 characters of the code's alphabet (no I, O, S, V, Z), in the order that gives their value.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first_seventeen: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first_seventeen, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为18位。"), code="length")
    if any(ch not in ALPHABET for ch in code):
        raise ValidationError(_("统一社会信用代码含有无效字符。"), code="alphabet")
    if check_character(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确。"), code="check_digit")
