"""The decision path's hottest reads, compiled once per connection: the row lock of an
application (with its audit chain) and its open flow tasks.

Django compiles a query anew every time it runs it, and compiling a SELECT that follows
foreign keys (select_related) is most of a decision's client time. A ``Prepared`` statement is
the queryset compiled once with a stand-in for the one value that changes (the application's
id, the process's id); it is run with the value in its place, and its rows become model
instances as Django's ModelIterable makes them (the model's columns, then each related row's).
A query whose parameters are not what it was compiled with is compiled afresh each time.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

STAND_IN = -7_000_001  # the changing value while a statement is compiled

_COMPILED: weakref.WeakKeyDictionary[Any, dict[Hashable, Prepared]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Prepared:
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    position: int | None  # of the stand-in among the parameters; None: compiled for one value
    # How a fetched row becomes instances, worked out once with the statement (as Django's
    # ModelIterable does on every run): the model's column names, the converters of the
    # columns that have any, and the related rows' populators.
    init_list: list[str] = field(init=False)
    converters: list[tuple[int, tuple[list[Any], Any]]] = field(init=False)
    populators: list[Any] = field(init=False)

    def __post_init__(self) -> None:
        compiler = self.compiler
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        set_ = object.__setattr__  # frozen: set once, here
        set_(self, "init_list", [column[0].target.attname for column in select[start:end]])
        columns = [column[0] for column in select[: compiler.col_count]]
        set_(self, "converters", list(compiler.get_converters(columns).items()))
        # django-stubs describe a later Django's signature (with fetch_mode).
        populators = get_related_populators(klass_info, select, compiler.using)  # type: ignore[call-arg]
        set_(self, "populators", populators)

    def rows(self, value: Any) -> list[tuple[Model, tuple[Any, ...]]]:
        """The instances for ``value``, each with the columns ``wrap`` added after the query's."""
        compiler, sql, params = self.compiler, self.sql, self.params
        if self.position is not None:
            params = (*params[: self.position], value, *params[self.position + 1 :])
        connection = compiler.connection
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        width = len(compiler.select)
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        model, init_list, using = klass_info["model"], self.init_list, compiler.using
        found = []
        for raw in fetched:
            row = list(raw[:width])
            for position, (converters, expression) in self.converters:
                converted = row[position]
                for converter in converters:
                    converted = converter(converted, expression, connection)
                row[position] = converted
            instance = model.from_db(using, init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, instance)
            found.append((instance, tuple(raw[width:])))
        return found


Wrap = Callable[[str, str], str]


def prepared(
    key: Hashable, build: Callable[[int], QuerySet[Any]], value: int, *, wrap: Wrap | None = None
) -> Prepared:
    """The statement of ``build(value)`` (one id, ``value``), kept under ``key`` on this
    thread's connection once compiled; ``wrap(sql, vendor)`` may put the query inside a larger
    statement that adds columns after its own."""
    connection = transaction.get_connection()
    kept = _COMPILED.setdefault(connection, {})
    statement = kept.get(key)
    if statement is None:
        statement = compiled(build(STAND_IN), wrap=wrap)
        if statement.position is None:  # the id is not simply a parameter: no keeping it
            return compiled(build(value), wrap=wrap)
        kept[key] = statement
    return statement


def compiled(rows: QuerySet[Any], *, wrap: Wrap | None = None) -> Prepared:
    """The statement of ``rows``, compiled now, for ``Prepared.rows``."""
    connection = transaction.get_connection()
    compiler = rows.query.get_compiler(using=connection.alias)
    sql, params = compiler.as_sql()
    if wrap is not None:
        sql = wrap(sql, connection.vendor)
    params = tuple(params)
    positions = [i for i, p in enumerate(params) if type(p) is int and p == STAND_IN]
    return Prepared(compiler, sql, params, positions[0] if len(positions) == 1 else None)
