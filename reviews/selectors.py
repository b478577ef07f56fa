"""Page-shaped reads of Check, shared by the pages and the API: each loads
what its page or serializer shows in a fixed number of queries, whatever the
number of reviews, findings and parts.

Who may see a review is `Review.objects.visible_to(user)`; its findings and
actions are read with it.
"""

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from plans.models import Plan, Process

from . import permissions
from .models import Addendum, Attainment, Finding, Review, ReviewAction, ReviewInput, ReviewSchedule

# -- reviews --------------------------------------------------------------------------------

REVIEW_STATE = ("plan__process", "version", "reviewer", "schedule")


def reviews_summary(queryset):
    """Reviews as a list shows them: what, when, who and how many findings."""
    # Counted per review shown, not by grouping every review with every finding
    # before the page is cut: the list then reads in the order of an index.
    findings = Finding.objects.filter(review=OuterRef("pk")).order_by().values("review")
    return (
        queryset.select_related(*REVIEW_STATE)
        .prefetch_related("processes")
        .annotate(findings_count=Coalesce(Subquery(findings.annotate(n=Count("pk")).values("n")), 0))
        .order_by(*Review._meta.ordering)
    )


def reviews_with_parts(queryset):
    """Reviews with everything the page or the API detail of one review shows:
    its people, processes, inputs, attainment, findings, actions and addenda,
    and what `reviews.permissions.review_actions` reads (the process owner
    and deputies)."""
    return queryset.select_related(
        *REVIEW_STATE, "plan__process__owner", "author", "last_editor", "approved_by"
    ).prefetch_related(
        "processes",
        "participants",
        "plan__process__deputies",
        Prefetch("inputs", queryset=ReviewInput.objects.order_by("position", "pk")),
        Prefetch("attainments", queryset=Attainment.objects.order_by("objective_code", "pk")),
        Prefetch("findings", queryset=Finding.objects.select_related("process").order_by("number")),
        Prefetch(
            "actions",
            queryset=ReviewAction.objects.select_related("owner", "done_by", "finding").order_by(
                "due_on", "pk"
            ),
        ),
        Prefetch("addenda", queryset=Addendum.objects.select_related("author").order_by("written_at", "pk")),
    )


def awaiting_decision(user):
    """The submitted reviews `user` may approve or return: the queryset form of
    `reviews.permissions.decide_refusal(user, review) == ''`. C4: a manager
    (never an auditor) who is neither the reviewer nor a participant, nor who
    planned or edited the review."""
    if not user.is_authenticated or permissions.is_read_only(user) or not permissions.is_manager(user):
        return Review.objects.none()
    return (
        Review.objects.awaiting_approval()
        .exclude(reviewer=user)
        .exclude(author=user)
        .exclude(last_editor=user)
        .exclude(participants=user)
        .exclude(editors=user)
    )


# -- review schedules (C2) ---------------------------------------------------------------------


def schedules_visible_to(user):
    """The review schedules of the plans `user` may see, for those who read
    the whole SMS; staff read approved reviews, not the planning of the next."""
    if not permissions.reads_everything(user):
        return ReviewSchedule.objects.none()
    visible = Plan.objects.visible_to(user).values("pk")
    return ReviewSchedule.objects.filter(plan__in=visible).select_related("plan__process", "reviewer")


# -- findings (C6) and actions (C4) -------------------------------------------------------------


def _of_visible_reviews(user):
    """Rows of the reviews `user` may see; no condition at all for who reads
    every review (a semi-join with every review costs the findings register
    a third of its counting otherwise)."""
    if permissions.reads_everything(user):
        return Q()
    return Q(review__in=Review.objects.visible_to(user).values("pk"))


def visible_findings(user):
    """The findings of the reviews `user` may see, with their review and process."""
    return Finding.objects.filter(_of_visible_reviews(user)).select_related("review", "process")


def actions_visible_to(user):
    """The actions of the reviews `user` may see, and the actions he or she
    owns: the owner marks an action done (C4), whoever may read the review."""
    visible = _of_visible_reviews(user)
    if visible:  # not everything: the reviews he or she reads, and his or her own actions
        visible |= Q(owner=user)
    return ReviewAction.objects.filter(visible).select_related("review", "owner", "done_by", "finding")


# -- the findings register ---------------------------------------------------------------------

# The columns the register sorts by: the name in the address -> the order ("-name" reverses it).
REGISTER_SORTS = {
    "grade": ("grade", "-raised_at", "-pk"),
    "clause": ("clause", "-raised_at", "-pk"),
    "process": ("process__name", "-raised_at", "-pk"),
    "review": ("review__title", "number"),
    "raised": ("raised_at", "pk"),
    "status": ("status", "-raised_at", "-pk"),
}
DEFAULT_REGISTER_SORT = "-raised"
NULLABLE_SORTS = {"process__name"}


@dataclass
class Register:
    """The findings register as its page shows it."""

    filter: object  # the bound `FindingFilter`: its form is the page's filter form
    findings: object  # the findings that pass the filter, sorted
    sort: str  # the sort applied ("-raised", "grade", ...)


def register_ordering(sort):
    """(the order_by expressions, the sort applied) for `sort`; the default for
    an unknown one. Findings of no single process sort last either way."""
    sort = sort or DEFAULT_REGISTER_SORT
    name = sort.removeprefix("-")
    if name not in REGISTER_SORTS:
        return register_ordering(DEFAULT_REGISTER_SORT)
    ordering = []
    for field in REGISTER_SORTS[name]:
        descending = field.startswith("-") != sort.startswith("-")
        field = field.removeprefix("-")
        expression = F(field)
        # Only the process may be missing; "nulls last" on a column that is never
        # empty would keep the database from reading the index of `raised_at` in order.
        nulls_last = True if field in NULLABLE_SORTS else None
        ordering.append(
            expression.desc(nulls_last=nulls_last) if descending else expression.asc(nulls_last=nulls_last)
        )
    return ordering, sort


def _finding_filter(user, data):
    from .api.filters import FindingFilter

    return FindingFilter(data or None, queryset=visible_findings(user), user=user)


def findings_register(user, filters=None, *, sort=None):
    """C6: every finding `user` may read (the findings of the reviews visible
    to him or her), filtered by `filters` (the query parameters of
    `FindingFilter`) and sorted by `sort` (a key of `REGISTER_SORTS`, "-" for
    descending). One query for a page of it, one to count it."""
    finding_filter = _finding_filter(user, filters)
    ordering, applied = register_ordering(sort)
    return Register(filter=finding_filter, findings=finding_filter.qs.order_by(*ordering), sort=applied)


@dataclass(frozen=True)
class FindingCount:
    value: str  # the filter value that lists these findings ("major", a process id, "null")
    label: str
    count: int


@dataclass(frozen=True)
class FindingCounts:
    grades: list  # [FindingCount] for every grade, in the order of the grades
    processes: list  # [FindingCount] for every process with findings, by name; "null" for none
    total: int  # the findings under every filter: the length of the register's list


def finding_counts(user, filters=None):
    """C6: how many findings `user` may read by grade and by process. Each count
    follows every filter of `filters` but its own dimension's: a grade's count
    is the length of the list that filters by that grade instead (so the
    counts stay the way to switch grade), likewise a process's. Two queries,
    however many findings: the findings under every other filter counted by
    grade and process (each dimension summed over the rows its counterpart's
    filter keeps), and the names of their processes."""
    filters = filters or {}
    rest = filters.copy()
    rest.pop("grade", None)
    rest.pop("process", None)
    # The grade and process filters as the register applies them (an invalid one is not applied).
    chosen = _finding_filter(user, filters)
    chosen.form.is_valid()
    applied = getattr(chosen.form, "cleaned_data", {})
    grade, process = applied.get("grade") or "", applied.get("process")
    null_process = chosen.filters["process"].null_value
    rows = _finding_filter(user, rest).qs.order_by().values_list("grade", "process").annotate(n=Count("pk"))
    by_grade, by_process, total = {}, {}, 0
    for row_grade, pk, n in rows:
        in_process = not process or (
            pk is None if process == null_process else pk == getattr(process, "pk", None)
        )
        in_grade = not grade or row_grade == grade
        if in_process:
            by_grade[row_grade] = by_grade.get(row_grade, 0) + n
        if in_grade:
            by_process[pk] = by_process.get(pk, 0) + n
        total += n if in_process and in_grade else 0
    grades = [
        FindingCount(value, str(label), by_grade.get(value, 0)) for value, label in Finding.Grade.choices
    ]
    # By name, in the database's order of names; the findings that concern no
    # single process (e.g. of a management review) last.
    named = Process.objects.filter(pk__in=[pk for pk in by_process if pk]).order_by("name")
    processes = [FindingCount(str(pk), name, by_process[pk]) for pk, name in named.values_list("pk", "name")]
    if None in by_process:
        processes.append(FindingCount("null", "", by_process[None]))
    return FindingCounts(grades=grades, processes=processes, total=total)


def age_in_days(finding, today=None):
    """How many days ago the finding was raised (in the portal's time zone)."""
    today = today or timezone.localdate()
    return (today - timezone.localtime(finding.raised_at).date()).days
