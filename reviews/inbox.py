"""Check's tasks for the inbox (`pdca.inbox`): reviews to approve (C4), reviews
to carry out, reviews to plan because a schedule falls due (C2), and open
review actions (C4). Each source asks the rules of `reviews.permissions` in its
query and runs a fixed number of queries. Findings have no owner of their
own: what they ask for is an action or an improvement, listed there."""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pdca.inbox import Task, annotate_latest_decision, latest_decisions, people
from plans.models import Plan, Process

from .models import Review, ReviewAction, ReviewSchedule
from .permissions import is_manager, is_read_only

Status = Review.Status
# A review schedule is listed this many days before its due date.
SCHEDULE_DAYS = 30


def reviews_to_approve(user):
    """C4: the submitted reviews `user` may approve or return: a manager who is
    neither the reviewer nor a participant, nor wrote or edited the review
    (`permissions.decide_refusal`)."""
    if not is_manager(user) or is_read_only(user):
        return []
    reviews = (
        Review.objects.filter(status=Status.SUBMITTED)
        .exclude(reviewer=user)
        .exclude(participants=user)
        .exclude(author=user)
        .exclude(last_editor=user)
        .exclude(editors=user)
        .select_related("reviewer")
    )
    reviews = list(
        annotate_latest_decision(
            reviews, "submission", latest_decisions(Review, actions=("submit_review",))
        ).order_by("submitted_at", "pk")
    )
    return [
        Task(
            kind="review_approval",
            title=_("Approve or return %(review)s") % {"review": r.title},
            reason=r.submission_comment or _("Submitted for approval without a note."),
            since=r.submitted_at or r.submission_at,
            url=r.get_absolute_url(),
            actor_name=str(r.reviewer),
            object_label=r.title,
        )
        for r in reviews
    ]


def reviews_to_carry_out(user):
    """C3, C4: the planned or returned reviews `user` leads as reviewer (who
    starts, writes and submits them, `permissions.submit_refusal`). A review a
    manager returned says why."""
    if not user.is_authenticated:
        return []
    reviews = Review.objects.filter(reviewer=user, status__in=Review.EDITABLE_STATES)
    reviews = list(
        annotate_latest_decision(
            reviews, "latest", latest_decisions(Review, actions=("plan_review", "return_review"))
        ).order_by("planned_on", "pk")
    )
    names = people(r.latest_actor_id for r in reviews)
    tasks = []
    for r in reviews:
        returned = r.latest_action == "return_review"
        if returned:
            title = _("Rework %(review)s") % {"review": r.title}
            reason = r.latest_comment
        elif r.status == Status.PLANNED:
            title = _("Hold %(review)s") % {"review": r.title}
            reason = _("Planned for %(date)s.") % {"date": f"{r.planned_on:%d %b %Y}"}
        else:
            title = _("Complete and submit %(review)s") % {"review": r.title}
            reason = _("In progress since %(date)s.") % {
                "date": f"{timezone.localtime(r.started_at):%d %b %Y}" if r.started_at else r.planned_on
            }
        tasks.append(
            Task(
                kind="review_carry_out",
                title=title,
                reason=reason,
                since=r.latest_at or r.edited_at,
                url=r.get_absolute_url(),
                actor_name=str(names.get(r.latest_actor_id, "")),
                due_on=r.planned_on if r.status == Status.PLANNED else None,
                object_label=r.title,
            )
        )
    return tasks


def reviews_to_plan(user):
    """C2: the review schedules due within SCHEDULE_DAYS days or overdue that
    no open review fulfils yet, for whoever plans that review
    (`permissions.plan_review_refusal`): the owner and deputies of a process
    plan, top management for the SMP (a management review)."""
    if not user.is_authenticated or is_read_only(user):
        return []
    today = timezone.localdate()
    open_review = Exists(Review.objects.filter(schedule=OuterRef("pk")).exclude(status=Status.APPROVED))
    whose = Q(
        plan__kind=Plan.Kind.PROCESS,
        plan__process__in=Process.objects.filter(Q(owner=user) | Q(deputies=user)).values("pk"),
    )
    if is_manager(user):
        whose |= Q(plan__kind=Plan.Kind.SMP)
    schedules = (
        ReviewSchedule.objects.in_use()
        .filter(next_planned_on__lte=today + timedelta(days=SCHEDULE_DAYS))
        .filter(whose)
        .exclude(open_review)
        .select_related("plan__process", "reviewer")
        .order_by("next_planned_on", "pk")
    )
    tasks = []
    for s in schedules:
        kind = Review.Kind.MANAGEMENT if s.plan.is_smp else Review.Kind.PROCESS
        query = {"kind": kind} if s.plan.is_smp else {"kind": kind, "plan": s.plan_id}
        tasks.append(
            Task(
                kind="review_schedule",
                title=_("Plan the review of %(plan)s") % {"plan": s.plan},
                reason=(
                    _("Overdue since %(date)s (reviewed every %(months)s months; reviewer %(reviewer)s).")
                    if s.next_planned_on < today
                    else _("Due on %(date)s (reviewed every %(months)s months; reviewer %(reviewer)s).")
                )
                % {
                    "date": f"{s.next_planned_on:%d %b %Y}",
                    "months": s.interval_months,
                    "reviewer": s.reviewer,
                },
                since=s.next_planned_on - timedelta(days=SCHEDULE_DAYS),
                url=f"{reverse('reviews:create')}?{urlencode(query)}",
                due_on=s.next_planned_on,
                object_label=str(s.plan),
            )
        )
    return tasks


def review_actions(user):
    """C4: the open actions `user` owns (`permissions.action_progress_refusal`)."""
    if not user.is_authenticated:
        return []
    actions = (
        ReviewAction.objects.filter(owner=user, status=ReviewAction.Status.OPEN)
        .select_related("review__reviewer", "finding")
        .order_by("due_on", "pk")
    )
    return [
        Task(
            kind="review_action",
            title=_("Carry out the action “%(action)s”") % {"action": a.description[:80]},
            reason=(
                _("Decided in %(review)s, addressing finding %(number)s: %(finding)s")
                % {
                    "review": a.review.title,
                    "number": a.finding.number,
                    "finding": a.finding.description[:200],
                }
                if a.finding_id
                else _("Decided in %(review)s.") % {"review": a.review.title}
            ),
            since=a.review.approved_at or a.review.submitted_at or a.review.edited_at,
            url=a.get_absolute_url(),
            actor_name=str(a.review.reviewer),
            due_on=a.due_on,
            object_label=a.review.title,
        )
        for a in actions
    ]


KINDS = (
    ("review_approval", gettext_lazy("Reviews to approve"), reviews_to_approve, 30),
    ("review_carry_out", gettext_lazy("Reviews to carry out"), reviews_to_carry_out, 31),
    ("review_schedule", gettext_lazy("Reviews to plan"), reviews_to_plan, 32),
    ("review_action", gettext_lazy("Review actions"), review_actions, 33),
)


def register(registry):
    for kind, label, source, order in KINDS:
        registry.register_task_source(kind, label, source, order=order)
