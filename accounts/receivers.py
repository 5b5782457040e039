"""Signal receivers that write the access log: logins, logouts, failures, lockouts, and every
change of a person's role, department, groups or permissions, wherever it is made."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from workflows.models import Profile
from workflows.signals import list_exported, object_read

from . import access_log
from .models import AccessKind

User = get_user_model()
# The flags of a user that are rights: a change of any of them is a permission change.
USER_RIGHT_FIELDS = ("is_active", "is_staff", "is_superuser")
PROFILE_ROLE_FIELDS = ("role", "department_id", "organisation_id", "is_head")


@receiver(user_logged_in, dispatch_uid="accounts.login")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    access_log.record(AccessKind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        access_log.record(AccessKind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get(User.USERNAME_FIELD, ""))
    access_log.record(AccessKind.LOGIN_FAILED, request=request, username=username)


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def _locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any
) -> None:
    access_log.record(
        AccessKind.LOCKED_OUT,
        request=request,
        username=username or "",
        detail=str(kwargs.get("ip_address") or ""),
    )


def _changes(instance: Any, fields: tuple[str, ...]) -> str:
    """'field: old → new' for each of ``fields`` that differs from the stored row."""
    if instance.pk is None:
        return ", ".join(f"{name}: {getattr(instance, name)}" for name in fields)
    stored = type(instance).objects.filter(pk=instance.pk).values(*fields).first()
    if stored is None:
        return ""
    return ", ".join(
        f"{name}: {stored[name]} → {getattr(instance, name)}"
        for name in fields
        if stored[name] != getattr(instance, name)
    )


def _touches(update_fields: Any, fields: tuple[str, ...]) -> bool:
    """Could a save with these update_fields change any of ``fields``? (A login saves only
    last_login: no need to read the stored row.)"""
    return update_fields is None or any(
        name.removesuffix("_id") in update_fields or name in update_fields for name in fields
    )


@receiver(pre_save, sender=Profile, dispatch_uid="accounts.profile_changes")
def _profile_changing(
    sender: Any, instance: Profile, update_fields: Any = None, **kwargs: Any
) -> None:
    changes = (
        _changes(instance, PROFILE_ROLE_FIELDS)
        if _touches(update_fields, PROFILE_ROLE_FIELDS)
        else ""
    )
    instance._access_changes = changes  # type: ignore[attr-defined]


@receiver(post_save, sender=Profile, dispatch_uid="accounts.profile_changed")
def _profile_changed(sender: Any, instance: Profile, **kwargs: Any) -> None:
    changes = getattr(instance, "_access_changes", "")
    if changes:
        access_log.record(
            AccessKind.ROLE_CHANGED,
            target=instance.user.get_username(),
            detail=changes,
        )


@receiver(pre_save, sender=User, dispatch_uid="accounts.user_right_changes")
def _user_changing(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None:
        # A new user with no rights beyond logging in is not a permission change.
        fields: tuple[str, ...] = tuple(
            name for name in ("is_staff", "is_superuser") if getattr(instance, name)
        )
    else:
        fields = USER_RIGHT_FIELDS if _touches(update_fields, USER_RIGHT_FIELDS) else ()
    instance._access_changes = _changes(instance, fields) if fields else ""


@receiver(post_save, sender=User, dispatch_uid="accounts.user_rights_changed")
def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    changes = getattr(instance, "_access_changes", "")
    if changes:
        access_log.record(
            AccessKind.PERMISSION_CHANGED, target=instance.get_username(), detail=changes
        )


def _m2m_recorder(relation: str) -> Any:
    def record(
        sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
    ) -> None:
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        model = kwargs["model"]
        what = relation
        names = sorted(str(obj) for obj in model.objects.filter(pk__in=pk_set)) if pk_set else []
        verb = {"post_add": "+", "post_remove": "-", "post_clear": "-all"}[action]
        if model is User:  # group.user_set.add(...): members of a group
            what = "members"
        target = instance.get_username() if isinstance(instance, User) else f"group {instance.name}"
        access_log.record(
            AccessKind.PERMISSION_CHANGED,
            target=target,
            detail=f"{what} {verb} {', '.join(names)}".strip(),
        )

    return record


_user_groups = _m2m_recorder("groups")
_user_permissions = _m2m_recorder("permissions")
_group_permissions = _m2m_recorder("permissions")
m2m_changed.connect(_user_groups, sender=User.groups.through, dispatch_uid="accounts.groups")
m2m_changed.connect(
    _user_permissions, sender=User.user_permissions.through, dispatch_uid="accounts.user_perms"
)
m2m_changed.connect(
    _group_permissions, sender=Group.permissions.through, dispatch_uid="accounts.group_perms"
)


@receiver(object_read, dispatch_uid="accounts.read")
def _read(sender: Any, request: HttpRequest, obj: Any, **kwargs: Any) -> None:
    access_log.record_read(request, obj)


@receiver(list_exported, dispatch_uid="accounts.exported")
def _exported(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    access_log.record_export(
        request,
        name=kwargs["name"],
        label=str(kwargs["label"]),
        fmt=kwargs["fmt"],
        filters=kwargs["filters"],
        rows=kwargs["rows"],
    )
