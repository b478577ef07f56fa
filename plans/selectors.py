"""Page-shaped reads of Plan, shared by the pages and the API: each loads what
its page or serializer shows in a fixed number of queries."""

from django.db.models import Prefetch

from .models import Kpi, Objective, Plan, PlanVersion, Responsibility

VERSION_STATE = ("plan__process", "author", "last_editor", "approved_by", "reviewed_by", "conforms_to")


def versions_with_content(queryset):
    """Versions with their responsibilities, objectives and KPIs (what a version
    page, the version serializer and `compare_versions` read)."""
    return queryset.select_related(*VERSION_STATE).prefetch_related(
        Prefetch("responsibilities", queryset=Responsibility.objects.select_related("user")),
        Prefetch(
            "objectives",
            queryset=Objective.objects.select_related("traces_to").prefetch_related(
                Prefetch("kpis", queryset=Kpi.objects.select_related("owner"))
            ),
        ),
    )


def plans_visible_to(user):
    """The plans `user` may see, each with only the versions he or she may see."""
    return (
        Plan.objects.visible_to(user)
        .with_current(user)
        .select_related("created_by")
        .prefetch_related("distribution_users", "distribution_groups")
    )


def attach_owners(plans):
    """Who each plan of a list page belongs to, as `plan.owners_shown`: the
    owner of its process; for the SMP and the CSI principle, which have no
    process, the people responsible for updating the version in force (else
    the newest version the reader may see). One query for the whole page; the
    plans come from `Plan.objects.with_current()`."""
    versions = {}
    for plan in plans:
        if plan.process_id is None:
            version = plan.current_version or plan.latest_version
            if version is not None:
                versions[plan.pk] = version.pk
    updaters = {}
    if versions:
        for responsibility in Responsibility.objects.filter(
            version_id__in=versions.values(), kind=Responsibility.Kind.UPDATING
        ).select_related("user"):
            updaters.setdefault(responsibility.version_id, []).append(responsibility.user)
    for plan in plans:
        plan.owners_shown = [plan.owner] if plan.owner else updaters.get(versions.get(plan.pk), [])
    return plans


def awaiting_review(user):
    """P3: the versions waiting for `user`'s review, oldest submission first."""
    return (
        PlanVersion.objects.awaiting_review_by(user)
        .select_related("plan__process__owner")
        .order_by("submitted_at", "pk")
    )


def awaiting_approval(user):
    """P3: the versions waiting for `user`'s decision, oldest submission first."""
    return (
        PlanVersion.objects.awaiting_approval_by(user)
        .select_related("plan__process__owner")
        .order_by("submitted_at", "pk")
    )


# -- the change history (for auditors) -----------------------------------------------

USER_FIELDS = {
    "author",
    "last_editor",
    "approved_by",
    "reviewed_by",
    "user",
    "owner",
    "created_by",
    "handed_over_by",
    "decided_by",
    "receivers",
}


class Subject(str):
    """What a history entry is about, in words, and the number of the version
    it belongs to (None for the plan itself), so that the page links the
    entry to that version's comparison with the version before it."""

    version = None

    @classmethod
    def of(cls, text, version=None):
        subject = cls(text)
        subject.version = version
        return subject


def plan_history(plan):
    """Every historical record of the plan, its versions, objectives, KPIs,
    responsibilities, milestones and handovers, newest first, each with what
    changed since the record before it. A fixed number of queries, however
    long the history."""
    from django.contrib.auth import get_user_model
    from django.utils.formats import date_format

    from pdca.history import Describer, change_entries

    from .models import Handover, Milestone

    User = get_user_model()
    version_records = list(PlanVersion.history.filter(plan_id=plan.pk).select_related("history_user"))
    version_numbers = {r.id: r.number for r in version_records}
    objective_records = list(
        Objective.history.filter(version_id__in=list(version_numbers)).select_related("history_user")
    )
    objective_codes = {r.id: r.code for r in objective_records}
    objective_versions = {r.id: version_numbers.get(r.version_id) for r in objective_records}
    kpi_records = list(
        Kpi.history.filter(objective_id__in=list(objective_codes)).select_related("history_user")
    )
    responsibility_records = list(
        Responsibility.history.filter(version_id__in=list(version_numbers)).select_related("history_user")
    )
    plan_records = list(Plan.history.filter(id=plan.pk).select_related("history_user"))
    milestone_records = list(Milestone.history.filter(plan_id=plan.pk).select_related("history_user"))
    handover_records = list(Handover.history.filter(plan_id=plan.pk).select_related("history_user"))

    user_ids = {
        getattr(r, f"{name}_id")
        for records in (version_records, kpi_records, responsibility_records, plan_records, handover_records)
        for r in records
        for name in USER_FIELDS
        if getattr(r, f"{name}_id", None)
    }
    # The people handovers name (a many-to-many field, set once at the proposal).
    user_ids |= set(
        Handover.receivers.through.objects.filter(handover__plan_id=plan.pk).values_list("user_id", flat=True)
    )
    users = User.objects.in_bulk(user_ids)
    smp_version_ids = {r.conforms_to_id for r in (*plan_records, *version_records) if r.conforms_to_id}
    smp_versions = dict(PlanVersion.objects.filter(pk__in=smp_version_ids).values_list("pk", "number"))
    trace_ids = {r.traces_to_id for r in objective_records if r.traces_to_id}
    traced = dict(Objective.objects.filter(pk__in=trace_ids).values_list("pk", "code"))
    kind_labels = dict(Responsibility.Kind.choices)
    Status = PlanVersion.Status
    describe = Describer(
        users=users,
        user_fields=USER_FIELDS,
        labels={
            "conforms_to": lambda pk: f"SMP version {smp_versions[pk]}" if pk in smp_versions else f"#{pk}",
            "traces_to": lambda pk: f"SMP objective {traced[pk]}" if pk in traced else f"#{pk}",
            "objective": lambda pk: objective_codes.get(pk, f"#{pk}"),
            "version": lambda pk: f"version {version_numbers[pk]}" if pk in version_numbers else f"#{pk}",
            "status": lambda value: (
                Status(value).label
                if value in Status.values
                else Handover.Status(value).label
                if value in Handover.Status.values
                else value
            ),
            "implementation_status": lambda value: (
                Plan.ImplementationStatus(value).label if value in Plan.ImplementationStatus.values else value
            ),
            "kind": lambda value: kind_labels.get(value, value),
            "content_hash": lambda value: value[:12],
        },
    )
    titles = {k: t for k, t, _ in plan.section_definitions}

    def sections_changed(old, new):
        old, new = old or {}, new or {}
        keys = [k for k in titles if old.get(k, "") != new.get(k, "")]
        return "sections changed: " + ", ".join(str(titles[k]) for k in keys)

    def user_of(record, previous):
        """Changes made outside a browser request (API token, tasks, scripts)
        carry no history user; for an edit of a version's content the
        version's last editor is that person, since every edit sets it."""
        if record.history_user_id or not hasattr(record, "revision"):
            return record.history_user
        if record.history_type == "+" or (previous is not None and record.revision != previous.revision):
            return users.get(record.last_editor_id)
        return None

    return change_entries(
        [
            (plan_records, lambda r: "Plan"),
            (version_records, lambda r: Subject.of(f"Version {r.number}", r.number)),
            (
                objective_records,
                lambda r: Subject.of(
                    f"Objective {r.code} (version {version_numbers.get(r.version_id, '?')})",
                    version_numbers.get(r.version_id),
                ),
            ),
            (
                kpi_records,
                lambda r: Subject.of(
                    f"KPI “{r.metric}” of {objective_codes.get(r.objective_id, '?')}",
                    objective_versions.get(r.objective_id),
                ),
            ),
            (milestone_records, lambda r: f"Milestone “{r.title}”"),
            (handover_records, lambda r: f"Handover of {date_format(r.handover_on, 'j M Y')}"),
            (
                responsibility_records,
                lambda r: Subject.of(
                    f"{kind_labels.get(r.kind, r.kind)} responsibility: {describe('user', r.user_id)} "
                    f"(version {version_numbers.get(r.version_id, '?')})",
                    version_numbers.get(r.version_id),
                ),
            ),
        ],
        describe=describe,
        field_changes={"sections": sections_changed},
        user_of=user_of,
    )
