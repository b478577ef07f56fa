"""Plan's tasks for the inbox (`pdca.inbox`): versions to review and to approve
(P3), drafts sent back with changes requested, versions to acknowledge (P6)
and conformance reviews due (P5). Each source asks the rules of
`plans.permissions` in its query, so a task is listed exactly when the page
it links to offers the action; each runs a fixed number of queries."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, IntegerField, OuterRef
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.models import UserObjectPermission

from pdca.inbox import Task, annotate_latest_decision, latest_decisions, people

from .models import Acknowledgement, Plan, PlanVersion
from .permissions import is_manager, is_read_only

Status = PlanVersion.Status


def _version_label(version):
    return _("%(plan)s, version %(number)s") % {
        "plan": version.title or version.plan,
        "number": version.number,
    }


def _editable_plans(user):
    """The plans `user` may change: the queryset form of
    `permissions.edit_refusal(user, plan) == ''` (the object permission
    `plans.change_plan`, never for auditors)."""
    if not user.is_authenticated or is_read_only(user):
        return Plan.objects.none()
    granted = UserObjectPermission.objects.filter(
        user=user,
        content_type=ContentType.objects.get_for_model(Plan),
        permission__codename="change_plan",
    )
    return Plan.objects.active().filter(  # an archived plan changes no more
        pk__in=granted.annotate(plan_pk=Cast("object_pk", IntegerField())).values("plan_pk")
    )


def _submitted(queryset):
    """Versions with the submission that put them in review: its note, who, when."""
    return annotate_latest_decision(
        queryset, "submission", latest_decisions(PlanVersion, actions=("submit",))
    ).order_by("submitted_at", "pk")


def _submission_task(kind, title, version, names):
    submitter = names.get(version.submission_actor_id) or version.author
    return Task(
        kind=kind,
        title=title,
        reason=version.submission_comment or _("Submitted without a note."),
        since=version.submitted_at or version.submission_at,
        url=version.get_absolute_url(),
        actor_name=str(submitter),
        object_label=_version_label(version),
    )


def versions_to_review(user):
    """P3: the versions in review that name `user` as reviewer."""
    if not user.is_authenticated or is_read_only(user):
        return []
    versions = list(_submitted(PlanVersion.objects.awaiting_review_by(user)))
    names = people(v.submission_actor_id for v in versions)
    return [
        _submission_task("plan_review", _("Review %(version)s") % {"version": _version_label(v)}, v, names)
        for v in versions
    ]


def versions_to_approve(user):
    """P3: the versions waiting for `user`'s decision as their named approver, a
    manager who neither wrote nor edited them (`permissions.approval_refusal`)."""
    if not is_manager(user) or is_read_only(user):
        return []
    versions = (
        PlanVersion.objects.awaiting_approval_by(user)
        .exclude(author=user)
        .exclude(last_editor=user)
        .exclude(editors=user)
    )
    versions = list(_submitted(versions))
    names = people(v.submission_actor_id for v in versions)
    return [
        _submission_task(
            "plan_approval", _("Decide on %(version)s") % {"version": _version_label(v)}, v, names
        )
        for v in versions
    ]


def drafts_with_changes_requested(user):
    """P3: the drafts `user` may change that a reviewer or approver sent back
    with changes requested, until they are submitted again: the request (who,
    when, its comment) is the reason."""
    drafts = PlanVersion.objects.filter(status=Status.DRAFT, plan__in=_editable_plans(user))
    # The decision that made the version a draft again; a new revision or a
    # withdrawn submission is a draft too, but nobody asked for changes.
    drafts = annotate_latest_decision(
        drafts.select_related("plan"), "back", latest_decisions(PlanVersion, to_state=Status.DRAFT)
    ).filter(back_action="request_changes")
    drafts = list(drafts.order_by("-back_at", "pk"))
    names = people(v.back_actor_id for v in drafts)
    return [
        Task(
            kind="plan_changes_requested",
            title=_("Rework %(version)s") % {"version": _version_label(v)},
            reason=v.back_comment,
            since=v.back_at,
            url=v.get_absolute_url(),
            actor_name=str(names.get(v.back_actor_id, "")),
            object_label=_version_label(v),
        )
        for v in drafts
    ]


def versions_to_acknowledge(user):
    """P6: the communicated versions `user` was asked to read and has not yet
    acknowledged (`permissions.version_actions` offers "acknowledge")."""
    acknowledgements = Acknowledgement.objects.filter(
        user=user, acknowledged_at__isnull=True, version__status=Status.COMMUNICATED
    ).select_related("version__plan")
    acknowledgements = list(
        annotate_latest_decision(
            acknowledgements,
            "communication",
            latest_decisions(PlanVersion, outer="version_id", actions=("communicate",)),
        ).order_by("-sent_at", "pk")
    )
    names = people(a.communication_actor_id for a in acknowledgements)
    return [
        Task(
            kind="plan_acknowledge",
            title=_("Read and acknowledge %(version)s") % {"version": _version_label(a.version)},
            reason=a.communication_comment
            or _("Communicated to you: read it and confirm that you have read it."),
            since=a.sent_at,
            url=a.version.get_absolute_url(),
            actor_name=str(names.get(a.communication_actor_id, "")),
            object_label=_version_label(a.version),
        )
        for a in acknowledgements
    ]


def conformance_reviews(user):
    """P5: the flagged plans `user` may confirm or revise
    (`permissions.confirm_conformance_refusal`)."""
    in_force = Exists(PlanVersion.objects.filter(plan=OuterRef("pk"), status__in=PlanVersion.IN_FORCE))
    plans = (
        _editable_plans(user).filter(conformance_review_due=True).filter(in_force).select_related("process")
    )
    plans = list(
        annotate_latest_decision(
            plans, "flagged", latest_decisions(Plan, actions=("flag_conformance_review",))
        ).order_by("-flagged_at", "title")
    )
    names = people(p.flagged_actor_id for p in plans)
    return [
        Task(
            kind="plan_conformance",
            title=_("Review the conformance of %(plan)s") % {"plan": p.title},
            reason=(p.flagged_comment or "")
            + " "
            + _("Confirm that the plan conforms to the new SMP version, or revise it."),
            since=p.flagged_at or p.created_at,
            url=p.get_absolute_url(),
            actor_name=str(names.get(p.flagged_actor_id, "")),
            object_label=p.title,
        )
        for p in plans
    ]


KINDS = (
    ("plan_approval", gettext_lazy("Plans to approve"), versions_to_approve, 10),
    ("plan_review", gettext_lazy("Plans to review"), versions_to_review, 11),
    ("plan_changes_requested", gettext_lazy("Changes requested"), drafts_with_changes_requested, 12),
    ("plan_conformance", gettext_lazy("Conformance reviews due"), conformance_reviews, 13),
    ("plan_acknowledge", gettext_lazy("Plans to acknowledge"), versions_to_acknowledge, 14),
)


def register(registry):
    for kind, label, source, order in KINDS:
        registry.register_task_source(kind, label, source, order=order)
