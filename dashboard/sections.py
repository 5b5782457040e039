"""The dashboard's sections and how an app adds one.

A section is a titled list of tables; each table is shown as a chart with the same numbers in a
plain table beside it, and exports to CSV and Excel. A *provider* builds one section's tables
for a scope (who is looking, the requests they may see narrowed by the dashboard's filters).
The review side's sections are this app's own (``dashboard.figures``); the apps of the later
stages add theirs the same way, from their ``AppConfig.ready``::

    from dashboard.sections import Provider, register

    register(Provider(key="released", title=_("拨付"), order=35, build=released_tables))

(the money released in tranches, the outcome reports' revenue, growth, patents, jobs and
landings per district). Nothing here knows them; a provider that is not registered is simply
not on the page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from workflows.models import FundingApplication

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from workflows.actors import Viewer

Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Table:
    """One figure: headings, rows, and which columns the chart draws.

    ``chart`` is "bar" (one bar per row, one series per charted column) or None (a table
    only); ``charted`` are the indexes of the columns drawn; ``money`` those shown in yuan.
    """

    key: str
    title: StrOrPromise
    headings: tuple[StrOrPromise, ...]
    rows: list[tuple[Cell, ...]]
    chart: str | None = "bar"
    charted: tuple[int, ...] = (1,)
    money: tuple[int, ...] = ()
    note: StrOrPromise = ""

    def cells(self) -> list[list[tuple[str, bool]]]:
        """The rows as the page prints them: (text, is a number) per cell, money in yuan."""
        from workflows.templatetags.money import yuan

        return [
            [
                (yuan(v) if i in self.money and v is not None else _text(v), _is_number(v))
                for i, v in enumerate(row)
            ]
            for row in self.rows
        ]

    def chart_data(self) -> dict[str, Any]:
        """What the chart script draws: the rows' labels, and one series per charted column."""
        return {
            "key": self.key,
            "labels": [str(row[0]) for row in self.rows],
            "series": [
                {
                    "name": str(self.headings[i]),
                    "money": i in self.money,
                    "data": [_number(row[i]) for row in self.rows],
                }
                for i in self.charted
            ],
        }


def _text(value: Cell) -> str:
    return "—" if value is None else str(value)


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _number(value: Cell) -> float | int | None:
    # The chart draws numbers; the table beside it shows the exact amounts.
    if value is None or isinstance(value, str):
        return None
    return float(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True)
class Scope:
    """Who is looking and what they may see: ``applications`` is the access policy's list for
    this user, narrowed by the dashboard's filters (call, year, special project)."""

    user: Viewer
    applications: QuerySet[FundingApplication]
    call_id: int | None = None
    year: int | None = None
    special_project_id: int | None = None
    now: datetime.datetime = field(default_factory=timezone.now)
    # Whose figures these are and with which filters (None: not cached): the same for every
    # user who sees the same requests, so a lead department's officers share theirs.
    cache_key: str | None = None


@dataclass(frozen=True)
class Section:
    key: str
    title: StrOrPromise
    tables: list[Table]


@dataclass(frozen=True)
class Provider:
    """Builds one section. ``visible`` says whether this user may see the section at all (the
    figures inside are computed over ``scope.applications`` in any case)."""

    key: str
    title: StrOrPromise
    order: int
    build: Callable[[Scope], list[Table]]
    visible: Callable[[Viewer], bool] = lambda user: True


_providers: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Add (or replace, by key) a section of the dashboard."""
    _providers[provider.key] = provider


def providers() -> list[Provider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.key))


def sections_for(scope: Scope) -> list[Section]:
    """Every registered section this user may see, built for the scope, in order."""
    return [
        Section(p.key, p.title, _tables(p, scope)) for p in providers() if p.visible(scope.user)
    ]


def _tables(provider: Provider, scope: Scope) -> list[Table]:
    """A section's tables, kept ``DASHBOARD_CACHE_SECONDS`` (the figures are a programme's
    totals: a few minutes old is what a report upwards needs, and some take seconds over a
    hundred thousand requests)."""
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", 0)
    if not seconds or scope.cache_key is None:
        return provider.build(scope)
    key = f"dashboard:{provider.key}:{get_language()}:{scope.cache_key}"
    return cast("list[Table]", cache.get_or_set(key, lambda: provider.build(scope), seconds))


def find_table(scope: Scope, section_key: str, table_key: str) -> Table | None:
    """One table of one section (for its export), if this user may see it."""
    provider = _providers.get(section_key)
    if provider is None or not provider.visible(scope.user):
        return None
    return next((t for t in _tables(provider, scope) if t.key == table_key), None)
