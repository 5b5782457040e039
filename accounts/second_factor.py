"""The second factor of staff logins: who needs one, enrolling an authenticator app (TOTP),
confirming a login with its code or a backup code, and an administrator's reset.

The devices are django-otp's (``TOTPDevice``, ``StaticDevice`` for backup codes); a session
counts as confirmed once ``django_otp.login`` has bound a device to it.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from workflows import permissions as rights
from workflows.models import Role

from . import access_log
from .models import AccessKind

BACKUP_CODE_COUNT = 10
# Roles whose logins need a second factor when STAFF_2FA_REQUIRED is on: everybody but applicants.
STAFF_ROLES = frozenset(Role) - {Role.APPLICANT}


def required_for(user: Any) -> bool:
    """Does this user's login need a second factor (staff, with the setting on)?"""
    if not settings.STAFF_2FA_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    profile = rights.profile_of(user)
    return profile is not None and profile.role in STAFF_ROLES


def authenticator_of(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator being enrolled (unconfirmed), made on first use and kept until
    confirmed, so reloading the enrolment page shows the same key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code (the otpauth:// URL) as inline SVG."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4))


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for apps that cannot scan."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm_enrolment(request: HttpRequest, token: str) -> list[str] | None:
    """The user typed the first code of their new authenticator: confirm it, confirm this
    session, and return fresh backup codes; None when the code is wrong."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # noqa: S101 - pages behind login_required
    with transaction.atomic():
        device = pending_authenticator(user)
        if not device.verify_token(token):
            access_log.record(AccessKind.SECOND_FACTOR_FAILED, request=request, detail="enrol")
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _new_backup_codes(user)
        access_log.record(AccessKind.SECOND_FACTOR_ENROLLED, request=request)
    django_otp.login(request, device)
    return codes


def confirm_login(request: HttpRequest, token: str) -> bool:
    """Confirm this session with a code from the authenticator or an unused backup code."""
    user = request.user
    token = token.replace(" ", "").strip().lower()
    devices: list[Any] = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    for device in devices:
        if django_otp.verify_token(user, device.persistent_id, token) is not None:
            django_otp.login(request, device)
            detail = "backup code" if isinstance(device, StaticDevice) else ""
            access_log.record(AccessKind.SECOND_FACTOR_PASSED, request=request, detail=detail)
            return True
    access_log.record(AccessKind.SECOND_FACTOR_FAILED, request=request)
    return False


def issue_backup_codes(request: HttpRequest) -> list[str]:
    """New backup codes for the signed-in user; the old ones stop working."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # noqa: S101 - pages behind login_required
    with transaction.atomic():
        codes = _new_backup_codes(user)
        access_log.record(AccessKind.BACKUP_CODES_ISSUED, request=request)
    return codes


def _new_backup_codes(user: AbstractBaseUser) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def reset(user: AbstractBaseUser, *, actor: AbstractBaseUser | None) -> None:
    """An administrator removes a user's authenticator and backup codes (a lost phone): the
    user enrols again at their next login."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        access_log.record(
            AccessKind.SECOND_FACTOR_RESET,
            user=actor,
            username=actor.get_username() if actor is not None else "",
            target=user.get_username(),
        )
