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
