"""C2: the review schedule of a plan, kept by the process owner (top
management for the SMP)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pdca.pages import attempt
from plans.models import Plan, Responsibility
from reviews import permissions, services
from reviews.dates import add_months
from reviews.forms import ScheduleForm
from reviews.models import ReviewSchedule


def schedule_edit(request, plan_id):
    plan = get_object_or_404(Plan.objects.visible_to(request.user).with_current(request.user), pk=plan_id)
    schedule = ReviewSchedule.objects.filter(plan=plan).first()
    refusal = permissions.schedule_refusal(request.user, plan)
    if request.method != "POST" and refusal:
        return render(request, "reviews/refused.html", {"message": refusal}, status=403)
    if schedule is not None:
        initial = {
            "interval_months": schedule.interval_months,
            "next_planned_on": schedule.next_planned_on,
            "reviewer": schedule.reviewer_id,
        }
    else:
        version = plan.current_version or plan.latest_version
        reviewers = version.responsible(Responsibility.Kind.REVIEW) if version else []
        initial = {
            "interval_months": 12,
            "next_planned_on": add_months(timezone.localdate(), 12),
            "reviewer": reviewers[0].pk if reviewers else None,
        }
    form = ScheduleForm(request.POST or None, initial=initial)
    outcome = attempt(form)
    if request.method == "POST" and outcome.allows(refusal) and form.is_valid():
        data = form.cleaned_data
        with outcome:
            services.save_schedule(plan=plan, actor=request.user, **data)
            messages.success(
                request,
                _("%(plan)s is reviewed every %(n)s months; the next review is due on %(date)s.")
                % {"plan": plan, "n": data["interval_months"], "date": f"{data['next_planned_on']:%d %b %Y}"},
            )
            return redirect(f"{plan.get_absolute_url()}#review-schedule")
    return render(
        request,
        "reviews/schedule_form.html",
        {"plan": plan, "schedule": schedule, "form": form},
        status=outcome.status,
    )
