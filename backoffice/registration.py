"""Organisations register themselves: the representative files the credit code, the licence
and their own account; an administrator approves (the organisation, and its representative as
its administrator, are created) or refuses with a reason; either way the representative hears
of it through the messenger (``workflows.notifications``: a notice under the bell for whoever
has an account, and an e-mail). The organisation's administrator then adds and removes its
staff (a direct creation form: the new colleague gets their login by e-mail and sets a password
through the password reset page)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import access, notifications
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import Organisation, Profile
from workflows.review_path import Role
from workflows.uploads import checked_content_type

from .config_log import record_change, snapshot
from .models import ChangeAction, OrganisationRegistration

if TYPE_CHECKING:
    from workflows.actors import Actor

User = get_user_model()


# The messenger's messages of registrations and new accounts (same shape as its ``MESSAGES``).
MESSAGES: dict[str, tuple[str, str, str, str]] = {
    "registration_approved": (
        "单位注册已通过：{organisation}",
        "Registration approved: {organisation}",
        "{organisation}：注册已通过，请用 {username} 登录，您是本单位的管理员，可添加本单位用户。",
        "{organisation}: the registration is approved. Sign in as {username}; you administer "
        "the organisation and may add its users.",
    ),
    "registration_refused": (
        "单位注册未通过：{organisation}",
        "Registration refused: {organisation}",
        "{organisation}：注册未通过。理由：{reason}",
        "{organisation}: the registration was refused. Reason: {reason}",
    ),
    "staff_invited": (
        "申报系统账号：{organisation}",
        "Your account: {organisation}",
        "{organisation} 为您开通了申报账号 {username}，请在登录页“忘记密码”设置密码。",
        "{organisation} opened the account {username} for you; set your password with "
        "“forgotten password” on the login page.",
    ),
}


def register_organisation(*, data: dict[str, Any], licence: Any) -> OrganisationRegistration:
    """Anybody files an organisation's registration. Refused (``InvalidInput``) for a credit
    code already registered or waiting, a user name taken, and a licence file that is not an
    allowed, undamaged PDF, image or Office file (``workflows.uploads``)."""
    checked_content_type(licence)
    code = data["credit_code"].strip().upper()
    if (
        Organisation.objects.filter(credit_code=code).exists()
        or OrganisationRegistration.objects.filter(
            credit_code=code, state=OrganisationRegistration.State.PENDING
        ).exists()
    ):
        raise InvalidInput(_("该统一社会信用代码已注册或正在审核。"))
    if User._default_manager.filter(username=data["username"]).exists():
        raise InvalidInput(_("该登录用户名已被使用。"))
    digest = hashlib.sha256()
    for chunk in licence.chunks():
        digest.update(chunk)
    licence.seek(0)
    with transaction.atomic():
        registration = OrganisationRegistration(
            name=data["name"].strip(),
            kind=data["kind"],
            district=data["district"],
            credit_code=code,
            representative_name=data["representative_name"].strip(),
            username=data["username"],
            email=data["email"],
            password_hash=make_password(data["password"]),
            licence_sha256=digest.hexdigest(),
        )
        registration.licence.save(licence.name, licence, save=False)
        registration.full_clean(exclude=["licence", "password_hash"])
        registration.save()
    return registration


def _pending(registration_id: int) -> OrganisationRegistration:
    registration = (
        OrganisationRegistration.objects.select_for_update().filter(pk=registration_id).first()
    )
    if registration is None:
        raise InvalidInput(_("注册申请不存在。"))
    if registration.state != OrganisationRegistration.State.PENDING:
        raise TransitionConflict(_("该注册申请已审核。"))
    return registration


def approve_registration(*, registration_id: int, actor: Actor) -> Organisation:
    """An administrator approves: the organisation is created, its representative becomes its
    administrator (an applicant user), and both are in the configuration log."""
    if not access.may_configure(actor):
        raise NotAllowed()
    with transaction.atomic():
        registration = _pending(registration_id)
        if Organisation.objects.filter(credit_code=registration.credit_code).exists():
            raise InvalidInput(_("该统一社会信用代码已注册或正在审核。"))
        organisation = Organisation.objects.create(
            name=registration.name,
            kind=registration.kind,
            district=registration.district,
            credit_code=registration.credit_code,
        )
        user = User._default_manager.create(
            username=registration.username,
            email=registration.email,
            first_name=registration.representative_name,
            password=registration.password_hash,
        )
        Profile.objects.create(
            user=user,
            role=Role.APPLICANT,
            organisation=organisation,
            administers_organisation=True,
        )
        registration.state = OrganisationRegistration.State.APPROVED
        registration.decided_by = actor
        registration.decided_at = timezone.now()
        registration.organisation = organisation
        registration.save(update_fields=["state", "decided_by", "decided_at", "organisation"])
        record_change(
            actor=actor,
            action=ChangeAction.ADDED,
            obj=organisation,
            before=None,
            after=snapshot(organisation),
            reason=_("单位注册申请 #%(pk)d 通过") % {"pk": registration.pk},
        )
        notifications.notify_people_after_commit(
            "registration_approved",
            recipient_ids=[user.pk],
            values={"organisation": registration.name, "username": registration.username},
            link=reverse("login"),
        )
    return organisation


def refuse_registration(*, registration_id: int, actor: Actor, reason: str) -> None:
    """An administrator refuses, with a reason the representative is told."""
    if not access.may_configure(actor):
        raise NotAllowed()
    if not reason.strip():
        raise InvalidInput(_("不予通过时必须填写理由。"))
    with transaction.atomic():
        registration = _pending(registration_id)
        registration.state = OrganisationRegistration.State.REFUSED
        registration.decided_by = actor
        registration.decided_at = timezone.now()
        registration.reason = reason.strip()
        registration.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        # Nobody has an account yet: the representative hears of it by e-mail only.
        notifications.notify_people_after_commit(
            "registration_refused",
            addresses=[registration.email],
            values={"organisation": registration.name, "reason": registration.reason},
            link=reverse("organisation-register"),
        )


def administered_organisation(user: Any) -> Organisation | None:
    profile = access.profile_of(user)
    if profile is None or profile.role != Role.APPLICANT or not profile.administers_organisation:
        return None
    return profile.organisation


def add_staff(*, actor: Actor, username: str, name: str, email: str) -> Any:
    """The organisation's administrator adds a colleague as an applicant user of the
    organisation; they set their password through the password-reset page. Refused for anybody
    but an organisation's administrator and for a user name taken."""
    organisation = administered_organisation(actor)
    if organisation is None:
        raise NotAllowed()
    if User._default_manager.filter(username=username).exists():
        raise InvalidInput(_("该登录用户名已被使用。"))
    with transaction.atomic():
        user = User._default_manager.create(username=username, first_name=name, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Profile.objects.create(user=user, role=Role.APPLICANT, organisation=organisation)
        record_change(
            actor=actor, action=ChangeAction.ADDED, obj=user, before=None, after=snapshot(user)
        )
        notifications.notify_people_after_commit(
            "staff_invited",
            recipient_ids=[user.pk],
            values={"organisation": organisation.name, "username": username},
            link=reverse("password_reset"),
        )
    return user


def remove_staff(*, actor: Actor, user_id: int) -> None:
    """The organisation's administrator removes a colleague: the account is deactivated (its
    history stays). Refused for oneself and for anybody outside the organisation."""
    organisation = administered_organisation(actor)
    if organisation is None:
        raise NotAllowed()
    with transaction.atomic():
        user = (
            User._default_manager.select_for_update()
            .filter(pk=user_id, profile__organisation=organisation)
            .first()
        )
        if user is None or user.pk == actor.pk:
            raise InvalidInput(_("只能移除本单位的其他用户。"))
        before = snapshot(user, exclude=("password", "last_login"))
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_change(
            actor=actor,
            action=ChangeAction.CHANGED,
            obj=user,
            before=before,
            after=snapshot(user, exclude=("password", "last_login")),
        )
