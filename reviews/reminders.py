"""What Check reminds people of (C5): the review schedules of the plans and the
open actions of reviews. Registered as reminder sources from reviews/apps.py;
`pdca.reminders` decides when and whom to remind, exactly once."""

from datetime import timedelta

from django.utils.translation import gettext as _

from pdca.reminders import DueItem
from plans.models import Plan, Responsibility

from .models import ReviewAction, ReviewSchedule


def _chunks(queryset, chunk_size):
    """A queryset in chunks by primary key (keyset, so memory stays bounded)."""
    last_pk = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
        if not chunk:
            return
        last_pk = chunk[-1].pk
        yield chunk


class ScheduleReminders:
    """C2, C5: each plan's next review, reminding its reviewer and process
    owner; late: the deputies and the SMP's review responsibility."""

    model = ReviewSchedule

    def due_items(self, *, today, horizon, chunk_size):
        smp = Plan.objects.filter(kind=Plan.Kind.SMP).first()
        smp_version = smp.current_version if smp else None
        smp_reviewers = (
            [u.pk for u in smp_version.responsible(Responsibility.Kind.REVIEW)] if smp_version else []
        )
        schedules = (
            ReviewSchedule.objects.filter(next_planned_on__lte=today + timedelta(days=horizon))
            .select_related("plan__process")
            .prefetch_related("plan__process__deputies")
        )
        for chunk in _chunks(schedules, chunk_size):
            items = []
            for schedule in chunk:
                plan, process = schedule.plan, schedule.plan.process
                recipients = [schedule.reviewer_id, process.owner_id] if process else [schedule.reviewer_id]
                late = [d.pk for d in process.deputies.all()] if process else []
                items.append(
                    DueItem(
                        object_id=schedule.pk,
                        due_on=schedule.next_planned_on,
                        title=_("The review of %(plan)s") % {"plan": plan.title},
                        url=schedule.get_absolute_url(),
                        recipients=recipients,
                        late_recipients=[*late, *smp_reviewers],
                    )
                )
            yield items


class ActionReminders:
    """C4, C5: each open action of a review, reminding its owner; late: the reviewer."""

    model = ReviewAction

    def due_items(self, *, today, horizon, chunk_size):
        actions = ReviewAction.objects.filter(
            status=ReviewAction.Status.OPEN, due_on__lte=today + timedelta(days=horizon)
        ).select_related("review")
        for chunk in _chunks(actions, chunk_size):
            yield [
                DueItem(
                    object_id=action.pk,
                    due_on=action.due_on,
                    title=_("The action “%(action)s” of %(review)s")
                    % {"action": action.description[:80], "review": action.review.title},
                    url=action.get_absolute_url(),
                    recipients=[action.owner_id],
                    late_recipients=[action.review.reviewer_id],
                )
                for action in chunk
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
        ReviewSchedule.objects.filter(Q(reviewer=user) | Q(plan__process__owner=user))
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
