"""Writing the configuration log: a snapshot of an object's fields, and one entry per change.

Every change the back office makes calls ``record_change`` in the change's own transaction, so a
change without its entry never commits.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from .models import ChangeAction, ConfigChange

if TYPE_CHECKING:
    from workflows.actors import Actor

Snapshot = dict[str, Any]


def _plain(value: Any) -> Any:
    """A field's value as JSON keeps it (money as its exact decimal text)."""
    if isinstance(value, decimal.Decimal | datetime.date | datetime.time | uuid.UUID):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ("password",)) -> Snapshot:
    """Every concrete field's stored value (foreign keys by id) and every many-to-many relation
    as its sorted ids; secrets (``exclude``) are left out."""
    values: Snapshot = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        values[field.name] = _plain(getattr(obj, field.attname))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            if m2m.name in exclude:
                continue
            values[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return values


def record_change(
    *,
    actor: Actor | None,
    action: ChangeAction,
    obj: models.Model,
    before: Snapshot | None,
    after: Snapshot | None,
    reason: str = "",
) -> ConfigChange | None:
    """Append one entry for a change of ``obj``; nothing is written when a change changed
    nothing. Must run inside the change's transaction."""
    if action == ChangeAction.CHANGED and before == after:
        return None
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a configuration change is recorded inside its own transaction")
    return ConfigChange.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        model=obj._meta.label_lower,
        model_name=str(obj._meta.verbose_name),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=before,
        after=after,
        reason=reason,
    )
