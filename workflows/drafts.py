"""Drafts: an applicant creates a request, edits it while it is a draft or returned, and attaches
files to it. Nothing here moves a status; ``workflows.submission`` does."""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import permissions as rights
from .audit import content_json
from .errors import InvalidInput, NotAllowed, TransitionConflict
from .models import ApplicationRevision, Attachment, FundingApplication, Status
from .review_path import Role
from .statements import insert_row, reference_is_valid
from .transitions import locked_application
from .uploads import checked_content_type

if TYPE_CHECKING:
    from .actors import Actor

ONE_OPEN_REQUEST = next(
    c
    for c in FundingApplication._meta.constraints
    if c.name == "one_open_request_per_national_task_per_call"
)

LANDING_DISTRICT = cast(
    "models.ForeignKey[Any, Any]", FundingApplication._meta.get_field("landing_district")
)
FIELD_ORDER = FundingApplication._meta.fields  # as clean_fields() goes through them

EDITABLE_FIELDS = (
    "call",
    "special_project",
    "national_task_code",
    "title",
    "national_approval_number",
    "national_funding",
    "own_funds",
    "other_local_funds",
    "requested_amount",
    "funding_form",
    "landing_district",
    "industrialised_in_beijing",
    "period_start",
    "period_end",
    "expected_sales_revenue",
    "expected_patents",
    "expected_jobs",
    "summary",
)


# --- drafts ---------------------------------------------------------------------------------


def create_application(*, actor: Actor, data: dict[str, Any]) -> FundingApplication:
    """An applicant starts a request for their own organisation. It stays a draft until
    submitted. Refused for anyone who is not an applicant, and for invalid data."""
    profile = rights.profile_of(actor)
    if profile is None or profile.role != Role.APPLICANT:
        raise NotAllowed(_("只有申报单位用户可以创建申请。"))
    application: FundingApplication = FundingApplication(
        organisation_id=profile.organisation_id, created_by=actor
    )
    _assign(application, data)
    with transaction.atomic():
        validate(application)
        application.save(force_insert=True)
    return application


def update_application(
    *, application_id: int, actor: Actor, data: dict[str, Any]
) -> FundingApplication:
    """The applicant edits a draft, or a request returned for revision. Refused in any other
    state and for anybody outside the applicant organisation."""
    with transaction.atomic():
        application = locked_application(application_id)
        if not rights.is_applicant_of(application, actor):
            raise NotAllowed()
        if application.status not in (Status.DRAFT, Status.RETURNED):
            raise TransitionConflict(_("只有草稿或退回修改的申请可以编辑。"))
        _assign(application, data)
        validate(application)
        changed = [f for f in EDITABLE_FIELDS if f in data]
        application.save(update_fields=[_attname(f) for f in changed])
    return application


def add_attachment(*, application_id: int, actor: Actor, kind: str, upload: Any) -> Attachment:
    """The applicant attaches a PDF, image or Office file to a draft or returned request.
    Refused for other file types (by name and by content), for files over the size limit,
    and in any other state."""
    content_type = checked_content_type(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        application = locked_application(application_id)
        if not rights.is_applicant_of(application, actor):
            raise NotAllowed()
        if application.status not in (Status.DRAFT, Status.RETURNED):
            raise TransitionConflict(_("只有草稿或退回修改的申请可以上传附件。"))
        attachment = Attachment(
            application=application,
            kind=kind,
            original_name=PurePath(upload.name).name[:200],
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
    return attachment


def snapshot(application: FundingApplication) -> None:
    content = json.loads(content_json(application))
    insert_row(
        ApplicationRevision(application=application, number=application.revision, content=content)
    )


def _assign(application: FundingApplication, data: dict[str, Any]) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("不可编辑的字段：%s") % ", ".join(sorted(unknown)))
    for field, value in data.items():
        model_field = FundingApplication._meta.get_field(field)
        if model_field.is_relation and not isinstance(value, models.Model):
            field = model_field.attname  # a reference by its key (a district's code)
        setattr(application, field, value)


def validate(application: FundingApplication, *, as_stored: bool = False) -> None:
    """Field and cross-field rules, and the one-open-request rule. The check constraints stay
    with the database: clean() states them in the users' words. ``as_stored`` is for a row
    checked again as it is stored (a submission): the database already holds its place among
    the open requests and its references, so those are not queried again."""
    exclude = ["status", "created_by", "organisation", "review_process", LANDING_DISTRICT.name]
    if as_stored:
        exclude += ["call", "special_project"]
    try:
        # Not full_clean(): cleaning would assign the protected status field.
        _clean_fields(application, exclude)
        application.clean()
        if not as_stored:
            ONE_OPEN_REQUEST.validate(FundingApplication, application)
    except ValidationError as exc:
        raise InvalidInput(_format_errors(exc)) from exc


def _clean_fields(application: FundingApplication, exclude: list[str]) -> None:
    """``clean_fields(exclude)``, the landing district included (its reference checked by a
    statement written once): the same errors, in the fields' order."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        application.clean_fields(exclude=exclude)
    except ValidationError as exc:
        errors = exc.error_dict
    try:
        _clean_landing_district(application)
    except ValidationError as exc:
        errors[LANDING_DISTRICT.name] = exc.error_list
        errors = {f.name: errors[f.name] for f in FIELD_ORDER if f.name in errors}
    if errors:
        raise ValidationError(errors)


def _clean_landing_district(application: FundingApplication) -> None:
    """What ``Field.clean`` does for the landing district, ``ForeignKey.validate``'s query
    aside: the value, its field's rules, whether it names a district still offered, and its
    validators; the cleaned value is assigned."""
    field = LANDING_DISTRICT
    raw = getattr(application, field.attname)
    if field.blank and raw in field.empty_values:
        return
    value = field.to_python(raw)
    models.Field.validate(field, value, application)
    if value is not None and not reference_is_valid(field, value):
        remote = field.remote_field
        raise ValidationError(
            field.error_messages["invalid"],
            code="invalid",
            params={
                "model": remote.model._meta.verbose_name,
                "pk": value,
                "field": remote.field_name,
                "value": value,
            },
        )
    field.run_validators(value)
    setattr(application, field.attname, value)


def _format_errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return pgettext("between items", "；").join(
            f"{_label(field)}{pgettext('before a value', '：')}{' '.join(messages)}"
            if field != "__all__"
            else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _label(field: str) -> str:
    try:
        return str(FundingApplication._meta.get_field(field).verbose_name)
    except Exception:
        return field


def _attname(field: str) -> str:
    return cast(str, FundingApplication._meta.get_field(field).attname)
