"""The decision path's hottest statements, compiled once: the row lock of an application
(with its audit chain) or of several, its open flow tasks, the writes of the flow's rows, and
the check of a reference that model validation makes.

Django compiles a query anew every time it runs it, and compiling a SELECT that follows
foreign keys (select_related) is most of a decision's client time. A ``Prepared`` statement is
the queryset compiled once with a stand-in for the one value that changes (the application's
id, the process's id); it is run with the value in its place, and its rows become model
instances as Django's ModelIterable makes them (the model's columns, then each related row's).
A query whose parameters are not what it was compiled with is compiled afresh each time.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db import DatabaseError, transaction
from django.db.models import Model, QuerySet, signals
from django.db.models.query import get_related_populators

if TYPE_CHECKING:
    from django.db.models import Field, ForeignKey, ManyToManyField

STAND_IN = -7_000_001  # the changing value while a statement is compiled (the next: one less)
KEPT_FOR_AT_MOST = 50  # ids in one statement kept compiled

_COMPILED: weakref.WeakKeyDictionary[Any, dict[Hashable, Prepared]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Prepared:
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    # Of each stand-in among the parameters, in order; empty: compiled for its values.
    positions: tuple[int, ...]
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

    def rows(self, *values: Any) -> list[tuple[Model, tuple[Any, ...]]]:
        """The instances for ``values`` (one for each stand-in), each with the columns ``wrap``
        added after the query's."""
        compiler, sql, params = self.compiler, self.sql, self.params
        if self.positions:
            filled = list(params)
            for position, value in zip(self.positions, values, strict=True):
                filled[position] = value
            params = tuple(filled)
        with compiler.connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return self.instances(fetched)

    def instances(self, fetched: list[Any]) -> list[tuple[Model, tuple[Any, ...]]]:
        """The instances of rows fetched with the statement (or read as it would fetch them),
        the queryset's annotations set on each, as Django's ModelIterable does, each with the
        columns after the query's."""
        compiler = self.compiler
        connection = compiler.connection
        width = len(compiler.select)
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        model, init_list, using = klass_info["model"], self.init_list, compiler.using
        annotations = compiler.annotation_col_map.items()
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
            for name, position in annotations:
                setattr(instance, name, row[position])
            found.append((instance, tuple(raw[width:])))
        return found


Wrap = Callable[[str, str], str]


def prepared(
    key: Hashable, build: Callable[[int], QuerySet[Any]], value: int, *, wrap: Wrap | None = None
) -> Prepared:
    """The statement of ``build(value)`` (one id, ``value``), kept under ``key`` on this
    thread's connection once compiled; ``wrap(sql, vendor)`` may put the query inside a larger
    statement that adds columns after its own."""
    return _kept(key, lambda ids: build(ids[0]), (value,), wrap)


def prepared_for_ids(
    key: Hashable,
    build: Callable[[list[int]], QuerySet[Any]],
    ids: tuple[int, ...],
    *,
    wrap: Wrap | None = None,
) -> Prepared:
    """As ``prepared``, for ``build(ids)`` of several distinct ids: kept once for each number
    of ids, up to a meeting's agenda or so (a longer list is compiled each time)."""
    if len(ids) > KEPT_FOR_AT_MOST:
        return compiled(build(list(ids)), wrap=wrap)
    return _kept((key, len(ids)), lambda values: build(list(values)), ids, wrap)


def _kept(
    key: Hashable,
    build: Callable[[tuple[int, ...]], QuerySet[Any]],
    values: tuple[int, ...],
    wrap: Wrap | None,
) -> Prepared:
    connection = transaction.get_connection()
    kept = _COMPILED.setdefault(connection, {})
    statement = kept.get(key)
    if statement is None:
        stand_ins = tuple(STAND_IN - n for n in range(len(values)))
        statement = compiled(build(stand_ins), wrap=wrap, stand_ins=stand_ins)
        if not statement.positions:  # the ids are not simply parameters: no keeping it
            return compiled(build(values), wrap=wrap)
        kept[key] = statement
    return statement


def compiled(
    rows: QuerySet[Any], *, wrap: Wrap | None = None, stand_ins: tuple[int, ...] = ()
) -> Prepared:
    """The statement of ``rows``, compiled now, for ``Prepared.rows`` (with ``stand_ins``, for
    the values that take their places, when each is one parameter)."""
    connection = transaction.get_connection()
    compiler = rows.query.get_compiler(using=connection.alias)
    sql, params = compiler.as_sql()
    if wrap is not None:
        sql = wrap(sql, connection.vendor)
    params = tuple(params)
    found = [[i for i, p in enumerate(params) if type(p) is int and p == s] for s in stand_ins]
    positions = tuple(at[0] for at in found) if all(len(at) == 1 for at in found) else ()
    return Prepared(compiler, sql, params, positions)


# Writes of the flow's rows (its process and tasks) on the decision path. viewflow saves a task
# through the ORM, all its columns, and links it to the task before it in a second statement;
# here each INSERT and UPDATE is written out once per model and set of columns, and on
# PostgreSQL a new task and its link to the previous one go in one statement. Each does what
# ``Model.save`` does around its statement (related ids taken from saved objects, the fields'
# pre_save, the signals) and writes the same values.


@functools.cache
def _insert_sql(model: type[Model], link: str | None, vendor: str) -> tuple[str, tuple[Any, ...]]:
    meta = model._meta
    fields = tuple(
        f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
    )
    _plain_placeholders(fields)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = (
        f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({values}) RETURNING "{meta.pk.column}"'  # noqa: S608
    )
    if link is not None and vendor == "postgresql":
        through = cast("ManyToManyField[Any, Any]", meta.get_field(link))
        sql = (
            f"WITH added AS ({sql}) "  # noqa: S608
            f'INSERT INTO "{through.m2m_db_table()}" '
            f'("{through.m2m_column_name()}", "{through.m2m_reverse_name()}") '
            f'SELECT added."{meta.pk.column}", %s FROM added '
            f'RETURNING "{through.m2m_column_name()}"'
        )
    return sql, fields


@functools.cache
def _link_sql(model: type[Model], link: str) -> str:
    through = cast("ManyToManyField[Any, Any]", model._meta.get_field(link))
    return (
        f'INSERT INTO "{through.m2m_db_table()}" '  # noqa: S608
        f'("{through.m2m_column_name()}", "{through.m2m_reverse_name()}") VALUES (%s, %s)'
    )


@functools.cache
def _update_sql(model: type[Model], names: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    meta = model._meta
    fields = tuple(cast("Field[Any, Any]", meta.get_field(name)) for name in names)
    _plain_placeholders(fields)
    columns = ", ".join(f'"{f.column}" = %s' for f in fields)
    return f'UPDATE "{meta.db_table}" SET {columns} WHERE "{meta.pk.column}" = %s', fields  # noqa: S608


def _plain_placeholders(fields: tuple[Any, ...]) -> None:
    if any(hasattr(f, "get_placeholder") for f in fields):
        raise RuntimeError("a field with its own placeholder is not written here")


def insert_row(
    instance: Model,
    *,
    linked: tuple[str, Model] | None = None,
    updating: tuple[Model, tuple[str, ...]] | None = None,
) -> None:
    """``instance.save()`` of a new row, and, ``linked`` (a many-to-many field's name and a
    row), ``getattr(instance, name).add(row)``, the row saved first if it is new.
    ``updating`` (a saved row and names of its fields): first ``update_row`` of it. On
    PostgreSQL all in one statement."""
    connection = transaction.get_connection()
    model = type(instance)
    link, row = linked if linked is not None else (None, None)
    through = getattr(model, link).through if link is not None else None
    first_new = row is not None and row.pk is None
    if updating is not None and (link is None or row is None or first_new):
        raise RuntimeError("a row is updated first only for a new row linked to a saved one")
    if connection.vendor != "postgresql" or _has_link_listeners(through):
        # One statement each (a new row and its link together on PostgreSQL, announced).
        if updating is not None:
            update_row(*updating)
        if row is not None and first_new:
            insert_row(row)
        _insert_alone(instance, link, row, through, connection)
        return
    if updating is not None:
        held: list[Held] | None = connection.__dict__.get(_HELD)
        # Named after the writes already held with it (inside ``writes_held``).
        write = _held_insert(  # link and row given: checked above
            instance, cast(str, link), cast(Model, row), updating, len(held) if held else 0
        )
        if held is None:
            _send(connection, write)
        else:
            held.append(write)
        return
    if row is None or not first_new:
        _insert_alone(instance, link, row, through, connection)
        return
    first_params = insert_statement(row)[1]
    params = insert_statement(instance)[1]
    sql = _inserting_first_sql(type(row), model, cast(str, link))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*first_params, *params])
        pk, first_pk = cursor.fetchone()
    row_inserted(row, first_pk)
    row_inserted(instance, pk)


# Writes held back on PostgreSQL for a later statement of the same transaction: inside
# ``writes_held``, a new row with its link to a row updated first (a decision's next flow task,
# with the finished one) is not sent at once but kept, to go as common table expressions into
# the decision's last statement (``audit.record_transition``, ``take_held``). Any other
# statement sent meanwhile sends the held ones first, by themselves, so that every statement
# sees the rows written before it.
_HELD = "_writes_held"


@dataclass(frozen=True)
class Held:
    """A held write: its common table expressions (each followed by a comma, for a WITH
    list), the scalar subqueries selecting what it returns, its parameters, and what is done
    with the returned values once it is written."""

    ctes: str
    columns: tuple[str, ...]
    params: list[Any]
    done: Callable[[list[Any]], None]


@contextmanager
def writes_held() -> Iterator[None]:
    """On PostgreSQL, the block's held writes (see above) go with a later statement that takes
    them, or by themselves before any other statement, or at the end of the block; an error in
    the block drops them with the transaction. Elsewhere, and inside another such block,
    nothing is held."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or _HELD in connection.__dict__:
        yield
        return
    connection.__dict__[_HELD] = []
    try:
        with connection.execute_wrapper(_held_first):
            yield
            send_held(connection)
    finally:
        connection.__dict__.pop(_HELD, None)


def take_held(connection: Any) -> list[Held]:
    """The held writes, for the caller's statement to carry (it calls each one's ``done``)."""
    held: list[Held] | None = connection.__dict__.get(_HELD)
    if not held:
        return []
    taken = list(held)
    held.clear()
    return taken


def send_held(connection: Any) -> None:
    """Each held write, by itself."""
    for write in take_held(connection):
        _send(connection, write)


def _send(connection: Any, write: Held) -> None:
    sql = f"WITH {write.ctes[:-2]} SELECT {', '.join(write.columns)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, write.params)
        write.done(list(cursor.fetchone()))


def _held_first(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    connection = context["connection"]
    if connection.__dict__.get(_HELD):
        send_held(connection)
    return execute(sql, params, many, context)


def _held_insert(
    instance: Model, link: str, row: Model, updating: tuple[Model, tuple[str, ...]], n: int
) -> Held:
    update_params = update_statement(*updating)[1]
    params = insert_statement(instance)[1]
    ctes, columns = _held_insert_sql(type(updating[0]), updating[1], type(instance), link, n)

    def done(values: list[Any]) -> None:
        pk, updated = values
        if not updated:
            raise DatabaseError("Save with update_fields did not affect any rows.")
        row_updated(*updating)
        row_inserted(instance, pk)

    return Held(ctes, columns, [*update_params, *params, row.pk], done)


@functools.cache
def _held_insert_sql(
    updated: type[Model], names: tuple[str, ...], model: type[Model], link: str, n: int
) -> tuple[str, tuple[str, ...]]:
    """The UPDATE of a row (``_update_sql``), the INSERT of a new row (``_insert_sql``) and its
    link to a saved one, as common table expressions named ``h{n}…``, and what selects the new
    id and the number of rows updated."""
    update, _ = _update_sql(updated, names)
    insert, _ = _insert_sql(model, None, "postgresql")
    through = cast("ManyToManyField[Any, Any]", model._meta.get_field(link))
    pk = model._meta.pk.column
    new, other = through.m2m_column_name(), through.m2m_reverse_name()
    name = f"h{n}"
    ctes = (
        f"{name}_updated AS ({update} RETURNING 1), {name}_added AS ({insert}), "  # noqa: S608
        f'{name} AS (INSERT INTO "{through.m2m_db_table()}" ("{new}", "{other}") '
        f'SELECT {name}_added."{pk}", %s FROM {name}_added RETURNING "{new}"), '
    )
    returned = f'(SELECT "{new}" FROM {name})'  # noqa: S608
    return ctes, (returned, f"(SELECT count(*) FROM {name}_updated)")  # noqa: S608


def _insert_alone(
    instance: Model, link: str | None, row: Model | None, through: Any, connection: Any
) -> None:
    """The new row and its link to a saved ``row``; on PostgreSQL in one statement."""
    model = type(instance)
    sql, params = insert_statement(instance, link=link)
    announced = row is not None and _announce_link(through, instance, row, "pre_add", connection)
    with connection.cursor() as cursor:
        if row is not None and connection.vendor == "postgresql":
            cursor.execute(sql, [*params, row.pk])
            pk = cursor.fetchone()[0]
        else:
            cursor.execute(sql, params)
            pk = cursor.fetchone()[0]
            if link is not None and row is not None:
                cursor.execute(_link_sql(model, link), [pk, row.pk])
    row_inserted(instance, pk)
    if announced and row is not None:
        _announce_link(through, instance, row, "post_add", connection)


@functools.cache
def _inserting_first_sql(first: type[Model], model: type[Model], link: str) -> str:
    """PostgreSQL: the INSERT of a new row of ``first``, then the INSERT of the new row of
    ``model`` and its link to it, in one statement, returning both ids (the new row's first).
    The first row is scanned before the other is asked for, so it is inserted first and
    draws its id first, as when the two are saved one after the other."""
    first_insert, _ = _insert_sql(first, None, "postgresql")
    insert, _ = _insert_sql(model, None, "postgresql")
    through = cast("ManyToManyField[Any, Any]", model._meta.get_field(link))
    pk = model._meta.pk.column
    new, other = through.m2m_column_name(), through.m2m_reverse_name()
    return (
        f"WITH first AS ({first_insert}), added AS ({insert}) "  # noqa: S608
        f'INSERT INTO "{through.m2m_db_table()}" ("{new}", "{other}") '
        f'SELECT (SELECT added."{pk}" FROM added), first."{first._meta.pk.column}" FROM first '
        f'RETURNING "{new}", "{other}"'
    )


def insert_statement(instance: Model, *, link: str | None = None) -> tuple[str, list[Any]]:
    """The INSERT that ``instance.save()`` sends for a new row (returning its id), with what
    save does before it (related ids taken from saved objects, pre_save, the fields'
    pre_save); ``row_inserted`` does what it does after. On PostgreSQL ``link`` adds the
    row's link to one more row (its id the last parameter, to be appended)."""
    connection = transaction.get_connection()
    model = type(instance)
    # Ids of related rows saved since they were set, as save() takes them (not in the stubs).
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    signals.pre_save.send(
        sender=model, instance=instance, raw=False, using=connection.alias, update_fields=None
    )
    sql, fields = _insert_sql(model, link, connection.vendor)
    return sql, [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def row_inserted(instance: Model, pk: Any) -> None:
    """What ``instance.save()`` does once its new row is written with the id ``pk``."""
    connection = transaction.get_connection()
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
    signals.post_save.send(
        sender=type(instance),
        instance=instance,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )


def _has_link_listeners(through: Any) -> bool:
    return through is not None and signals.m2m_changed.has_listeners(through)


def _announce_link(through: Any, instance: Model, row: Model, action: str, connection: Any) -> bool:
    """m2m_changed, as ``add`` sends it, when anybody listens."""
    if not signals.m2m_changed.has_listeners(through):
        return False
    signals.m2m_changed.send(
        sender=through,
        action=action,
        instance=instance,
        reverse=False,
        model=type(row),
        pk_set={row.pk},
        using=connection.alias,
    )
    return True


def update_row(instance: Model, names: tuple[str, ...]) -> None:
    """``instance.save(update_fields=names)`` of a saved row."""
    connection = transaction.get_connection()
    sql, params = update_statement(instance, names)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not cursor.rowcount:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    row_updated(instance, names)


def update_statement(instance: Model, names: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The UPDATE that ``instance.save(update_fields=names)`` sends (its id the last
    parameter), with what save does before it; ``row_updated`` does what it does after."""
    connection = transaction.get_connection()
    model = type(instance)
    # Ids of related rows saved since they were set, as save() takes them (not in the stubs).
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    signals.pre_save.send(
        sender=model,
        instance=instance,
        raw=False,
        using=connection.alias,
        update_fields=frozenset(names),
    )
    sql, fields = _update_sql(model, names)
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    return sql, [*params, instance.pk]


def row_updated(instance: Model, names: tuple[str, ...]) -> None:
    """What ``instance.save(update_fields=names)`` does once the row is written."""
    connection = transaction.get_connection()
    instance._state.db = connection.alias
    signals.post_save.send(
        sender=type(instance),
        instance=instance,
        created=False,
        update_fields=frozenset(names),
        raw=False,
        using=connection.alias,
    )


# The check of a reference that model validation makes (ForeignKey.validate: the referenced row
# exists and is among the field's choices), compiled once per connection and field from the
# very queryset Django builds, with a stand-in for the referenced key.

_REFERENCE_STAND_IN = "\x00reference"
_REFERENCES: weakref.WeakKeyDictionary[Any, dict[Any, tuple[str, tuple[Any, ...], int]]] = (
    weakref.WeakKeyDictionary()
)


def reference_is_valid(field: ForeignKey[Any, Any], value: Any) -> bool:
    """Whether ``value`` names a row ``field`` may refer to, as ``field.validate`` asks."""
    connection = transaction.get_connection()
    kept = _REFERENCES.setdefault(connection, {})
    statement = kept.get(field)
    if statement is None:
        remote = field.remote_field
        rows = (
            remote.model._base_manager.using(connection.alias)
            .filter(**{str(remote.field_name): _REFERENCE_STAND_IN})
            .complex_filter(field.get_limit_choices_to())
            .values_list("pk")[:1]
        )
        sql, params = rows.query.get_compiler(using=connection.alias).as_sql()
        positions = [i for i, p in enumerate(params) if p == _REFERENCE_STAND_IN]
        if len(positions) != 1:
            raise RuntimeError(f"the reference check of {field} is not written once")
        statement = kept[field] = (sql, tuple(params), positions[0])
    sql, params, position = statement
    filled = list(params)
    filled[position] = field.target_field.get_db_prep_value(value, connection, prepared=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, filled)
        return cursor.fetchone() is not None
