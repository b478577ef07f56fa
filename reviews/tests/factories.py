"""Builders for Check in any state, through the services (so they obey the rules)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from reviews import measurements, services
from reviews.models import Review


def record_monthly(kpi, actor, values, *, last_month_end=None):
    """One measurement per month, oldest first, ending with the month before
    `last_month_end`'s month (default: last month)."""
    end = last_month_end or timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    months = []
    for _ in values:
        start = end.replace(day=1)
        months.append((start, end))
        end = start - datetime.timedelta(days=1)
    recorded = []
    for (start, end), value in zip(reversed(months), values, strict=True):
        recorded.append(
            measurements.record_measurement(
                kpi=kpi,
                actor=actor,
                period_start=start,
                period_end=end,
                value=Decimal(str(value)),
                source="Tool",
            )
        )
    return recorded


def process_review(plan, actor, *, reviewer=None, planned_on=None, participants=()):
    return services.plan_review(
        actor=actor,
        kind=Review.Kind.PROCESS,
        plan=plan,
        planned_on=planned_on or timezone.localdate(),
        reviewer=reviewer or actor,
        participants=participants,
    )


def held(review, actor, held_on=None):
    """The review started and its date of holding recorded."""
    review = services.start_review(review=review, actor=actor)
    return services.update_review(
        review=review, actor=actor, expected_revision=review.revision, held_on=held_on or timezone.localdate()
    )


def submitted(review, actor):
    review = held(review, actor)
    return services.submit_review(review=review, actor=actor)


def approved(review, actor, approver):
    services.approve_review(review=submitted(review, actor), actor=approver)
    return Review.objects.get(pk=review.pk)
