"""The path converter for database ids in every app's URLs.

Django's ``int`` converter accepts any number of digits; a value past the 64-bit range then
reaches the database driver and fails there (``OverflowError`` on SQLite, ``DataError`` on
PostgreSQL) as a server error. ``<id:pk>`` matches only ids a ``BigAutoField`` can hold, so a
larger number is simply a page that does not exist (404).
"""

from django.urls import register_converter

BIGINT_MAX = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            raise ValueError(value)  # the resolver reads this as "no match": a 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
