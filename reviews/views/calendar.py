"""The review calendar (C2, C4): by month, the reviews planned and held, the
scheduled reviews that fall due, and those overdue, filterable by process and
kind. A fixed number of queries, however many reviews there are."""

import calendar as calendar_lib
from datetime import date
from functools import cache

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from pdca.links import url_maker
from plans.models import Plan
from reviews import permissions
from reviews.dates import add_months, month_bounds
from reviews.forms import CalendarFilter
from reviews.models import Review, ReviewAction, ReviewSchedule


def _month(value, today):
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def calendar(request):
    today = timezone.localdate()
    form = CalendarFilter(request.GET or None)
    form.fields["kind"].choices = [("", _("Any kind")), *Review.Kind.choices]
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    first = _month(request.GET.get("month"), today)
    first, last = month_bounds(first)
    process, kind = data.get("process"), data.get("kind")

    reviews = Review.objects.visible_to(request.user).filter(
        Q(planned_on__range=(first, last)) | Q(held_on__range=(first, last))
    )
    if kind:
        reviews = reviews.filter(kind=kind)
    if process:
        reviews = reviews.filter(Q(plan__process=process) | Q(processes=process)).distinct()
    reviews = list(reviews.select_related("plan", "reviewer").order_by("planned_on", "pk"))

    schedules = ReviewSchedule.objects.in_use().filter(
        plan__in=Plan.objects.visible_to(request.user).values("pk")
    )
    if process:
        schedules = schedules.filter(plan__process=process)
    if kind == Review.Kind.INTERNAL_AUDIT:
        schedules = schedules.none()
    elif kind == Review.Kind.MANAGEMENT:
        schedules = schedules.filter(plan__kind=Plan.Kind.SMP)
    elif kind == Review.Kind.PROCESS:
        schedules = schedules.filter(plan__kind=Plan.Kind.PROCESS)
    schedules = schedules.select_related("plan", "reviewer")  # the page names the plan, not its process
    due = list(schedules.filter(next_planned_on__range=(first, last)).order_by("next_planned_on"))
    overdue = list(schedules.filter(next_planned_on__lt=today).order_by("next_planned_on"))

    # Hundreds of entries at scale, each shown twice: their addresses and dates
    # are written once here (a URL per id, a text per distinct date), not by a
    # `reverse()` and a date filter per entry in the template.
    review_url, plan_url = url_maker("reviews:detail"), url_maker("plans:detail")
    day_label, day_iso = cache(lambda d: date_format(d, "D j M")), cache(date.isoformat)
    overdue_by = cache(lambda d: _("overdue by %(since)s") % {"since": timesince(d, today)})
    due_label = cache(lambda d: date_format(d, "j M Y"))
    for schedule in overdue:
        schedule.url = plan_url(schedule.plan_id)
        schedule.overdue_text = overdue_by(schedule.next_planned_on)
        schedule.due_label = due_label(schedule.next_planned_on)

    by_day = {}
    for review in reviews:
        day = review.held_on if review.held_on and first <= review.held_on <= last else review.planned_on
        if first <= day <= last:
            by_day.setdefault(day, []).append(
                {
                    "kind": "review",
                    "review": review,
                    "held": bool(review.held_on),
                    "url": review_url(review.pk),
                }
            )
    for schedule in due:
        by_day.setdefault(schedule.next_planned_on, []).append(
            {
                "kind": "due",
                "schedule": schedule,
                "overdue": schedule.next_planned_on < today,
                "url": plan_url(schedule.plan_id),
            }
        )
    for day, items in by_day.items():
        for entry in items:
            entry["day_label"], entry["day_iso"] = day_label(day), day_iso(day)
    weeks = [
        [
            {
                "day": day,
                "in_month": day.month == first.month,
                "entries": by_day.get(day, []),
                "today": day == today,
            }
            for day in week
        ]
        for week in calendar_lib.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    query = request.GET.copy()
    query.pop("month", None)
    reminded = recent_reminders(request.user, first, last)
    return render(
        request,
        "reviews/calendar.html",
        {
            "form": form,
            "month": first,
            "previous": add_months(first, -1),
            "next": add_months(first, 1),
            "weeks": weeks,
            "entries": sorted(
                ((day, entry) for day, items in by_day.items() for entry in items), key=lambda item: item[0]
            ),
            "overdue": overdue,
            "reminded": reminded,
            "today": today,
            "query": query.urlencode(),
            "can_plan": any(
                not permissions.plan_review_refusal(request.user, k)
                for k in (Review.Kind.MANAGEMENT, Review.Kind.INTERNAL_AUDIT)
            )
            or request.user.owned_processes.exists()
            or request.user.deputy_processes.exists(),
        },
    )


def recent_reminders(user, first, last, limit=20):
    """C5: what was reminded in the month, when and to whom (for those who
    read the whole SMS; others see their own reminders in their notifications)."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    from accounts.roles import reads_everything
    from pdca.models import Reminder

    if not reads_everything(user):
        return []
    types = ContentType.objects.get_for_models(ReviewSchedule, ReviewAction).values()
    reminders = list(
        Reminder.objects.filter(content_type__in=types, raised_at__date__range=(first, last)).order_by(
            "-raised_at"
        )[:limit]
    )
    people = get_user_model().objects.in_bulk({pk for r in reminders for pk in r.recipients})
    for reminder in reminders:
        reminder.people = [people[pk] for pk in reminder.recipients if pk in people]
    return reminders
