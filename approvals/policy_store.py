"""The matching-fund policy's stored versions: loading, taking out of force and removing them,
and the version in force for a call.

Selectors read (`policy_in_force_on`, `policy_in_force_for_call`); services write in one
transaction (`load_policy`, `deactivate_policy_version`, `delete_policy_version`). The compiled
policy holds closures, so it is never pickled or stored: it is rebuilt from the stored text once
per process, cached by content hash.

The version in force for a call is the active version whose period includes the day the call
opened: every application of a call is measured by the rules announced for it, whenever its
decision falls.
"""

from __future__ import annotations

import datetime
import json
import weakref
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import Expression, F, Func, TextField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import permissions as rights
from workflows.actors import Actor
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import FundingCall
from workflows.review_path import Role
from workflows.statements import STAND_IN, Prepared

from .budgets import YearlyBudgets, budgets_read_with, with_budgets
from .models import MatchingPolicyVersion, PoolBalance
from .policy import (
    PolicyValidationError,
    PolicyVersion,
    check_periods_do_not_overlap,
    load_policy_text,
    policy_in_force,
)

# Compiled versions by content hash, built once per process.
_compiled: dict[str, PolicyVersion] = {}


def compiled_policy(record: MatchingPolicyVersion) -> PolicyVersion:
    """The evaluator's form of a stored version, compiled once per process.

    Refuses (InvalidInput) stored text whose hash is no longer the stored hash.
    """
    policy = _compiled.get(record.content_hash)
    if policy is None:
        policy = load_policy_text(record.source_text)
        if policy.content_hash != record.content_hash:
            raise InvalidInput(
                _("已存储的政策 %(policy)s 内容与其哈希不符。") % {"policy": str(record)}
            )
        _compiled[record.content_hash] = policy
    return policy


@dataclass(frozen=True)
class PolicyInForce:
    """A stored version and its compiled rules; ``balances``: the call's pool under it, by
    department code, when read and locked with the version
    (``policy_in_force_for_call(lock_pool=True)``; empty before any meeting drew on it), None
    when not; ``amounts``: their amounts, when read (``with_pool`` or ``lock_pool``)."""

    record: MatchingPolicyVersion
    policy: PolicyVersion
    balances: dict[str, PoolBalance] | None = None
    # The same balances' amounts alone, by department code (``with_pool`` without the lock:
    # no rows are made of them, since nothing writes them).
    amounts: dict[str, Decimal] | None = None


class CallPool(Func):
    """A call's pool balances under each version, as one column of the versions' query: a JSON
    array of [id, department code, balance as text] in the pool's order. ``lock``: the rows
    locked (FOR UPDATE on PostgreSQL; SQLite's writers hold the whole database). Saves the
    balances' own query where a decision reads the policy."""

    output_field = TextField()
    contains_aggregate = False

    def __init__(self, call_id: int, *, lock: bool = False) -> None:
        super().__init__(F("pk"), Value(call_id))
        self.lock = lock

    def as_sql(  # type: ignore[override]  # none of Func's templating is used
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        version_sql, version_params = compiler.compile(self.source_expressions[0])
        call_sql, call_params = compiler.compile(self.source_expressions[1])
        table = PoolBalance._meta.db_table
        rows = (
            f'SELECT id, department_code, balance, position FROM "{table}" '  # noqa: S608
            f"WHERE call_id = {call_sql} AND policy_id = {version_sql}"
        )
        if connection.vendor == "postgresql":
            rows += " FOR UPDATE" if self.lock else ""
            pairs = (
                "coalesce(json_agg(json_build_array(b.id, b.department_code, b.balance::text) "
                "ORDER BY b.position), '[]')::text"
            )
        else:
            pairs = "json_group_array(json_array(b.id, b.department_code, CAST(b.balance AS TEXT)))"
            rows += " ORDER BY position"
        return f"(SELECT {pairs} FROM ({rows}) AS b)", [*call_params, *version_params]  # noqa: S608


def _balances_read_with(
    column: str, call: FundingCall, record: MatchingPolicyVersion
) -> dict[str, PoolBalance]:
    balances = {}
    for pk, code, balance in json.loads(column):
        # As the ORM makes a row it read (the other columns deferred), the related rows at hand.
        row = PoolBalance.from_db(
            record._state.db, _BALANCE_READ, (pk, call.pk, record.pk, code, Decimal(balance))
        )
        row.call, row.policy = call, record
        balances[code] = row
    return balances


_BALANCE_READ = ("id", "call_id", "policy_id", "department_code", "balance")  # in field order


def policy_in_force_on(day: datetime.date) -> PolicyInForce | None:
    """The active version in force on `day`, or None."""
    return _in_force(list(MatchingPolicyVersion.objects.in_force_on(day)), day)


def _in_force(records: list[MatchingPolicyVersion], day: datetime.date) -> PolicyInForce | None:
    if not records:
        return None
    compiled = {r.content_hash: r for r in records}
    try:
        policy = policy_in_force([compiled_policy(r) for r in records], day)
    except PolicyValidationError as exc:  # only if versions were activated around the service
        raise InvalidInput(_("同一天有多个生效的配套资金政策版本：%s") % exc) from exc
    return PolicyInForce(compiled[policy.content_hash], policy)


def policy_day_for_call(call: FundingCall) -> datetime.date:
    return timezone.localdate(call.opens_at)


def policy_in_force_for_call(
    call: FundingCall,
    *,
    with_pool: bool = False,
    lock_pool: bool = False,
    also: dict[str, Any] | None = None,
) -> PolicyInForce | None:
    """The version that governs a call's applications: the one in force when it opened, with
    the departments' budgets set for the call's year (``budgets.YearlyBudgets``, read in the
    versions' own query). ``with_pool``: the call's pool balances under it too, in the same
    query (``lock_pool``: their rows locked until the transaction ends). ``also``: other
    columns the caller reads with the versions (expressions by name), set on the record."""
    day = policy_day_for_call(call)
    columns: dict[str, Any] = {"year_budgets": YearlyBudgets(call.year), **(also or {})}
    if with_pool or lock_pool:
        columns["call_pool"] = CallPool(call.pk, lock=lock_pool)
    # The year's budgets (and the pool) in the versions' own query.
    records = _versions_with(day, columns)
    in_force = _in_force(records, day)
    if in_force is None:
        return None
    record = in_force.record
    budgets = budgets_read_with(cast(str, getattr(record, "year_budgets", "[]")))
    balances, amounts = None, None
    if lock_pool:  # rows, for the meeting's draw to write
        balances = _balances_read_with(cast(str, record.call_pool), call, record)  # type: ignore[attr-defined]
        amounts = {code: row.balance for code, row in balances.items()}
    elif with_pool:
        pool = json.loads(cast(str, record.call_pool))  # type: ignore[attr-defined]
        amounts = {code: Decimal(balance) for _, code, balance in pool}
    return PolicyInForce(record, with_budgets(in_force.policy, budgets), balances, amounts)


# The versions' query, compiled once per connection for each set of columns read with it.
STAND_IN_DAY = datetime.date(1901, 2, 3)  # the day while it is compiled
_VERSIONS: weakref.WeakKeyDictionary[Any, dict[Hashable, _VersionsStatement | None]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _VersionsStatement:
    """The versions in force on a day, with columns read with them, compiled with stand-ins for
    the day and for each whole number among the columns' values, run with the values in their
    places; its rows become versions as ``Prepared.instances`` makes them (the columns set on
    each by name)."""

    statement: Prepared
    day_positions: tuple[int, ...]
    value_positions: tuple[int, ...]  # of the columns' whole numbers, in ``_values`` order

    def rows(self, day: datetime.date, values: list[int]) -> list[MatchingPolicyVersion]:
        statement = self.statement
        connection = statement.compiler.connection
        params = list(statement.params)
        adapted = connection.ops.adapt_datefield_value(day)
        for position in self.day_positions:
            params[position] = adapted
        for position, value in zip(self.value_positions, values, strict=True):
            params[position] = type(params[position])(value)
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            fetched = cursor.fetchall()
        return [cast(MatchingPolicyVersion, r) for r, _ in statement.instances(fetched)]


def _values(expression: Any) -> Iterator[Value]:
    """The plain values an expression is made of, depth first."""
    if isinstance(expression, Value):
        yield expression
    elif isinstance(expression, Expression):
        for source in expression.get_source_expressions():
            yield from _values(source)


def _with_stand_ins(expression: Any, stand_ins: Iterator[int]) -> Any:
    """A copy of ``expression`` with each whole number among its values replaced by the next
    stand-in."""
    if isinstance(expression, Value):
        if type(expression.value) is not int:
            return expression
        stand_in = expression.copy()
        stand_in.value = next(stand_ins)
        return stand_in
    if not isinstance(expression, Expression):
        return expression
    copy = expression.copy()
    copy.set_source_expressions(
        [_with_stand_ins(source, stand_ins) for source in expression.get_source_expressions()]
    )
    return copy


def _versions_with(day: datetime.date, columns: dict[str, Any]) -> list[MatchingPolicyVersion]:
    """The versions in force on ``day`` with ``columns`` read with them (set on each)."""
    values: list[int] = []
    shape: list[Hashable] = []
    for name, expression in columns.items():
        found = list(_values(expression))
        values.extend(v.value for v in found if type(v.value) is int)
        # Other values (and a column's lock) are part of the statement, as its kind is.
        constants = tuple(None if type(v.value) is int else repr(v.value) for v in found)
        shape.append((name, type(expression), getattr(expression, "lock", None), constants))
    key = tuple(shape)
    connection = transaction.get_connection()
    kept = _VERSIONS.setdefault(connection, {})
    if key not in kept:
        kept[key] = _compiled_versions(columns, len(values))
    statement = kept[key]
    if statement is None:  # its values are not simply parameters: compiled each time
        return list(MatchingPolicyVersion.objects.in_force_on(day).annotate(**columns))
    return statement.rows(day, values)


def _compiled_versions(columns: dict[str, Any], count: int) -> _VersionsStatement | None:
    stand_ins = [STAND_IN - n for n in range(count)]
    iterator = iter(stand_ins)
    replaced = {name: _with_stand_ins(e, iterator) for name, e in columns.items()}
    rows = MatchingPolicyVersion.objects.in_force_on(STAND_IN_DAY).annotate(**replaced)
    connection = transaction.get_connection()
    compiler = rows.query.get_compiler(using=connection.alias)
    sql, params = compiler.as_sql()
    params = tuple(params)
    day = connection.ops.adapt_datefield_value(STAND_IN_DAY)
    day_positions = tuple(i for i, p in enumerate(params) if type(p) is type(day) and p == day)
    # psycopg passes a value's whole number as a subclass of int (Int4): kept as it is.
    found = [
        [i for i, p in enumerate(params) if isinstance(p, int) and type(p) is not bool and p == s]
        for s in stand_ins
    ]
    if len(day_positions) != 2 or any(len(at) != 1 for at in found):
        return None
    positions = tuple(at[0] for at in found)
    return _VersionsStatement(Prepared(compiler, sql, params, ()), day_positions, positions)


def _ensure_administrator(actor: Actor | None) -> None:
    # None is the operator at the command line (manage.py load_policy).
    if actor is None or getattr(actor, "is_superuser", False):
        return
    profile = rights.profile_of(actor)
    if profile is None or profile.role != Role.ADMINISTRATOR:
        raise NotAllowed(_("只有管理员可以管理配套资金政策。"))


@dataclass(frozen=True)
class PolicyLoad:
    """What `load_policy` did: `outcome` is created, replaced or unchanged."""

    record: MatchingPolicyVersion
    policy: PolicyVersion
    outcome: str
    activated: bool


def load_policy(*, text: str, actor: Actor | None = None, activate: bool = False) -> PolicyLoad:
    """An administrator loads a policy document (YAML or JSON), optionally activating it.

    Identical content under an existing (name, version) changes nothing; other content replaces
    an unused version. Refuses, storing nothing: PolicyValidationError for an invalid document,
    or for an active version whose period overlaps another active version; InvalidInput when
    the (name, version) exists with other content and a decision has used it (bump the version).
    """
    _ensure_administrator(actor)
    policy = load_policy_text(text)
    loaded_by = actor if actor is not None and actor.pk else None
    with transaction.atomic():
        record = (
            MatchingPolicyVersion.objects.select_for_update()
            .filter(name=policy.name, version=policy.version)
            .first()
        )
        if record is not None and record.content_hash == policy.content_hash:
            outcome = "unchanged"
        elif record is not None and record.is_used:
            raise InvalidInput(
                _(
                    "政策“%(name)s”版本 %(version)s 已用于决定，不能修改；"
                    "请提高版本号（version）后作为新版本导入。"
                )
                % {"name": policy.name, "version": policy.version}
            )
        else:
            outcome = "created" if record is None else "replaced"
            record = record or MatchingPolicyVersion(name=policy.name, version=policy.version)
            record.content_hash = policy.content_hash
            record.source_text = text
            record.effective_from = policy.effective_from
            record.effective_to = policy.effective_to
            record.notice = policy.notice
            record.loaded_by = loaded_by
            record.loaded_at = timezone.now()
        activated = activate and not record.active
        if activated:
            record.active = True
            record.activated_at = timezone.now()
        if record.active:
            others = MatchingPolicyVersion.objects.active().exclude(pk=record.pk)
            check_periods_do_not_overlap([*(compiled_policy(o) for o in others), policy])
        if outcome != "unchanged" or activated:
            record.save()
    _compiled[policy.content_hash] = policy
    return PolicyLoad(record, policy, outcome, activated)


def _unused_version(version_id: int, action: str) -> MatchingPolicyVersion:
    record = MatchingPolicyVersion.objects.select_for_update().filter(pk=version_id).first()
    if record is None:
        raise NotFound(_("政策版本不存在。"))
    if record.is_used:
        raise InvalidInput(
            _("政策 %(policy)s 已用于决定，不能%(action)s。") % {"policy": record, "action": action}
        )
    return record


def deactivate_policy_version(
    *, version_id: int, actor: Actor | None = None
) -> MatchingPolicyVersion:
    """An administrator takes an unused version out of force. Refused once a decision used it."""
    _ensure_administrator(actor)
    with transaction.atomic():
        record = _unused_version(version_id, _("停用"))
        record.active = False
        record.save(update_fields=["active"])
    return record


def delete_policy_version(*, version_id: int, actor: Actor | None = None) -> None:
    """An administrator removes a version loaded by mistake. Refused once a decision used it."""
    _ensure_administrator(actor)
    with transaction.atomic():
        _unused_version(version_id, _("删除")).delete()


def mark_policy_used(record: MatchingPolicyVersion) -> None:
    """A decision has stated an amount under this version: from now on it is frozen."""
    if record.used_at is None:  # read in this transaction; frozen versions stay as they are
        MatchingPolicyVersion.objects.filter(pk=record.pk).freeze(timezone.now())
