"""The one access policy: may this user see this application, attachment, document, revision,
history entry, score or opinion?

Every page, download, home list, queue, search and export asks here; nothing else decides who
sees what. The rules:

- anonymous users see nothing (only the login and public verification pages answer them);
- applicants see their own organisation's requests, never experts' names, individual scores,
  rule expressions or departments' remaining budgets;
- an expert (review-group member) sees nothing of a request — not even its title — before
  declaring on its current revision (only the declaration page), and nothing at all after
  declaring a conflict on any revision; experts never see each other;
- a lead department sees its own special projects' requests once submitted;
- the review group's chair sees the requests that reached the group, the joint-meeting
  secretariat those that reached the meeting;
- auditors and administrators see everything, read-only;
- no reviewer sees a request of their own organisation.

What an expert declared is recorded by ``approvals`` (``ExpertAssignment``), which this app
does not import: approvals registers how to read it (``register_expert_declarations``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Q, QuerySet

from .models import AuditEntry, FundingApplication, Profile
from .review_path import Role, Status, Tier, tiers_from

if TYPE_CHECKING:
    from .actors import Actor, Viewer


class ExpertStanding(enum.Enum):
    """Where an expert stands on one application's current revision."""

    NOT_ASSIGNED = "not_assigned"
    UNDECLARED = "undeclared"
    DECLARED = "declared"
    CONFLICTED = "conflicted"


@dataclass(frozen=True)
class ExpertDeclarations:
    """How to read experts' declarations (registered by ``approvals``): ``standing(user,
    application)``, and ``declared(user)``, the ids of applications the user declared no
    conflict on for their current revision and never declared a conflict on."""

    standing: Callable[[Actor, FundingApplication], ExpertStanding]
    declared: Callable[[Actor], QuerySet[Any]]


_declarations: list[ExpertDeclarations] = []


def register_expert_declarations(declarations: ExpertDeclarations) -> None:
    _declarations[:] = [declarations]


# Other panels of experts on a request after its review (the completion acceptance): each
# registers how to read the ids of the applications an expert declared no conflict on there.
_panels: list[Callable[[Actor], QuerySet[Any]]] = []


def register_expert_panel(declared: Callable[[Actor], QuerySet[Any]]) -> None:
    if declared not in _panels:
        _panels.append(declared)


def _experts() -> ExpertDeclarations:
    if not _declarations:
        raise RuntimeError("no app registered how to read experts' declarations")
    return _declarations[0]


# --- who the user is --------------------------------------------------------------------------


def profile_of(user: Viewer | None) -> Profile | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    # A user without a programme role (a bare superuser) raises RelatedObjectDoesNotExist,
    # which is an AttributeError.
    return cast("Profile | None", getattr(user, "profile", None))


def role_of(user: Viewer | None) -> Role | None:
    """The user's programme role; a superuser without one counts as an administrator."""
    profile = profile_of(user)
    if profile is not None:
        return Role(profile.role)
    if user is not None and user.is_authenticated and user.is_active and user.is_superuser:
        return Role.ADMINISTRATOR
    return None


STAFF_READERS = (Role.AUDITOR, Role.ADMINISTRATOR)
REVIEWERS = (Role.LEAD_OFFICER, Role.GROUP_MEMBER, Role.GROUP_CHAIR, Role.MEETING_SECRETARY)


def reads_everything(user: Viewer | None) -> bool:
    """Auditors and administrators: everything, read-only."""
    return role_of(user) in STAFF_READERS


# --- applications -----------------------------------------------------------------------------


def _reached(tier: Tier) -> Q:
    """The request's status was once one of ``tier``'s (or a later tier's): what the
    transition engine keeps in ``furthest_tier``, the audit trail's answer without reading it."""
    return Q(furthest_tier__in=tiers_from(tier))


def applications_for(user: Viewer | None) -> QuerySet[FundingApplication]:
    """Every application the user may see, for lists, queues, searches and exports."""
    qs: QuerySet[FundingApplication] = FundingApplication.objects.all()
    condition = _visible(user)
    if condition is None:
        return qs.none()
    return qs.filter(condition) if condition else qs


def _visible(user: Viewer | None) -> Q | None:
    """The policy as a condition on the application's own columns: None for nobody, an empty
    condition for everything. Written on the columns rather than as a list of ids, so that a
    query through a relation (a queue's tasks) joins the request and tests it there
    (``visible_q``) instead of listing every visible request first."""
    role = role_of(user)
    if role is None:
        return None
    if role in STAFF_READERS:
        return Q()
    profile = cast("Profile", profile_of(user))
    if role == Role.APPLICANT:
        return Q(organisation_id=profile.organisation_id)
    reviewed = ~Q(status=Status.DRAFT)
    if profile.organisation_id is not None:  # a reviewer never sees their own organisation's
        reviewed &= ~Q(organisation_id=profile.organisation_id)
    if role == Role.LEAD_OFFICER:
        return reviewed & Q(special_project__lead_department_id=profile.department_id)
    if role == Role.GROUP_CHAIR:
        return reviewed & _reached(Tier.GROUP)
    if role == Role.MEETING_SECRETARY:
        return reviewed & _reached(Tier.MEETING)
    # An expert: only what they declared no conflict on, for its current revision (or on a
    # later panel, such as the completion acceptance's).
    seen = Q(pk__in=_experts().declared(cast("Actor", user)))
    for declared in _panels:
        seen |= Q(pk__in=declared(cast("Actor", user)))
    return reviewed & seen


def _through(condition: Q, prefix: str) -> Q:
    """``condition`` on applications, as a condition on a model that reaches its application
    through ``prefix``."""
    moved = Q(_connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            moved.children.append(_through(child, prefix))
        else:
            lookup, value = cast("tuple[str, Any]", child)
            moved.children.append((f"{prefix}__{lookup}", value))
    return moved


def may_view(user: Viewer | None, application: FundingApplication) -> bool:
    """May the user read this application: its content, attachments, documents, revisions and
    (as ``history_for`` filters it) its history."""
    return applications_for(user).filter(pk=application.pk).exists()


def expert_standing(user: Viewer | None, application: FundingApplication) -> ExpertStanding:
    if role_of(user) != Role.GROUP_MEMBER:
        return ExpertStanding.NOT_ASSIGNED
    return _experts().standing(cast("Actor", user), application)


def may_declare(user: Viewer | None, application: FundingApplication) -> bool:
    """An expert asked to score the current revision who has not declared yet: they may see the
    declaration page (the organisation and the special project, to judge a conflict), and
    nothing else of the request."""
    return (
        application.status == Status.GROUP_REVIEW
        and expert_standing(user, application) == ExpertStanding.UNDECLARED
        and (profile := profile_of(user)) is not None
        and profile.organisation_id != application.organisation_id
    )


def visible_documents(user: Viewer | None, documents: QuerySet[Any]) -> QuerySet[Any]:
    """The decision documents (a queryset of ``documents.Document``) the user may read: those
    of applications they may see, and the meetings' minutes for whoever reads the meetings
    (auditors and administrators: every document, with no condition to test per row)."""
    if reads_everything(user):
        return documents
    visible = documents.filter(application__isnull=False).filter(visible_q(user, "application"))
    if may_read_meetings(user):
        visible = visible | documents.filter(application__isnull=True, meeting__isnull=False)
    return visible


def may_view_attachment(user: Viewer | None, attachment: Any) -> bool:
    return may_view(user, attachment.application)


def may_view_document(user: Viewer | None, document: Any) -> bool:
    """A decision document: whoever may see its application; meeting minutes: whoever may read
    the meetings."""
    if document.application_id is None:
        return may_read_meetings(user)
    return may_view(user, document.application)


# --- what is shown of an application ------------------------------------------------------------


def sees_reviewers(user: Viewer | None) -> bool:
    """Names of the officials who acted (applicants see the tier instead)."""
    role = role_of(user)
    return role is not None and role != Role.APPLICANT


def sees_expert_identities(user: Viewer | None) -> bool:
    """Experts' names, their individual scores and conflict reasons: the chair, the
    secretariat, auditors and administrators; never applicants, never other experts."""
    return role_of(user) in (Role.GROUP_CHAIR, Role.MEETING_SECRETARY, *STAFF_READERS)


def sees_policy_workings(user: Viewer | None) -> bool:
    """Rule expressions and departments' remaining budgets: staff, not applicants."""
    role = role_of(user)
    return role is not None and role != Role.APPLICANT


def sees_revision_changes(user: Viewer | None) -> bool:
    role = role_of(user)
    return role is not None and role != Role.APPLICANT


# Entries of the experts' own work, each naming one expert.
EXPERT_EVENTS = (
    "declare_no_conflict",
    "declare_conflict",
    "score",
    "declare_acceptance_no_conflict",
    "declare_acceptance_conflict",
    "score_acceptance",
)


# People-side entries the applicant sees on its timeline besides the decisions: its own progress
# reports and what the lead department and the joint meeting did with them and the recovery.
APPLICANT_EVENTS = (
    "submit_report",
    "accept_report",
    "return_report",
    "remind_report",
    "set_recovery_amount",
    "record_repayment",
)


@dataclass(frozen=True)
class HistoryLine:
    """One audit entry as this user may see it: who is shown by name or by tier only."""

    entry: AuditEntry
    actor_shown: str
    reason_shown: str


def history_for(user: Viewer | None, application: FundingApplication) -> list[HistoryLine]:
    """The application's history as the user may see it. Applicants see the decisions, each
    made by a tier (never a person's name) and no expert's work; experts see no other expert's
    entries (their identities, scores or conflict reasons)."""
    if not may_view(user, application):
        return []
    role = role_of(user)
    entries = application.audit_entries.select_related("actor").order_by("seq")
    lines = []
    for entry in entries:
        if role == Role.APPLICANT:
            if not entry.moved and entry.transition not in APPLICANT_EVENTS:
                continue
            shown = entry.actor_name if entry.actor_role == Role.APPLICANT else entry.tier_label
            lines.append(HistoryLine(entry, shown, entry.reason))
            continue
        experts_work = entry.transition in EXPERT_EVENTS or entry.actor_role == Role.GROUP_MEMBER
        mine = entry.actor_id == getattr(user, "pk", None)
        if experts_work and not sees_expert_identities(user) and not mine:
            continue
        lines.append(HistoryLine(entry, entry.actor_name, entry.reason))
    return lines


# --- pages beyond one application -----------------------------------------------------------


def may_read_meetings(user: Viewer | None) -> bool:
    """The joint meeting's agendas, resolutions and minutes."""
    return role_of(user) in (Role.MEETING_SECRETARY, *STAFF_READERS)


def may_list_documents(user: Viewer | None) -> bool:
    """The list of decision documents: everybody with a role in the programme, each seeing
    the documents of the requests they may read (``visible_documents``)."""
    return role_of(user) is not None


def may_read_audit_trail(user: Viewer | None) -> bool:
    return reads_everything(user)


def may_read_statistics(user: Viewer | None) -> bool:
    """The dashboard of the programme's figures: the programme office (administrators), the
    joint meeting's secretariat, auditors, and lead departments (over their own special
    projects: every figure is computed over ``applications_for``)."""
    return role_of(user) in (Role.LEAD_OFFICER, Role.MEETING_SECRETARY, *STAFF_READERS)


def sees_pool_budgets(user: Viewer | None) -> bool:
    """The funding departments' pooled budgets and what is left of them: the programme office,
    the secretariat that draws on them, auditors; not a lead department (they are the
    municipality's, across every special project)."""
    return role_of(user) in (Role.MEETING_SECRETARY, *STAFF_READERS)


def may_configure(user: Viewer | None) -> bool:
    """The back office's changes: calls, departments, organisations, people and their roles,
    policies. Administrators only."""
    return role_of(user) == Role.ADMINISTRATOR


def may_read_configuration(user: Viewer | None) -> bool:
    """The back office's lists and the configuration log, read-only: auditors and
    administrators."""
    return reads_everything(user)


def may_use_queue(user: Viewer | None) -> bool:
    return role_of(user) in REVIEWERS


def visible_q(user: Viewer | None, prefix: str) -> Q:
    """The policy as a filter on a related model: ``prefix`` names the application from it
    (``process__funding_application`` for flow tasks)."""
    condition = _visible(user)
    if condition is None:
        return Q(pk__in=[])
    return _through(condition, prefix)


# --- after the approval -----------------------------------------------------------------------

# The statuses in which a request's approval is published for public notice.
IN_PUBLIC_NOTICE = (Status.IN_NOTICE, Status.OBJECTION_REVIEW)


def publicly_noticed() -> QuerySet[FundingApplication]:
    """The requests anybody may read during their public notice, signed in or not: the pages
    show only their title, organisation and amount, nothing else of the request."""
    noticed: QuerySet[FundingApplication] = FundingApplication.objects.filter(
        status__in=IN_PUBLIC_NOTICE
    )
    return noticed


def may_read_objections(user: Viewer | None) -> bool:
    """The objections lodged against a notice, with the objectors' names and contacts: the
    secretariat that resolves them, auditors and administrators. Never the applicant."""
    return role_of(user) in (Role.MEETING_SECRETARY, *STAFF_READERS)


def may_use_award_queue(user: Viewer | None) -> bool:
    """The work after the approval: the secretariat's notices and objections, the lead
    departments' agreements and tranches, the applicants' agreements to confirm."""
    return role_of(user) in (Role.MEETING_SECRETARY, Role.LEAD_OFFICER, Role.APPLICANT)
