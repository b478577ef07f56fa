"""Act's tasks for the inbox (`pdca.inbox`): improvements to approve, to check
for effectiveness or close (CSI owners), improvements and nonconformities to
carry out (A3-A5), and projects to approve (A3). Each source uses the
queryset forms of `improvements.permissions` (`improvements.selectors`) and
runs a fixed number of queries."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.people import name_of
from pdca.inbox import Task
from pdca.links import url_maker
from reviews.models import Finding

from . import selectors
from .models import Improvement, Project, ResultValue
from .permissions import is_manager, is_read_only

Status = Improvement.Status


# What a task shows of an improvement, read as plain rows: a CSI owner has a
# thousand of these tasks, and a model object per improvement and per person
# (with every other column read and converted) cost most of the inbox's time.
_SHOWN = ("number", "title", "required_by")


def _row_task(kind, title, row, reason, since, actor, *, url):
    """A task about the improvement of `row` (its number, title and required-by date)."""
    return Task(
        kind=kind,
        title=title,
        reason=reason,
        since=since,
        url=url(row["number"]),
        actor_name=actor or "",
        due_on=row["required_by"],
        object_label=Improvement.label_of(row["number"], row["title"]),
    )


def _task(kind, title, improvement, reason, since, actor="", *, url):
    """The same from an improvement object (the sources with few tasks)."""
    shown = {"number": improvement.number, "title": improvement.title, "required_by": improvement.required_by}
    return _row_task(kind, title, shown, reason, since, str(actor or ""), url=url)


def improvements_to_approve(user):
    """A1: the proposed improvements `user` may approve or reject, a CSI owner
    who neither owns nor proposed them (`permissions.decide_refusal`)."""
    rows = (
        selectors.awaiting_decision(user)
        .annotate(raiser=name_of("raised_by"))
        .order_by("-raised_on", "number")
        .values(*_SHOWN, "justification", "description", "raised_on", "raiser")
    )
    url = url_maker("improvements:detail")
    title = _("Approve or reject %(improvement)s")  # translated once, not per task
    return [
        _row_task(
            "improvement_approval",
            title % {"improvement": Improvement.label_of(row["number"], row["title"])},
            row,
            row["justification"] or row["description"],
            row["raised_on"],
            row["raiser"],
            url=url,
        )
        for row in rows
    ]


def improvements_to_verify(user):
    """A4, A5: the implemented improvements with achieved values `user` may
    check for effectiveness, and the evaluated ones he or she may close."""
    rows = (
        selectors.awaiting_verification(user)
        .annotate(owner_name=name_of("owner"))
        .order_by("number")
        .values(*_SHOWN, "status", "evaluated_at", "implemented_at", "created_at", "result", "owner_name")
    )
    url = url_maker("improvements:detail")
    # Translated once, not per task.
    close, found_effective = _("Close %(improvement)s"), _("Found effective: close it.")
    check, implemented = (
        _("Check the effectiveness of %(improvement)s"),
        _("Implemented; its achieved values are recorded."),
    )
    tasks = []
    for row in rows:
        named = {"improvement": Improvement.label_of(row["number"], row["title"])}
        if row["status"] == Status.EVALUATED:
            title, reason, since = close % named, found_effective, row["evaluated_at"]
        else:
            title, reason, since = check % named, row["result"] or implemented, row["implemented_at"]
        since = since or row["created_at"]
        tasks.append(_row_task("improvement_verify", title, row, reason, since, row["owner_name"], url=url))
    return tasks


def _carried_out(user):
    """The open improvements `user` carries out (`permissions.act_refusal`)
    that wait for him or her: approved (baseline, start), in implementation,
    or implemented without achieved values yet."""
    with_results = Exists(ResultValue.objects.filter(improvement=OuterRef("pk")))
    nonconformity = Exists(
        Finding.objects.filter(pk=OuterRef("finding_id"), grade__in=Finding.NONCONFORMITIES)
    )
    improvements = (
        selectors.carried_out_by(user)
        .alias(has_results=with_results)
        .annotate(nonconformity=nonconformity)
        .filter(status__in=[Status.APPROVED, Status.IN_IMPLEMENTATION, Status.IMPLEMENTED])
        .exclude(status=Status.IMPLEMENTED, has_results=True)
        .select_related("approved_by")
        .order_by("required_by", "number")
    )
    if not user.is_authenticated or is_read_only(user):
        return improvements.none()
    return improvements


def _carry_out_step(improvement):
    """(title, reason) of the next step of an improvement in the hands of its owner."""
    i = improvement
    if i.status == Status.APPROVED and i.baseline_accepted_at is None:
        return _("Document the baseline of %(improvement)s") % {"improvement": i}, _(
            "Approved: a baseline of service quality comes before the implementation (A4)."
        )
    if i.status == Status.APPROVED:
        return _("Start implementing %(improvement)s") % {"improvement": i}, _(
            "Approved, baseline documented."
        )
    if i.status == Status.IN_IMPLEMENTATION:
        if i.effective is False:
            reason = _("Found not effective: implement it again.")
        elif i.nonconformity and not (i.root_cause and i.corrective_action):
            reason = _("A nonconformity: record its correction, root cause and corrective action (A5).")
        else:
            reason = _("In implementation: mark it implemented when done.")
        return _("Implement %(improvement)s") % {"improvement": i}, reason
    return _("Record the achieved values of %(improvement)s") % {"improvement": i}, _(
        "Implemented: measure what it achieved, against the baseline and the target."
    )


def improvements_to_carry_out(user):
    """A3, A4: improvements (not nonconformities) waiting for their owner."""
    tasks, url = [], url_maker("improvements:detail")
    for i in _carried_out(user).filter(nonconformity=False):
        title, reason = _carry_out_step(i)
        since = i.approved_at or i.created_at
        tasks.append(_task("improvement_carry_out", title, i, reason, since, i.approved_by, url=url))
    return tasks


def nonconformities_to_handle(user):
    """A5: nonconformities waiting for their owner: correction, root cause,
    corrective action, implementation and the achieved result."""
    tasks, url = [], url_maker("improvements:detail")
    for i in _carried_out(user).filter(nonconformity=True):
        title, reason = _carry_out_step(i)
        since = i.approved_at or i.created_at
        tasks.append(_task("nonconformity", title, i, reason, since, i.approved_by, url=url))
    return tasks


def projects_to_approve(user):
    """A3: the planned projects `user` may approve: a manager who neither
    manages nor set up the project (`permissions.project_approval_refusal`)."""
    if not is_manager(user) or is_read_only(user):
        return []
    projects = (
        Project.objects.filter(status=Project.Status.PLANNED)
        .exclude(manager=user)
        .exclude(created_by=user)
        .select_related("manager", "created_by")
        .order_by("-created_at", "pk")
    )
    return [
        Task(
            kind="project_approval",
            title=_("Approve the project %(project)s") % {"project": p.name},
            reason=p.description
            or _("Runs from %(start)s to %(end)s, managed by %(manager)s.")
            % {"start": f"{p.starts_on:%d %b %Y}", "end": f"{p.ends_on:%d %b %Y}", "manager": p.manager},
            since=p.created_at,
            url=p.get_absolute_url(),
            actor_name=str(p.created_by),
            object_label=p.name,
        )
        for p in projects
    ]


KINDS = (
    ("improvement_approval", gettext_lazy("Improvements to approve"), improvements_to_approve, 40),
    ("improvement_verify", gettext_lazy("Improvements to evaluate or close"), improvements_to_verify, 41),
    ("improvement_carry_out", gettext_lazy("Improvements to carry out"), improvements_to_carry_out, 42),
    ("nonconformity", gettext_lazy("Nonconformities to handle"), nonconformities_to_handle, 43),
    ("project_approval", gettext_lazy("Projects to approve"), projects_to_approve, 44),
)


def register(registry):
    for kind, label, source, order in KINDS:
        registry.register_task_source(kind, label, source, order=order)
