"""What each decision document says: its template and its context.

Everything here reads; nothing writes. ``document_html`` (and ``records.decision_record``) run
after the decision committed, inside ``translation.override(document.language)``, so labels
come out in the document's language. Amounts come from the decision itself (the audit entry,
the agenda item, the review group's recommendation), never from the application's current
state, so a document rendered late says what was decided.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from approvals.group_review import group_summary
from approvals.models import AgendaItem, CheckItem, GroupRecommendation, Meeting
from approvals.rubric import rubric_for
from workflows.audit_checkpoints import document_proof
from workflows.districts import district_labels
from workflows.models import AuditEntry, Department, FundingApplication, Tier
from workflows.names import person_name

from .letterhead import (
    copy_to,
    date_text,
    department_label,
    imprint_size,
    issuer,
    letterhead_context,
)
from .models import Document, DocumentKind
from .wording import explanation_lines, policy_basis

if TYPE_CHECKING:
    from django.template.backends.django import Template

TEMPLATE_FOR_KIND: dict[str, str] = {
    DocumentKind.ACCEPTANCE: "documents/acceptance.html",
    DocumentKind.RETURN_NOTICE: "documents/return_notice.html",
    DocumentKind.REJECTION: "documents/rejection_notice.html",
    DocumentKind.REVIEW_OPINION: "documents/review_opinion.html",
    DocumentKind.MEETING_MINUTES: "documents/meeting_minutes.html",
    DocumentKind.APPROVAL: "documents/approval.html",
    DocumentKind.NOTICE_OPENING: "documents/notice_opening.html",
    DocumentKind.OBJECTION_RECEIPT: "documents/objection_receipt.html",
    DocumentKind.OBJECTION_RESOLUTION: "documents/objection_resolution.html",
    DocumentKind.NOTICE_CLOSING: "documents/notice_closing.html",
    DocumentKind.FINAL_APPROVAL: "documents/final_approval.html",
    DocumentKind.AGREEMENT: "documents/agreement.html",
    DocumentKind.AMENDMENT: "documents/amendment.html",
    DocumentKind.PAYMENT_NOTICE: "documents/payment_notice.html",
    DocumentKind.REPORT_OUTCOME: "documents/report_outcome.html",
    DocumentKind.ACCEPTANCE_OUTCOME: "documents/acceptance_outcome.html",
    DocumentKind.RECOVERY_ORDER: "documents/recovery_order.html",
    DocumentKind.RECOVERY_CLOSED: "documents/recovery_closed.html",
}
# The documents after the approval say what their audit entry recorded (``details``).
AWARD_KINDS = frozenset(
    {
        DocumentKind.NOTICE_OPENING,
        DocumentKind.OBJECTION_RECEIPT,
        DocumentKind.OBJECTION_RESOLUTION,
        DocumentKind.NOTICE_CLOSING,
        DocumentKind.FINAL_APPROVAL,
        DocumentKind.AGREEMENT,
        DocumentKind.AMENDMENT,
        DocumentKind.PAYMENT_NOTICE,
    }
)
# The review group's decision recorded with each of its transitions.
GROUP_DECISION_FOR_TRANSITION = {
    "recommend": GroupRecommendation.Decision.RECOMMEND,
    "return_for_revision": GroupRecommendation.Decision.RETURN,
    "reject": GroupRecommendation.Decision.REJECT,
}
_SHARED_SOURCES = (
    "documents/base.html",
    "documents/_application_facts.html",
    "documents/_reasons.html",
    "documents/_split.html",
    "documents/_signature.html",
    "documents/_imprint.html",
    "documents/_audit_proof.html",
)
_ASSET_FILES = ("letterhead.css",)


def document_html(document: Document) -> str:
    """The complete HTML of a document, in its language."""
    template = get_template(TEMPLATE_FOR_KIND[document.kind])
    with translation.override(document.language):
        return template.render(document_context(document))


def page_limit(document: Document) -> int:
    """Minutes grow with the agenda (about eight items a page); a letter stays short."""
    if document.kind == DocumentKind.MEETING_MINUTES and document.meeting_id:
        return 20 + AgendaItem.objects.filter(meeting_id=document.meeting_id).count() // 4
    return 20


@cache
def template_version(template_name: str) -> str:
    """A short hash of everything that shapes a kind's pages: its template, the letterhead
    template and the bundled stylesheet and mark."""
    from .render.policy import ASSETS_DIR

    digest = hashlib.sha256()
    for name in (template_name, *_SHARED_SOURCES):
        digest.update(cast("Template", get_template(name)).template.source.encode())
    for name in _ASSET_FILES:
        digest.update((ASSETS_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def verification_url(document: Document) -> str:
    base = settings.DOCUMENT_VERIFY_BASE_URL.rstrip("/")
    return f"{base}{reverse('document-verify')}?number={quote(document.number)}"


@lru_cache(maxsize=16)
def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code: a small PNG in a data: URI (the renderer loads
    nothing else, and a data: URI cannot carry markup into the page). A PNG, not an SVG:
    WeasyPrint takes ~20 ms to draw the SVG path of a QR code, and nothing for an image.
    Kept for the last few URLs: a translation has its original's number and URL, and a
    render that is tried again draws the same code (choosing its mask is ~8 ms)."""
    import segno

    return segno.make(url, error="m").png_data_uri(scale=4, border=0)


# --- Context --------------------------------------------------------------------------------


def document_context(document: Document) -> dict[str, Any]:
    """The template context of a document; call it inside the document's language."""
    url = verification_url(document)
    base = settings.DOCUMENT_VERIFY_BASE_URL.rstrip("/")
    context: dict[str, Any] = {
        **letterhead_context(document.language),
        "document": document,
        "number": document.number,
        "title": document.get_kind_display(),
        "is_translation": document.translation_of_id is not None,
        "date": document.issued_on,
        "date_text": date_text(document.issued_on),
        "imprint_size": imprint_size(issuer(document.language), date_text(document.issued_on)),
        "verification_url": url,
        # Readable in the footer; the QR code carries the encoded URL.
        "verification_text": f"{base}{reverse('document-verify')}?number={document.number}",
        "qr_data_uri": qr_data_uri(url),
    }
    if document.kind == DocumentKind.MEETING_MINUTES:
        context.update(_minutes_context(cast(Meeting, document.meeting)))
        return context
    # Every kind but the minutes is issued for one application's audited decision.
    entry = cast(AuditEntry, document.audit_entry)
    application = cast(FundingApplication, document.application)
    context.update(
        application=application,
        entry=entry,
        tier_label=tier_label(entry.tier),
        reason=entry.reason,
        reasons=structured_reasons(entry),
        reason_note=_reason_note(entry),
        special_project_name=_special_project_name(application),
        audit_proof=document_proof(entry),
    )
    if document.kind == DocumentKind.REVIEW_OPINION:
        context.update(review_context(application, entry))
    elif document.kind == DocumentKind.APPROVAL:
        context.update(approval_context(application, entry))
    elif document.kind in AWARD_KINDS:
        context.update(award_context(application, entry))
    elif document.kind in OUTCOME_KINDS:
        context.update(outcome_context(document.kind, entry))
    split = context.get("split")
    context["copy_to"] = copy_to(
        application, [name for name, _amount in split.paying_departments] if split else []
    )
    return context


def tier_label(tier: str) -> str:
    try:
        return str(Tier(tier).label)
    except ValueError:
        return ""


def structured_reasons(entry: AuditEntry) -> list[dict[str, str]]:
    """The reasons recorded with a return or rejection: what is wrong (a formal-check item's
    label where it is one) and what to do."""
    reasons = []
    for reason in entry.details.get("reasons", []) or []:
        item = str(reason.get("item", ""))
        label = str(CheckItem(item).label) if item in CheckItem.values else item
        reasons.append({"item": label, "text": str(reason.get("text", ""))})
    return reasons


def _reason_note(entry: AuditEntry) -> str:
    """The written reason, unless it only repeats the structured reasons."""
    texts = [str(r.get("text", "")) for r in entry.details.get("reasons", []) or []]
    return "" if texts and entry.reason == "；".join(texts) else entry.reason


def _special_project_name(application: FundingApplication) -> str:
    project = application.special_project
    if translation.get_language() == "en" and cast(str, getattr(project, "name_en", "")):
        return project.name_en
    return project.name


@dataclass(frozen=True)
class Split:
    """How an amount is paid: by funding department and by form, under which policy."""

    by_department: list[tuple[str, Decimal | None]]
    grant: Decimal
    equity: Decimal
    policy_name: str
    policy_version: str
    policy_hash: str

    @property
    def paying_departments(self) -> list[tuple[str, Decimal]]:
        """The departments that pay a part (a department at zero is left off the page)."""
        return [(name, amount) for name, amount in self.by_department if amount]

    def as_record(self) -> dict[str, Any]:
        return {
            "by_department": [{"name": n, "amount": str(a)} for n, a in self.by_department],
            "by_form": {"grant": str(self.grant), "equity": str(self.equity)},
        }


def _department_name(part: dict[str, Any]) -> str:
    english = translation.get_language() == "en" and part.get("name_en")
    return str(part.get("name_en") if english else part.get("name_zh") or part.get("code", ""))


def split_from_assessment(assessment: dict[str, Any], amount: Decimal | None) -> Split | None:
    """The policy engine's split, when it was computed for this very amount."""
    if not assessment or amount is None or _decimal(assessment.get("amount")) != amount:
        return None
    by_form = assessment.get("by_form") or {}
    policy = assessment.get("policy") or {}
    return Split(
        [(_department_name(d), _decimal(d.get("amount"))) for d in assessment["by_department"]]
        if assessment.get("by_department")
        else [],
        _decimal(by_form.get("grant")) or Decimal(0),
        _decimal(by_form.get("equity")) or Decimal(0),
        str(policy.get("name", "")),
        str(policy.get("version", "")),
        str(policy.get("content_hash", "")),
    )


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None
    except ArithmeticError:
        return None


def _recommendation(
    application: FundingApplication, entry: AuditEntry, decision: str | None
) -> GroupRecommendation | None:
    """The review group's recommendation recorded with this decision: of the application's
    recommendations of that decision, the one recorded nearest the entry (in its transaction,
    just before it; rows of older releases, just after it)."""
    if decision is not None:
        return min(
            GroupRecommendation.objects.filter(application=application, decision=decision),
            key=lambda r: abs(r.created_at - entry.at),
            default=None,
        )
    recommendations = GroupRecommendation.objects.filter(
        application=application, created_at__gte=entry.at
    )
    return recommendations.order_by("created_at", "id").first()


def _revision_at(entry: AuditEntry) -> int:
    """The application's revision when the entry was written: one more than the
    resubmissions before it."""
    resubmissions = AuditEntry.objects.filter(
        application_id=entry.application_id, transition="resubmit", seq__lt=entry.seq
    ).count()
    return resubmissions + 1


def review_context(application: FundingApplication, entry: AuditEntry) -> dict[str, Any]:
    decision = GROUP_DECISION_FOR_TRANSITION.get(entry.transition)
    recommendation = _recommendation(application, entry, decision)
    revision = recommendation.revision if recommendation else _revision_at(entry)
    summary = group_summary(application, revision=revision)
    english = {c.code: c.name_en for c in rubric_for(application.call)}
    criteria = [
        {
            "name": (english.get(c.code) if translation.get_language() == "en" else "") or c.name,
            "weight": c.weight,
            "mean": c.mean,
            "weighted": (c.mean * c.weight / 100).quantize(Decimal("0.01")),
        }
        for c in summary.criteria
    ]
    assessment = (recommendation.assessment if recommendation else {}) or {}
    amount = recommendation.recommended_amount if recommendation else None
    if amount is None and entry.details.get("recommended_amount"):
        amount = _decimal(entry.details["recommended_amount"])
    policy = assessment.get("policy") or {}
    return {
        "decision_label": GroupRecommendation.Decision(decision).label if decision else "",
        "experts": summary.experts,
        "weighted_score": summary.weighted_score,
        "score_spread": summary.spread,
        "criteria": criteria,
        "recommended_amount": amount,
        "policy": policy,
        "policy_basis": policy_basis(policy),
        "explanation": explanation_lines(assessment.get("explanation", [])),
        "split": split_from_assessment(assessment, amount),
    }


def approval_context(application: FundingApplication, entry: AuditEntry) -> dict[str, Any]:
    amount = _decimal(entry.details.get("amount"))
    split = _split_of_approval(application, amount)
    return {
        "amount": amount,
        "split": split,
        "policy": ({"name": split.policy_name, "version": split.policy_version} if split else {}),
        "policy_basis": (
            policy_basis({"name": split.policy_name, "version": split.policy_version})
            if split
            else ""
        ),
        "has_equity": split.equity > 0 if split else application.funding_form != "grant",
    }


def _split_of_approval(application: FundingApplication, amount: Decimal | None) -> Split | None:
    """The split the meeting recorded with the approval (drawn on the call's pool) or, failing
    that, the review group's assessment when it was made for the approved amount."""
    item = (
        AgendaItem.objects.filter(application=application, resolution=AgendaItem.Resolution.APPROVE)
        .order_by("-meeting__held_on", "-id")
        .first()
    )
    # The split is kept by the policy engine when one is in force; reached by its reverse
    # relation, so that this module does not depend on how it is stored.
    recorded = getattr(item, "funding_split", None) if item is not None else None
    if recorded is not None and amount is not None and recorded.amount == amount:
        policy = getattr(recorded, "policy", None)
        return Split(
            [(_department_name(d), _decimal(d.get("amount"))) for d in recorded.by_department],
            recorded.grant_amount,
            recorded.equity_amount,
            str(getattr(policy, "name", "")),
            recorded.policy_version,
            recorded.policy_content_hash,
        )
    recommendation = (
        GroupRecommendation.objects.filter(
            application=application, decision=GroupRecommendation.Decision.RECOMMEND
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return split_from_assessment(recommendation.assessment if recommendation else {}, amount)


def award_context(application: FundingApplication, entry: AuditEntry) -> dict[str, Any]:
    """What a step after the approval recorded: amounts as Decimal, dates as dates, the split
    of the final approval as the meeting drew it."""
    details = dict(entry.details)
    for key in ("amount", "grant_amount", "equity_amount", "released_total"):
        if details.get(key) not in (None, ""):
            details[key] = _decimal(details[key])
    for key in ("ends_on", "opened_on", "signed_on", "confirmed_on"):
        if details.get(key):
            details[key] = date_text(datetime.date.fromisoformat(details[key]))
    if "condition" in details:
        details["condition"] = _in_language(details["condition"])
    details["tranches"] = [
        {**t, "condition": _in_language(t.get("condition"))} for t in details.get("tranches", [])
    ]
    context: dict[str, Any] = {"details": details, "amount": details.get("amount")}
    if entry.transition == "finalise":
        context.update(approval_context(application, entry))
    return context


def _in_language(label: Any) -> str:
    """A label recorded in both languages ({"zh", "en"}), in the document's."""
    if isinstance(label, dict):
        return str(label.get("en") if translation.get_language() == "en" else label.get("zh"))
    return str(label or "")


# --- after the approval: what the outcome stages decided, as their audit entries recorded it --

OUTCOME_KINDS = (
    DocumentKind.REPORT_OUTCOME,
    DocumentKind.ACCEPTANCE_OUTCOME,
    DocumentKind.RECOVERY_ORDER,
    DocumentKind.RECOVERY_CLOSED,
)
# The report's measures in the order of the page, with their labels.
REPORT_MEASURES = (
    ("sales_revenue", _lazy("新增销售收入（元）"), True),
    ("of_which_industrial", _lazy("其中产业化项目收入（元）"), True),
    ("patents_filed", _lazy("专利申请数"), False),
    ("patents_granted", _lazy("专利授权数"), False),
    ("jobs", _lazy("新增就业（人）"), False),
)
ACCEPTANCE_OUTCOME_LABELS = {
    "pass": _lazy("通过验收"),
    "pass_with_conditions": _lazy("有条件通过验收"),
    "fail": _lazy("未通过验收"),
}


def _figure(value: Any, money: bool) -> Any:
    if value is None:
        return None
    if money:
        amount = _decimal(value)
        return f"{amount:,.2f}" if amount is not None else None
    return value


def outcome_context(kind: str, entry: AuditEntry) -> dict[str, Any]:
    """A post-award document says what its step's audit entry recorded (the report's figures
    and target, the acceptance outcome, the recovery amount), so it reads the same whenever it
    is rendered."""
    details = entry.details or {}
    if kind == DocumentKind.REPORT_OUTCOME:
        target = details.get("target") or {}
        short = set(details.get("shortfalls") or [])
        growth = (details.get("growth") or {}).get("sales_revenue")
        district = str(details.get("district", ""))
        return {
            "accepted": entry.transition == "accept_report",
            "report": {
                "period": details.get("period"),
                "period_start": details.get("period_start"),
                "period_end": details.get("period_end"),
                "district_label": district_labels().get(district, district),
                "industrialised_in_beijing": bool(details.get("industrialised_in_beijing")),
                "growth": growth,
                "lines": [
                    {
                        "label": str(label),
                        "target": _figure(target.get(code), money),
                        "actual": _figure(details.get(code), money),
                        "short": code in short,
                    }
                    for code, label, money in REPORT_MEASURES
                ],
            },
        }
    if kind == DocumentKind.ACCEPTANCE_OUTCOME:
        outcome = str(details.get("outcome", ""))
        return {
            "outcome_label": str(ACCEPTANCE_OUTCOME_LABELS.get(outcome, "")),
            "failed": outcome == "fail",
            "conditions": details.get("conditions", ""),
            "weighted_score": details.get("weighted_score"),
            "experts": details.get("experts"),
        }
    return {
        "amount": _decimal(details.get("amount")),
        "repaid": _decimal(details.get("repaid")),
        "abandoned": details.get("cause") == "abandoned",
    }


@dataclass(frozen=True)
class MinutesLine:
    position: int
    item: AgendaItem
    application: FundingApplication
    resolution_label: str
    entry: AuditEntry | None


def _minutes_context(meeting: Meeting) -> dict[str, Any]:
    lines = minutes_lines(meeting)
    resolutions = [line.item.resolution for line in lines]
    approved = [
        line.item.approved_amount or Decimal(0)
        for line in lines
        if line.item.resolution == AgendaItem.Resolution.APPROVE
    ]
    return {
        "meeting": meeting,
        "meeting_date_text": date_text(meeting.held_on),
        "meeting_kind": meeting.get_kind_display(),
        "lines": lines,
        "has_notes": any(line.item.reason for line in lines),
        "approved_count": resolutions.count(AgendaItem.Resolution.APPROVE),
        "rejected_count": resolutions.count(AgendaItem.Resolution.REJECT),
        "deferred_count": resolutions.count(AgendaItem.Resolution.DEFER),
        "approved_total": sum(approved, Decimal(0)),
        **_attendance(meeting),
    }


def _attendance(meeting: Meeting) -> dict[str, list[str]]:
    """Who attended (出席) and who sat in (列席), as the secretariat recorded them, each with
    their department; a meeting that recorded nobody prints the departments and the offices
    that attend every joint meeting."""
    people = {
        key: [
            _person_with_department(user)
            for user in getattr(meeting, key)
            .select_related("profile__department")
            .order_by("last_name", "first_name", "username")
        ]
        for key in ("attendees", "observers")
    }
    return {
        "attendees": people["attendees"]
        or [department_label(d) for d in Department.objects.order_by("code")],
        "in_attendance": people["observers"] or [_("审核工作小组"), _("市联席会议办公室")],
    }


def _person_with_department(user: Any) -> str:
    profile = getattr(user, "profile", None)
    department = department_label(profile.department) if profile else ""
    return f"{person_name(user)}（{department}）" if department else person_name(user)


def minutes_lines(meeting: Meeting) -> list[MinutesLine]:
    """Every agenda item with its application and the audit entry of its resolution; three
    queries whatever the agenda's length."""
    items = list(
        meeting.items.select_related("application__organisation").order_by("position", "id")
    )
    entries: dict[int, AuditEntry] = {}
    resolved_at = meeting.resolved_at or timezone.now()
    for entry in AuditEntry.objects.filter(
        application_id__in=[i.application_id for i in items],
        tier=Tier.MEETING,
        transition__in=("approve", "reject", "defer"),
        at__lte=resolved_at,
    ).order_by("seq"):
        entries[entry.application_id] = entry  # the last one before the meeting resolved
    return [
        MinutesLine(
            position,
            item,
            item.application,
            str(AgendaItem.Resolution(item.resolution).label),
            entries.get(item.application_id),
        )
        for position, item in enumerate(items, 1)
    ]
