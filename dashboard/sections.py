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

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from workflows import access
from workflows.models import AuditEntry, FundingApplication

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

    def plain(self) -> Table:
        """The table with its texts translated (for keeping: a lazy text costs milliseconds
        to read back from the cache, and the kept figures are of one language anyway)."""
        return dataclasses.replace(
            self,
            title=str(self.title),
            headings=tuple(str(h) for h in self.headings),
            note=str(self.note),
        )

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

    def through(self, prefix: str) -> Q:
        """``applications`` as a condition on a model that reaches its request through
        ``prefix`` (the access policy's, and the dashboard's filters): a figure over flow
        tasks or audit entries tests the joined request instead of listing the requests."""
        narrowed = {
            "call_id": self.call_id,
            "call__year": self.year,
            "special_project_id": self.special_project_id,
        }
        return access.visible_q(self.user, prefix) & Q(
            **{f"{prefix}__{lookup}": value for lookup, value in narrowed.items() if value}
        )


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
    shown = [p for p in providers() if p.visible(scope.user)]
    tables = _tables(shown, scope)
    return [Section(p.key, p.title, tables[p.key]) for p in shown]


def _tables(shown: list[Provider], scope: Scope) -> dict[str, list[Table]]:
    """The sections' tables, kept ``DASHBOARD_CACHE_SECONDS`` (the figures are a programme's
    totals, and some take a second over a hundred thousand requests) or until the next change
    of the figures (``figures_changed``), whichever comes first: kept figures are never older
    than the last decision."""
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", 0)
    if not seconds or scope.cache_key is None:
        return {p.key: p.build(scope) for p in shown}
    version = figures_version()
    keys = {p.key: f"dashboard:{version}:{p.key}:{get_language()}:{scope.cache_key}" for p in shown}
    kept = cache.get_many(list(keys.values()))
    tables = {p.key: cast("list[Table]", kept[keys[p.key]]) for p in shown if keys[p.key] in kept}
    built = {p.key: [t.plain() for t in p.build(scope)] for p in shown if p.key not in tables}
    if built:
        cache.set_many({keys[k]: v for k, v in built.items()}, seconds)
    return {**tables, **built}


def find_table(scope: Scope, section_key: str, table_key: str) -> Table | None:
    """One table of one section (for its export), if this user may see it."""
    provider = _providers.get(section_key)
    if provider is None or not provider.visible(scope.user):
        return None
    return next((t for t in _tables([provider], scope)[provider.key] if t.key == table_key), None)


# --- keeping the figures fresh -------------------------------------------------------------------

# The version of the figures, part of every kept figure's key: the sequence number of the last
# audit entry. Every decision and step appends one in its own transaction, so a committed change
# gives a new version and a rolled-back one none, and a decision writes nothing for the
# dashboard: the reader asks for the version (one look-up on the entries' primary key).


def figures_version() -> int:
    """The version of the figures now: the last audit entry's sequence number (0: none)."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return int(last or 0)


def figures_changed() -> None:
    """A decision or a step on a request committed: with a worker, the dashboard's first page
    of each audience is computed again at once for the new version (embedded, the first reader
    computes it)."""
    if not getattr(settings, "DASHBOARD_CACHE_SECONDS", 0) or settings.CELERY_TASK_ALWAYS_EAGER:
        return  # nothing is kept, or no worker: in process it would delay the decision
    from .tasks import warm_figures_task

    warm_figures_task.delay()


def audience_of(user: Viewer) -> str:
    """Who sees the same figures: everybody who reads everything, one lead department's
    officers, each role otherwise."""
    if access.reads_everything(user):
        return "everything"
    profile = access.profile_of(user)
    role = access.role_of(user)
    return f"{role}:{profile.department_id}:{profile.organisation_id}" if profile else str(role)


def warm_figures() -> int:
    """Compute the unfiltered dashboard of each audience for the figures' version now, in each
    language (figures already kept for it are only read); returns how many audiences were
    computed."""
    from django.contrib.auth import get_user_model
    from django.utils import translation

    readers: dict[str, Any] = {}
    users = get_user_model().objects.filter(is_active=True).select_related("profile")
    for user in users.order_by("pk").iterator(chunk_size=500):
        if access.may_read_statistics(user):
            readers.setdefault(audience_of(user), user)
    for audience, user in readers.items():
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                sections_for(
                    Scope(
                        user=user,
                        applications=access.applications_for(user),
                        cache_key=f"{audience}:",
                    )
                )
    return len(readers)
