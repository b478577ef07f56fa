"""What Check reminds people of (C5): the review schedules of the plans and the
open actions of reviews. Registered as reminder sources from reviews/apps.py;
`pdca.reminders` decides when and whom to remind, exactly once."""

from datetime import timedelta

from django.utils.translation import gettext as _

from pdca.links import url_maker
from pdca.reminders import DueItem
from plans.models import Plan, Process, Responsibility

from .models import ReviewAction, ReviewSchedule


def _chunks(queryset, chunk_size, *fields):
    """Rows of a queryset as dicts of `fields`, in chunks by primary key
    (keyset, so memory stays bounded and no model is built per row)."""
    last_pk = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last_pk).order_by("pk").values("pk", *fields)[:chunk_size])
        if not chunk:
            return
        last_pk = chunk[-1]["pk"]
        yield chunk


class ScheduleReminders:
    """C2, C5: each plan's next review, reminding its reviewer and process
    owner; late: the deputies and the SMP's review responsibility. Holding
    the review resolves them (`services.start_review`, `approve_review`)."""

    model = ReviewSchedule
    task = "hold_review"

    def due_items(self, *, today, horizon, chunk_size):
        smp = Plan.objects.filter(kind=Plan.Kind.SMP).first()
        smp_version = smp.current_version if smp else None
        smp_reviewers = (
            [u.pk for u in smp_version.responsible(Responsibility.Kind.REVIEW)] if smp_version else []
        )
        plan_url = url_maker("plans:detail", "#review-schedule")
        deputies_of = Process.deputies.through.objects
        schedules = ReviewSchedule.objects.in_use().filter(
            next_planned_on__lte=today + timedelta(days=horizon)
        )
        fields = (
            "next_planned_on",
            "reviewer_id",
            "plan_id",
            "plan__title",
            "plan__process_id",
            "plan__process__owner_id",
        )
        for chunk in _chunks(schedules, chunk_size, *fields):
            deputies = {}
            process_ids = {row["plan__process_id"] for row in chunk if row["plan__process_id"]}
            for process_id, user_id in deputies_of.filter(process_id__in=process_ids).values_list(
                "process_id", "user_id"
            ):
                deputies.setdefault(process_id, []).append(user_id)
            yield [
                DueItem(
                    object_id=row["pk"],
                    due_on=row["next_planned_on"],
                    title=_("The review of %(plan)s") % {"plan": row["plan__title"]},
                    url=plan_url(row["plan_id"]),
                    recipients=[row["reviewer_id"], row["plan__process__owner_id"]]
                    if row["plan__process__owner_id"]
                    else [row["reviewer_id"]],
                    late_recipients=[*deputies.get(row["plan__process_id"], []), *smp_reviewers],
                )
                for row in chunk
            ]


class ActionReminders:
    """C4, C5: each open action of a review, reminding its owner; late: the
    reviewer. Marking the action done resolves them (`services.complete_action`)."""

    model = ReviewAction
    task = "complete_action"

    def due_items(self, *, today, horizon, chunk_size):
        review_url = url_maker("reviews:detail")
        actions = ReviewAction.objects.filter(
            status=ReviewAction.Status.OPEN, due_on__lte=today + timedelta(days=horizon)
        )
        fields = ("due_on", "description", "owner_id", "review_id", "review__title", "review__reviewer_id")
        for chunk in _chunks(actions, chunk_size, *fields):
            yield [
                DueItem(
                    object_id=row["pk"],
                    due_on=row["due_on"],
                    title=_("The action “%(action)s” of %(review)s")
                    % {"action": row["description"][:80], "review": row["review__title"]},
                    url=review_url(row["review_id"]) + f"#action-{row['pk']}",
                    recipients=[row["owner_id"]],
                    late_recipients=[row["review__reviewer_id"]],
                )
                for row in chunk
            ]


# -- the calendar feed ----------------------------------------------------------------


def calendar_events(user):
    """The reviews `user` leads or attends, the review actions he or she owns,
    and the scheduled reviews he or she is responsible for (C5)."""
    from django.db.models import Q

    from pdca.feeds import CalendarEvent

    from .models import Review

    events = []
    reviews = (
        Review.objects.filter(Q(reviewer=user) | Q(participants=user))
        .exclude(status=Review.Status.APPROVED)
        .distinct()
        .select_related("plan")
    )
    for review in reviews:
        events.append(
            CalendarEvent(
                uid=f"review-{review.pk}",
                day=review.planned_on,
                summary=review.title,
                url=review.get_absolute_url(),
                description=_("%(kind)s, led by %(reviewer)s.")
                % {"kind": review.get_kind_display(), "reviewer": review.reviewer},
            )
        )
    for action in ReviewAction.objects.filter(owner=user, status=ReviewAction.Status.OPEN).select_related(
        "review"
    ):
        events.append(
            CalendarEvent(
                uid=f"review-action-{action.pk}",
                day=action.due_on,
                summary=_("Due: %(action)s") % {"action": action.description[:80]},
                url=action.get_absolute_url(),
                description=_("An action of %(review)s.") % {"review": action.review.title},
            )
        )
    schedules = (
        ReviewSchedule.objects.in_use()
        .filter(Q(reviewer=user) | Q(plan__process__owner=user))
        .distinct()
        .select_related("plan")
    )
    for schedule in schedules:
        events.append(
            CalendarEvent(
                uid=f"review-due-{schedule.pk}-{schedule.next_planned_on:%Y%m%d}",
                day=schedule.next_planned_on,
                summary=_("Review due: %(plan)s") % {"plan": schedule.plan.title},
                url=schedule.get_absolute_url(),
            )
        )
    return events
