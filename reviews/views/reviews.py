"""Reviews and their parts in the browser (C3, C4, C6): planning a review, the
review page that the reviewer fills in section by section, the decisions on
it, the approval queue and addenda. Nothing typed is lost on a refusal or a
stale save: the form comes back with the message and the text."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pdca.decisions import timeline
from pdca.exceptions import Conflict, RuleViolation
from pdca.pages import add_refusal_to_form, attempt
from plans.models import Plan, Process
from reviews import permissions, services
from reviews.clauses import CLAUSES
from reviews.forms import (
    ActionDoneForm,
    ActionForm,
    AddendumForm,
    AttainmentForm,
    FindingForm,
    InputForm,
    ReviewForm,
    ReviewPlanForm,
)
from reviews.models import Finding, Review, ReviewAction
from reviews.rules import submission_problems

Kind = Review.Kind
Status = Review.Status
PER_PAGE = 25


def visible_review(request, pk):
    return get_object_or_404(
        Review.objects.visible_to(request.user).select_related(
            "plan__process__owner", "version", "reviewer", "author", "approved_by", "schedule"
        ),
        pk=pk,
    )


def _refused(request, review, message, status=403):
    return render(request, "reviews/refused.html", {"review": review, "message": message}, status=status)


def _edit_refusal_page(request, review):
    refusal = permissions.edit_refusal(request.user, review)
    if refusal:
        return _refused(
            request, review, _("You can read this review but not change it. %(why)s") % {"why": refusal}
        )
    if not review.is_editable:
        return _refused(request, review, review.immutable_message(), 400)
    return None


# -- planning ---------------------------------------------------------------------------


def _kinds_for(user):
    return [(value, label) for value, label in Kind.choices if not _kind_refusal(user, value)]


def _kind_refusal(user, kind):
    if kind == Kind.PROCESS:
        return "" if _plans_for_process_review(user).exists() else "no plans"
    return permissions.plan_review_refusal(user, kind)


def _plans_for_process_review(user):
    """Process plans with a version in force that `user` may plan reviews of."""
    plans = Plan.objects.filter(
        kind=Plan.Kind.PROCESS, versions__status__in=["approved", "communicated"]
    ).distinct()
    if not permissions.is_manager(user):
        plans = plans.filter(Q(process__owner=user) | Q(process__deputies=user))
    return plans.select_related("process").order_by("title")


def review_create(request):
    """C3: plan a management review, a process review or an internal audit."""
    kinds = _kinds_for(request.user)
    if not kinds:
        return render(
            request,
            "reviews/refused.html",
            {
                "message": _(
                    "You cannot plan reviews: process owners plan their processes' reviews, managers "
                    "plan management reviews and internal audits."
                )
            },
            status=403,
        )
    plans = _plans_for_process_review(request.user)
    initial = {
        "kind": request.GET.get("kind") or kinds[0][0],
        "planned_on": timezone.localdate(),
        "reviewer": request.user,
    }
    if request.GET.get("plan", "").isdigit():
        plan = plans.filter(pk=int(request.GET["plan"])).first()
        if plan is not None:
            initial.update(kind=Kind.PROCESS, plan=plan)
            schedule = getattr(plan, "review_schedule", None)
            if schedule is not None:
                initial.update(planned_on=schedule.next_planned_on, reviewer=schedule.reviewer)
    form = ReviewPlanForm(request.POST or None, initial=initial, kinds=kinds, plans=plans)
    outcome = attempt(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with outcome:
            review = services.plan_review(
                actor=request.user,
                kind=data["kind"],
                plan=data["plan"],
                processes=list(data["processes"]),
                planned_on=data["planned_on"],
                reviewer=data["reviewer"],
                participants=list(data["participants"]),
                title=data["title"],
                period_start=data["period_start"],
                period_end=data["period_end"],
            )
            messages.success(
                request,
                _("“%(review)s” is planned. %(reviewer)s is told.")
                % {"review": review, "reviewer": review.reviewer},
            )
            return redirect(review)
    return render(request, "reviews/review_create.html", {"form": form}, status=outcome.status)


# -- the review page --------------------------------------------------------------------------


def review_context(request, review):
    user = request.user
    actions = permissions.review_actions(user, review)
    can_edit = bool(actions.edit)
    problems = submission_problems(review) if review.status == Status.IN_PROGRESS else {}
    findings = list(review.findings.select_related("process").order_by("number"))
    review_actions = _actions_with_progress(user, review)
    for finding in findings:
        finding.action_list = [a for a in review_actions if a.finding_id == finding.pk]
    return {
        "review": review,
        "actions": actions,
        "can_edit": can_edit,
        "problems": [m for ms in problems.values() for m in ms],
        "inputs": list(review.inputs.all()) if review.kind == Kind.MANAGEMENT else [],
        "attainments": list(review.attainments.select_related("kpi").order_by("objective_code", "pk")),
        "findings": findings,
        "findings_by_grade": [
            (grade, label, [f for f in findings if f.grade == grade])
            for grade, label in Finding.Grade.choices
        ],
        "review_actions": review_actions,
        "addenda": list(review.addenda.select_related("author")),
        "participants": list(review.participants.all()),
        "processes": list(review.processes.all()),
        "decision_log": timeline(review),
        "today": timezone.localdate(),
        "verification_problems": review.verification_problems() if review.content_hash else [],
        "comment_form": None,
    }


def _actions_with_progress(user, review):
    items = list(review.actions.select_related("owner", "done_by", "finding"))
    for item in items:
        item.review = review
        item.may_complete = (
            item.status == ReviewAction.Status.OPEN and not permissions.action_progress_refusal(user, item)
        )
    return items


def review_detail(request, pk):
    review = visible_review(request, pk)
    return render(request, "reviews/review_detail.html", review_context(request, review))


def _date(text, *, field):
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise RuleViolation(_("Enter a valid date."), field=field) from None


TRANSITIONS = {
    "start": (services.start_review, _("The review is in progress. Record what it finds.")),
    "submit": (services.submit_review, _("The review is submitted; top management decides on it.")),
    "return": (services.return_review, _("The review is back with its reviewer, with your comment.")),
    "approve": (services.approve_review, _("The review is approved. It never changes from now on.")),
}


@require_POST
def review_transition(request, pk, transition):
    """start, submit, return, approve. A refusal is shown on the review page with
    the comment typed."""
    if transition not in TRANSITIONS:
        raise Http404
    review = visible_review(request, pk)
    perform, done = TRANSITIONS[transition]
    comment = request.POST.get("comment", "")
    extra = {}
    with attempt() as outcome:
        if transition == "start" and request.POST.get("held_on"):
            extra["held_on"] = _date(request.POST["held_on"], field="held_on")
        perform(review=review, actor=request.user, comment=comment, **extra)
        messages.success(request, done)
        return redirect(review)
    review.refresh_from_db()
    context = review_context(request, review)
    context.update(refusal=outcome.refusal, typed={transition: comment})
    return render(request, "reviews/review_detail.html", context, status=outcome.status)


def approval_queue(request):
    """C4: the submitted reviews the user may decide on (a manager who neither led,
    attended, planned nor edited them)."""
    reviews = Review.objects.visible_to(request.user).filter(status=Status.SUBMITTED)
    if permissions.is_manager(request.user):
        reviews = reviews.exclude(
            Q(reviewer=request.user) | Q(participants=request.user) | Q(author=request.user)
        )
        reviews = reviews.exclude(editors=request.user)
    else:
        reviews = reviews.none()
    reviews = reviews.select_related("plan", "reviewer").order_by("submitted_at", "pk").distinct()
    page = Paginator(reviews, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reviews/approval_queue.html", {"page": page})


# -- editing, part by part ----------------------------------------------------------------------


def review_edit(request, pk):
    """C4: dates, period, participants, decisions and minutes. A save from a
    stale page is refused; the text typed is kept beside the saved one."""
    review = visible_review(request, pk)
    if request.method != "POST":
        refused = _edit_refusal_page(request, review)
        if refused:
            return refused
        form = ReviewForm(
            initial={
                "title": review.title,
                "held_on": review.held_on,
                "period_start": review.period_start,
                "period_end": review.period_end,
                "participants": review.participants.all(),
                "decisions": review.decisions,
                "minutes": review.minutes,
                "revision": review.revision,
            }
        )
        return render(request, "reviews/review_form.html", {"review": review, "form": form})
    form = ReviewForm(request.POST)
    outcome = attempt(form)
    saved = None
    if outcome.allows(permissions.edit_refusal(request.user, review)) and form.is_valid():
        data = dict(form.cleaned_data)
        with outcome:
            services.update_review(
                review=review,
                actor=request.user,
                expected_revision=data.pop("revision"),
                participants=list(data.pop("participants")),
                **data,
            )
            messages.success(request, _("The review is saved."))
            return redirect(review)
        if isinstance(outcome.refusal, Conflict):
            review.refresh_from_db()
            saved = review
            fresh = request.POST.copy()
            fresh["revision"] = review.revision
            form = ReviewForm(fresh)
            form.is_valid()
            add_refusal_to_form(form, outcome.refusal)
    return render(
        request,
        "reviews/review_form.html",
        {"review": review, "form": form, "saved": saved},
        status=outcome.status if outcome.refused else 400,
    )


def inputs_edit(request, pk):
    """C3: how each input of a management review was addressed, or why it does
    not apply."""
    review = visible_review(request, pk)
    if review.kind != Kind.MANAGEMENT:
        raise Http404
    refused = _edit_refusal_page(request, review)
    if refused:
        return refused
    items = list(review.inputs.all())
    forms = [
        (
            item,
            InputForm(
                request.POST or None, prefix=item.key, initial={"status": item.status, "notes": item.notes}
            ),
        )
        for item in items
    ]
    status = 200
    if request.method == "POST" and all(form.is_valid() for _item, form in forms):
        refusals = 0
        for item, form in forms:
            data = form.cleaned_data
            if (data["status"], data["notes"].strip()) == (item.status, item.notes):
                continue
            with attempt(form) as outcome:
                services.address_input(
                    review=review,
                    actor=request.user,
                    key=item.key,
                    status=data["status"],
                    notes=data["notes"],
                )
            refusals += outcome.refused
            status = outcome.status if outcome.refused else status
        if not refusals:
            messages.success(request, _("The inputs are saved."))
            return redirect(f"{review.get_absolute_url()}#inputs")
        messages.error(
            request, _("Some inputs could not be saved: see the messages below. The others are saved.")
        )
    elif request.method == "POST":
        status = 400
    return render(request, "reviews/inputs_form.html", {"review": review, "forms": forms}, status=status)


def attainment_edit(request, pk):
    """C4: the measured value of each objective's KPI (prefilled from the
    measurements of the period) and a comment."""
    review = visible_review(request, pk)
    refused = _edit_refusal_page(request, review)
    if refused:
        return refused
    rows = list(review.attainments.order_by("objective_code", "pk"))
    forms = [
        (
            row,
            AttainmentForm(
                request.POST or None,
                prefix=f"a{row.pk}",
                initial={
                    "measured": "" if row.measured is None else f"{row.measured.normalize():f}",
                    "comment": row.comment,
                },
            ),
        )
        for row in rows
    ]
    status = 200
    if request.method == "POST" and all(form.is_valid() for _row, form in forms):
        refused_rows = 0
        for row, form in forms:
            with attempt(form) as outcome:
                services.save_attainment(
                    attainment=row,
                    actor=request.user,
                    measured=form.cleaned_data["measured"],
                    comment=form.cleaned_data["comment"],
                )
            if outcome.refused:
                refused_rows += 1
                status = outcome.status
        if not refused_rows:
            messages.success(request, _("The objective attainment is saved."))
            return redirect(f"{review.get_absolute_url()}#attainment")
    return render(request, "reviews/attainment_form.html", {"review": review, "forms": forms}, status=status)


def _review_processes(review):
    processes = review.processes.all()
    return processes if processes.exists() else Process.objects.order_by("name")


def finding_edit(request, pk, number=None):
    """C6: a graded finding with clause, process and objective evidence."""
    review = visible_review(request, pk)
    finding = get_object_or_404(Finding, review=review, number=number) if number else None
    if request.method != "POST":
        refused = _edit_refusal_page(request, review)
        if refused:
            return refused
    initial = {}
    if finding:
        initial = {
            "grade": finding.grade,
            "clause": finding.clause,
            "process": finding.process_id,
            "description": finding.description,
            "evidence": finding.evidence,
        }
    form = FindingForm(request.POST or None, initial=initial, processes=_review_processes(review))
    outcome = attempt(form)
    may_edit = request.method == "POST" and outcome.allows(permissions.edit_refusal(request.user, review))
    if may_edit and form.is_valid():
        data = form.cleaned_data
        with outcome:
            saved = services.save_finding(review=review, actor=request.user, finding=finding, **data)
            messages.success(request, _("Finding %(code)s is saved.") % {"code": saved.number})
            return redirect(f"{review.get_absolute_url()}#finding-{saved.number}")
    return render(
        request,
        "reviews/finding_form.html",
        {"review": review, "form": form, "finding": finding, "clauses": CLAUSES},
        status=outcome.status,
    )


def finding_delete(request, pk, number):
    review = visible_review(request, pk)
    finding = get_object_or_404(Finding, review=review, number=number)
    thing = _("finding %(number)s (%(grade)s)") % {
        "number": finding.number,
        "grade": finding.get_grade_display().lower(),
    }
    if request.method != "POST":
        refused = _edit_refusal_page(request, review)
        return refused or render(request, "reviews/confirm_delete.html", {"review": review, "thing": thing})
    with attempt() as outcome:
        services.delete_finding(finding=finding, actor=request.user)
        messages.success(request, _("The finding is removed."))
        return redirect(f"{review.get_absolute_url()}#findings")
    return render(
        request,
        "reviews/confirm_delete.html",
        {"review": review, "thing": thing, "refusal": outcome.refusal},
        status=outcome.status,
    )


def action_edit(request, pk, action_id=None):
    """C4: an action with its owner and due date."""
    review = visible_review(request, pk)
    action = get_object_or_404(ReviewAction, review=review, pk=action_id) if action_id else None
    if request.method != "POST":
        refused = _edit_refusal_page(request, review)
        if refused:
            return refused
    initial = {"owner": request.user.pk}
    if action:
        initial = {
            "description": action.description,
            "owner": action.owner_id,
            "due_on": action.due_on,
            "finding": action.finding_id,
        }
    elif request.GET.get("finding"):
        initial["finding"] = request.GET["finding"]
    form = ActionForm(request.POST or None, initial=initial, review=review)
    outcome = attempt(form)
    may_edit = request.method == "POST" and outcome.allows(permissions.edit_refusal(request.user, review))
    if may_edit and form.is_valid():
        with outcome:
            services.save_action(review=review, actor=request.user, action=action, **form.cleaned_data)
            messages.success(request, _("The action is saved."))
            return redirect(f"{review.get_absolute_url()}#actions")
    return render(
        request,
        "reviews/action_form.html",
        {"review": review, "form": form, "action": action},
        status=outcome.status,
    )


def action_delete(request, pk, action_id):
    review = visible_review(request, pk)
    action = get_object_or_404(ReviewAction, review=review, pk=action_id)
    thing = _("the action “%(action)s”") % {"action": action}
    if request.method != "POST":
        refused = _edit_refusal_page(request, review)
        return refused or render(request, "reviews/confirm_delete.html", {"review": review, "thing": thing})
    with attempt() as outcome:
        services.delete_action(action=action, actor=request.user)
        messages.success(request, _("The action is removed."))
        return redirect(f"{review.get_absolute_url()}#actions")
    return render(
        request,
        "reviews/confirm_delete.html",
        {"review": review, "thing": thing, "refusal": outcome.refusal},
        status=outcome.status,
    )


@require_POST
def action_done(request, pk, action_id):
    """C4: the owner of an action marks it done, also after approval."""
    review = visible_review(request, pk)
    action = get_object_or_404(ReviewAction, review=review, pk=action_id)
    form = ActionDoneForm(request.POST)
    form.is_valid()
    with attempt(request=request):
        services.complete_action(action=action, actor=request.user, note=form.cleaned_data.get("note", ""))
        messages.success(request, _("The action is done."))
    return redirect(f"{review.get_absolute_url()}#action-{action.pk}")


def addendum_create(request, pk):
    """C4: a later correction of an approved review."""
    review = visible_review(request, pk)
    refusal = permissions.addendum_refusal(request.user, review)
    if request.method != "POST" and refusal:
        return _refused(request, review, refusal)
    form = AddendumForm(request.POST or None)
    outcome = attempt(form)
    if request.method == "POST" and outcome.allows(refusal) and form.is_valid():
        with outcome:
            services.add_addendum(review=review, actor=request.user, text=form.cleaned_data["text"])
            messages.success(request, _("The addendum is added to the approved review."))
            return redirect(f"{review.get_absolute_url()}#addenda")
    return render(
        request, "reviews/addendum_form.html", {"review": review, "form": form}, status=outcome.status
    )


def review_invite(request, pk):
    """An iCalendar invitation to one review (C5), for the reviewer to send to
    the participants from his or her own calendar."""
    from django.http import HttpResponse

    from pdca import feeds

    review = visible_review(request, pk)
    event = feeds.CalendarEvent(
        uid=f"review-{review.pk}",
        day=review.planned_on,
        summary=review.title,
        url=review.get_absolute_url(),
        description=_("%(kind)s led by %(reviewer)s; participants: %(participants)s.")
        % {
            "kind": review.get_kind_display(),
            "reviewer": review.reviewer,
            "participants": ", ".join(str(p) for p in review.participants.all()) or "—",
        },
    )
    response = HttpResponse(
        feeds.calendar([event], name=review.title), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="review-{review.pk}.ics"'
    return response
