"""Page-shaped reads of Act, for the pages, the exports and the API alike: each
loads what its page shows in a fixed number of queries, however many
improvements, values, checks and projects there are.

Who may see an improvement is `Improvement.objects.visible_to(user)`; its
baseline, results, checks and projects are read with it. A project is seen by
whoever reads the whole SMS, and by others through the improvements it
carries that they may see.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import is_read_only, reads_everything
from pdca.decisions import timeline
from pdca.widgets import ListSelect
from plans.models import Kpi, Plan, Process
from reviews.models import Finding

from . import permissions
from .models import BaselineValue, EffectivenessCheck, Improvement, Project, ProjectMilestone, ResultValue

Status = Improvement.Status
User = get_user_model()

# The workflow's order, for sorting by status and for the counts above the register.
STATUS_ORDER = [
    Status.PROPOSED,
    Status.APPROVED,
    Status.IN_IMPLEMENTATION,
    Status.IMPLEMENTED,
    Status.EVALUATED,
    Status.CLOSED,
    Status.REJECTED,
]
PRIORITY_ORDER = [
    Improvement.Priority.LOW,
    Improvement.Priority.MEDIUM,
    Improvement.Priority.HIGH,
    Improvement.Priority.CRITICAL,
]


def _rank(name, order):
    return Case(
        *[When(**{name: value}, then=Value(rank)) for rank, value in enumerate(order)],
        default=Value(len(order)),
        output_field=IntegerField(),
    )


# -- the register (the SIP) ----------------------------------------------------------------------


def _open_overdue(today=None):
    return Q(status__in=Improvement.OPEN_STATES, required_by__lt=today or timezone.localdate())


def _processes_held(user):
    """The processes of the improvements `user` may read: every process when
    he or she reads the whole register; otherwise those of the plans he or
    she reads that have improvements, and those of the improvements he or she
    raised or owns (`Improvement.objects.visible_to`), found from the few
    processes rather than from every improvement a reader of most plans sees."""
    linked = Improvement.processes.through.objects.filter(process=OuterRef("pk"))
    if reads_everything(user):
        return Process.objects.filter(Exists(linked))
    readable = Plan.objects.visible_to(user).filter(process__isnull=False).values("process_id")
    own = Improvement.objects.filter(Q(raised_by=user) | Q(owner=user)).values("processes")
    return Process.objects.filter((Q(pk__in=readable) & Exists(linked)) | Q(pk__in=own))


class ImprovementFilter(django_filters.FilterSet):
    """The one filter of the register: its page, its exports, and the API if it
    wants it. The choices name only what `user` may see."""

    OPEN = "open"

    search = django_filters.CharFilter(
        method="filter_search",
        label=gettext_lazy("Search"),
        help_text=gettext_lazy("Words in the title or description, or a number such as I-12."),
    )
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[(OPEN, gettext_lazy("Open (not closed or rejected)")), *Status.choices],
        label=gettext_lazy("Status"),
        empty_label=gettext_lazy("Any status"),
    )
    scope = django_filters.ChoiceFilter(
        choices=Improvement.Scope.choices, label=gettext_lazy("Scope"), empty_label=gettext_lazy("Any scope")
    )
    # Hundreds of owners and processes at scale: `ListSelect` writes their options fast.
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(),
        label=gettext_lazy("Owner"),
        empty_label=gettext_lazy("Anybody"),
        widget=ListSelect,
    )
    process = django_filters.ModelChoiceFilter(
        field_name="processes",
        queryset=Process.objects.none(),
        label=gettext_lazy("Process"),
        empty_label=gettext_lazy("Any process"),
        widget=ListSelect,
    )
    source = django_filters.ChoiceFilter(
        choices=Improvement.Source.choices,
        label=gettext_lazy("Source"),
        empty_label=gettext_lazy("Any source"),
    )
    priority = django_filters.ChoiceFilter(
        choices=Improvement.Priority.choices,
        label=gettext_lazy("Priority"),
        empty_label=gettext_lazy("Any priority"),
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=gettext_lazy("Required by"),
        widget=forms.Select(
            choices=[
                ("", gettext_lazy("Any date")),
                ("true", gettext_lazy("Overdue")),
                ("false", gettext_lazy("Not overdue")),
            ]
        ),
        help_text=gettext_lazy("Open, and its required-by date has passed."),
    )

    class Meta:
        model = Improvement
        fields = ["search", "status", "scope", "owner", "process", "source", "priority", "overdue"]

    # The filters the register page offers, in its order.
    PAGE_FILTERS = ("search", "status", "scope", "owner", "process", "source", "priority", "overdue")

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.user = user
        visible = Improvement.objects.visible_to(user)
        self.filters["owner"].queryset = User.objects.filter(
            pk__in=visible.filter(owner__isnull=False).values("owner")
        ).order_by("last_name", "first_name", "username")
        self.filters["process"].queryset = _processes_held(user).order_by("name")

    def filter_search(self, queryset, name, value):
        for word in value.split():
            number = word.upper().removeprefix("I-")
            query = Q(title__icontains=word) | Q(description__icontains=word)
            if number.isdigit():
                query |= Q(number=int(number))
            queryset = queryset.filter(query)
        return queryset

    def filter_status(self, queryset, name, value):
        if value == self.OPEN:
            return queryset.filter(status__in=Improvement.OPEN_STATES)
        return queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        overdue = _open_overdue()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


# The columns the register sorts by: the name in the address -> the order ("-name" reverses it).
REGISTER_SORTS = {
    "number": ("number",),
    "required_by": ("required_by", "-number"),
    "priority": ("priority_rank", "-number"),
    "status": ("status_rank", "-number"),
}
DEFAULT_REGISTER_SORT = "-number"
NULLABLE_SORTS = {"required_by"}


def register_ordering(sort):
    """(the order_by expressions, the sort applied) for `sort`; the default for
    an unknown one. Improvements without a required-by date sort last either way."""
    sort = sort or DEFAULT_REGISTER_SORT
    name = sort.removeprefix("-")
    if name not in REGISTER_SORTS:
        return register_ordering(DEFAULT_REGISTER_SORT)
    ordering = []
    for column in REGISTER_SORTS[name]:
        descending = column.startswith("-") != sort.startswith("-")
        field = column.removeprefix("-")
        expression = F(field)
        # Only a date may be missing; "nulls last" on a column that is never
        # empty would keep the database from reading the number's index in order.
        nulls_last = True if field in NULLABLE_SORTS else None
        ordering.append(
            expression.desc(nulls_last=nulls_last) if descending else expression.asc(nulls_last=nulls_last)
        )
    return ordering, sort


def register_rows(queryset):
    """Improvements as the register (and its exports) show them."""
    return (
        queryset.select_related("owner", "finding__review", "finding__process", "kpi")
        .prefetch_related(Prefetch("processes", queryset=Process.objects.order_by("name")))
        .annotate(priority_rank=_rank("priority", PRIORITY_ORDER), status_rank=_rank("status", STATUS_ORDER))
    )


@dataclass
class Register:
    """The register as its page shows it."""

    filter: object  # the bound `ImprovementFilter`: its form is the page's filter form
    improvements: object  # the improvements that pass the filter, sorted
    sort: str  # the sort applied ("-number", "priority", ...)


def improvement_register(user, filters=None, *, sort=None):
    """A2: every improvement `user` may read, filtered by `filters` (the query
    parameters of `ImprovementFilter`) and sorted by `sort` (a key of
    `REGISTER_SORTS`, "-" for descending). One query for a page of it, one to
    count it, one for the processes of the page."""
    register_filter = ImprovementFilter(
        filters or None, queryset=Improvement.objects.visible_to(user), user=user
    )
    ordering, applied = register_ordering(sort)
    improvements = register_rows(register_filter.qs).order_by(*ordering)
    return Register(filter=register_filter, improvements=improvements, sort=applied)


@dataclass(frozen=True)
class StatusCount:
    value: str  # the filter value that lists these improvements
    label: str
    count: int


def status_counts(user, filters=None):
    """How many improvements `user` may read in each state, under every filter
    of `filters` but the status (so that each count is the length of the list
    its link shows), and how many of them are overdue. One query."""
    rest = (filters or {}).copy()
    rest.pop("status", None)
    queryset = ImprovementFilter(rest or None, queryset=Improvement.objects.visible_to(user), user=user).qs
    # No DISTINCT: the filters join nothing that repeats an improvement (one
    # process at most), and counting distinct ids sorted every group.
    rows = (
        queryset.order_by()
        .values_list("status")
        .annotate(n=Count("pk"), late=Count("pk", filter=_open_overdue()))
    )
    counted = {status: (n, late) for status, n, late in rows}
    counts = [
        StatusCount(str(status), str(status.label), counted.get(status, (0, 0))[0]) for status in STATUS_ORDER
    ]
    overdue = sum(late for _n, late in counted.values())
    return counts, overdue


def listed_count(register, counts):
    """How many improvements `register` lists, read from the `counts` by status
    under its other filters (`status_counts`) instead of counting them again."""
    form = register.filter.form
    form.is_valid()  # an invalid status is not applied: the register lists every status
    status = getattr(form, "cleaned_data", {}).get("status") or ""
    if not status:
        return sum(count.count for count in counts)
    if status == ImprovementFilter.OPEN:
        return sum(count.count for count in counts if count.value in Improvement.OPEN_STATES)
    return sum(count.count for count in counts if count.value == status)


# -- one improvement ---------------------------------------------------------------------------------


def improvement_with_parts(queryset):
    """Improvements with everything their page (or the API's detail) shows and
    what `permissions.improvement_actions` reads: the processes with their
    owners and deputies, the finding and its review, the KPI, the baseline,
    the results, the effectiveness checks and the projects."""
    # The finding and the KPI come in queries of their own: joined in, their
    # chains made a thirteen-table join that PostgreSQL took 9 ms to plan
    # (to run it, 0.6 ms).
    return queryset.select_related(
        "owner",
        "raised_by",
        "approved_by",
        "closed_by",
        "baseline_accepted_by",
    ).prefetch_related(
        Prefetch("finding", queryset=Finding.objects.select_related("review", "process")),
        Prefetch("kpi", queryset=Kpi.objects.select_related("objective__version__plan")),
        Prefetch("processes", queryset=Process.objects.select_related("owner").order_by("name")),
        "processes__deputies",
        Prefetch("baseline", queryset=BaselineValue.objects.select_related("kpi").order_by("pk")),
        Prefetch("results", queryset=ResultValue.objects.select_related("recorded_by", "kpi").order_by("pk")),
        Prefetch("checks", queryset=EffectivenessCheck.objects.select_related("checked_by")),
        Prefetch(
            "projects", queryset=Project.objects.select_related("manager").order_by("starts_on", "name")
        ),
    )


def visible_improvement(user, number):
    """The improvement with that number if `user` may read it, else None."""
    return improvement_with_parts(Improvement.objects.visible_to(user)).filter(number=number).first()


@dataclass
class Comparison:
    """A4: one line of the baseline / target / achieved table."""

    label: str
    unit: str
    baseline: object = None  # BaselineValue or None
    achieved: object = None  # ResultValue or None
    target: object = None  # Decimal or None
    direction: str = ""  # "higher" / "lower" when a KPI says which way is better
    kpi_key: object = None  # the KPI's identity across plan versions, when a KPI measures it

    @property
    def difference(self):
        if self.baseline is None or self.achieved is None:
            return None
        return self.achieved.value - self.baseline.value

    @property
    def improved(self):
        """Whether the achieved value is better than the baseline (None when unknown)."""
        difference = self.difference
        if difference is None or not self.direction or difference == 0:
            return None
        return (difference > 0) == (self.direction == "higher")

    @property
    def target_met(self):
        if self.achieved is None or self.target is None or not self.direction:
            return None
        if self.direction == "higher":
            return self.achieved.value >= self.target
        return self.achieved.value <= self.target


def main_comparison(improvement, lines):
    """The line of the improvement's own KPI, else the first line, else None."""
    main = next((line for line in lines if line.kpi_key and line.kpi_key == improvement.kpi_key), None)
    return main or (lines[0] if lines else None)


def comparison(improvement):
    """A4: baseline, target and achieved side by side, one line per measured
    thing: values of the same KPI (by its key across plan versions) or, failing
    that, of the same label are lined up; the latest achieved value counts. The
    improvement's target applies to its KPI's line."""
    lines = {}

    def line_for(value):
        key = ("kpi", value.kpi_key) if value.kpi_key else ("label", value.label.strip().lower())
        if key not in lines:
            lines[key] = Comparison(label=value.label, unit=value.unit, kpi_key=value.kpi_key)
            if value.kpi_key and value.kpi_key == improvement.kpi_key:
                lines[key].target = improvement.target
            kpi = value.kpi or (improvement.kpi if value.kpi_key == improvement.kpi_key else None)
            if kpi is not None:
                lines[key].direction = kpi.direction
                if lines[key].target is None and value.kpi_key == improvement.kpi_key:
                    lines[key].target = kpi.target
        return lines[key]

    for value in improvement.baseline.all():
        line_for(value).baseline = value
    for value in improvement.results.all():
        line = line_for(value)
        if line.achieved is None or value.period_end >= line.achieved.period_end:
            line.achieved = value
    if improvement.kpi_id and ("kpi", improvement.kpi_key) not in lines:
        lines[("kpi", improvement.kpi_key)] = Comparison(
            label=improvement.kpi.metric,
            unit=improvement.kpi.unit,
            target=improvement.target if improvement.target is not None else improvement.kpi.target,
            direction=improvement.kpi.direction,
            kpi_key=improvement.kpi_key,
        )
    return list(lines.values())


# -- the timeline -------------------------------------------------------------------------------------

STAGES = [
    ("finding", gettext_lazy("Finding")),
    ("improvement", gettext_lazy("Improvement")),
    ("project", gettext_lazy("Project")),
    ("baseline", gettext_lazy("Baseline")),
    ("implementation", gettext_lazy("Implementation")),
    ("result", gettext_lazy("Result")),
    ("effectiveness", gettext_lazy("Effectiveness checks")),
    ("closure", gettext_lazy("Closure")),
]

ACTION_STAGES = {
    "approve": "finding",  # the review's approval raised the improvement
    "raise_improvement": "improvement",
    "approve_improvement": "improvement",
    "reject_improvement": "improvement",
    "create_project": "project",
    "approve_project": "project",
    "accept_baseline": "baseline",
    "start_improvement": "implementation",
    "improvement_implemented": "implementation",
    "effective": "effectiveness",
    "not_effective": "effectiveness",
    "close_improvement": "closure",
    "close_finding": "closure",
}


@dataclass
class TimelineEntry:
    at: datetime
    text: str
    actor: object = None
    comment: str = ""
    url: str = ""
    tone: str = ""  # "danger" or ""
    all_day: bool = False  # a date (a measurement's), not a moment


@dataclass
class Stage:
    key: str
    label: str
    state: str  # "done", "current", "pending" or "skipped"
    entries: list = field(default_factory=list)


def _at(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _stage_states(improvement, stages):
    """Each stage done, skipped (not needed, or after a rejection), the one the
    improvement is at ("current"), or still to come."""
    done = {
        "finding": improvement.finding_id is not None,
        "improvement": improvement.approved_at is not None or improvement.status == Status.REJECTED,
        "project": bool(improvement.projects.all()),
        "baseline": improvement.baseline_accepted_at is not None,
        "implementation": improvement.implemented_at is not None
        and improvement.status not in (Status.APPROVED, Status.IN_IMPLEMENTATION),
        "result": bool(improvement.results.all()),
        "effectiveness": improvement.status in (Status.EVALUATED, Status.CLOSED),
        "closure": improvement.status == Status.CLOSED,
    }
    not_needed = {"finding": True, "project": not improvement.needs_project}
    finished = improvement.status in (Status.CLOSED, Status.REJECTED)
    current_found = finished
    for key, stage in stages.items():
        if done[key]:
            stage.state = "done"
        elif not_needed.get(key) or (improvement.status == Status.REJECTED):
            stage.state = "skipped"
        elif not current_found:
            stage.state = "current"
            current_found = True
        else:
            stage.state = "pending"


def improvement_timeline(improvement):
    """The way from the finding to the closure, stage by stage (finding ->
    improvement -> project -> baseline -> implementation -> result ->
    effectiveness checks -> closure), each with its decision records and the
    dates of its objects, oldest first. One query for the decisions."""
    finding = improvement.finding
    projects = list(improvement.projects.all())
    subjects = [improvement, *projects]
    if finding is not None:
        subjects.append(finding.review)
    stages = {key: Stage(key, str(label), "pending") for key, label in STAGES}
    if finding is not None:
        stages["finding"].entries.append(
            TimelineEntry(
                at=finding.raised_at,
                text=_("%(grade)s %(code)s raised in “%(review)s”")
                % {"grade": finding.get_grade_display(), "code": finding.code, "review": finding.review},
                url=finding.get_absolute_url(),
            )
        )
    else:
        stages["finding"].entries.append(
            TimelineEntry(
                at=_at(improvement.raised_on),
                all_day=True,
                text=_("No finding: raised from a %(source)s")
                % {"source": improvement.get_source_display().lower()},
            )
        )
    review_pk = finding.review_id if finding is not None else None
    for decision in timeline(*subjects):
        stage = ACTION_STAGES.get(decision.action)
        if stage is None:
            continue
        model = decision.content_type.model
        if model == "review":
            if decision.object_id != review_pk:
                continue
            # A review's decisions concern all its findings: keep its approval, and the
            # closure of this finding only.
            if decision.action == "close_finding" and improvement.code not in decision.comment:
                continue
            if decision.action not in ("approve", "close_finding"):
                continue
        project = next((p for p in projects if model == "project" and p.pk == decision.object_id), None)
        if model == "project" and project is None:
            continue
        # A decision label reads after the actor's name and before its subject's.
        subject = f"“{project or finding.review}”" if model in ("project", "review") else improvement.code
        text = f"{decision.actor} {decision.action_label} {subject}"
        stages[stage].entries.append(
            TimelineEntry(
                at=decision.at,
                text=text,
                actor=decision.actor,
                comment=decision.comment if decision.action != "close_finding" else "",
                url=project.get_absolute_url() if project is not None else "",
                tone="danger" if decision.action == "not_effective" else "",
            )
        )
    for value in improvement.baseline.all():
        stages["baseline"].entries.append(
            TimelineEntry(
                at=_at(value.measured_on),
                all_day=True,
                text=_("Baseline: %(label)s was %(value)s %(unit)s on %(date)s")
                % {
                    "label": value.label,
                    "value": _plain(value.value),
                    "unit": value.unit,
                    "date": _date(value.measured_on),
                },
                comment=value.evidence
                or (_("From the KPI's measurements.") if value.from_measurements else ""),
            )
        )
    for value in improvement.results.all():
        stages["result"].entries.append(
            TimelineEntry(
                at=value.recorded_at,
                text=_("%(person)s recorded the achieved %(label)s: %(value)s %(unit)s (%(start)s – %(end)s)")
                % {
                    "person": value.recorded_by,
                    "label": value.label,
                    "value": _plain(value.value),
                    "unit": value.unit,
                    "start": _date(value.period_start),
                    "end": _date(value.period_end),
                },
                comment=value.evidence,
            )
        )
    for stage in stages.values():
        stage.entries.sort(key=lambda entry: entry.at)
    _stage_states(improvement, stages)
    return list(stages.values())


def _plain(value):
    from pdca.templatetags.portal import quantity_filter

    return quantity_filter(value)


def _date(day):
    from django.utils.formats import date_format

    return date_format(day, "j M Y")


# -- the dashboard ---------------------------------------------------------------------------------------


def _decided_by(user, queryset):
    """The queryset form of `permissions.decide_refusal(user, improvement) == ''`:
    a CSI owner named in the principle in force, who neither owns the
    improvement nor proposed it by hand."""
    if not permissions.is_csi_owner(user):
        return Improvement.objects.none()
    return queryset.exclude(owner=user).exclude(finding__isnull=True, raised_by=user)


def awaiting_decision(user):
    """The proposed improvements `user` may approve or reject."""
    return _decided_by(user, Improvement.objects.filter(status=Status.PROPOSED))


def awaiting_verification(user):
    """The improvements `user` may check for effectiveness (implemented, with
    achieved values recorded) or close (evaluated)."""
    with_results = Exists(ResultValue.objects.filter(improvement=OuterRef("pk")))
    return _decided_by(
        user,
        Improvement.objects.alias(has_results=with_results).filter(
            Q(status=Status.IMPLEMENTED, has_results=True) | Q(status=Status.EVALUATED)
        ),
    )


def carried_out_by(user):
    """The open improvements `user` carries out (A3): those he or she owns and,
    of one process, those of the processes he or she owns or deputises: the
    queryset form of `permissions.is_responsible`."""
    if not user.is_authenticated or is_read_only(user):
        return Improvement.objects.none()
    # Sets of ids, not an OR over the joins of every improvement with its
    # processes and their deputies (a scan of the whole register per task source).
    processes = Process.objects.filter(
        Q(owner=user) | Q(pk__in=Process.deputies.through.objects.filter(user=user).values("process_id"))
    )
    linked = Improvement.processes.through.objects.filter(process__in=processes.values("pk"))
    return Improvement.objects.filter(
        Q(owner=user) | Q(scope=Improvement.Scope.PROCESS, pk__in=linked.values("improvement_id"))
    )


def overdue(queryset=None, today=None):
    return (queryset if queryset is not None else Improvement.objects.all()).filter(_open_overdue(today))


def not_effective(queryset=None):
    """Reopened after a failed effectiveness check (A5), not yet implemented again."""
    return (queryset if queryset is not None else Improvement.objects.all()).filter(
        effective=False, status=Status.IN_IMPLEMENTATION
    )


# -- projects (A3) ----------------------------------------------------------------------------------------


def projects_visible_to(user):
    """Whoever reads the whole SMS sees every project; others the projects that
    carry an improvement they may see."""
    if reads_everything(user):
        return Project.objects.all()
    return Project.objects.filter(
        improvements__in=Improvement.objects.visible_to(user).values("pk")
    ).distinct()


def project_list(user):
    """Projects as their list shows them, with how many improvements they carry
    and how many milestones are done. One query (and one to count)."""
    return (
        projects_visible_to(user)
        .select_related("manager", "approved_by")
        .annotate(
            improvement_count=Count("improvements", distinct=True),
            milestone_count=Count("milestones", distinct=True),
            milestones_done=Count("milestones", filter=Q(milestones__done_on__isnull=False), distinct=True),
        )
        .order_by("status", "starts_on", "name")
    )


def project_with_parts(user, pk):
    """The project with its manager, approval, milestones and the improvements
    it carries that `user` may see; None if `user` may not see the project."""
    visible = Improvement.objects.visible_to(user).values("pk")
    return (
        projects_visible_to(user)
        .select_related("manager", "approved_by", "created_by")
        .prefetch_related(
            Prefetch("milestones", queryset=ProjectMilestone.objects.order_by("due_on", "pk")),
            Prefetch(
                "improvements",
                queryset=Improvement.objects.filter(pk__in=visible)
                .select_related("owner")
                .prefetch_related(Prefetch("processes", queryset=Process.objects.order_by("name")))
                .order_by("number"),
            ),
        )
        .filter(pk=pk)
        .first()
    )
