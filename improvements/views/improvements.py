"""One improvement in the browser (A2-A5): proposing and editing it, promoting
an observation, and the improvement page with its timeline, the baseline /
target / achieved comparison and its chart, the root-cause section of a
nonconformity and what the user can do now. Every change is one service
call; a refusal comes back on the page with what the user typed."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pdca.exceptions import Conflict, NotAllowed
from pdca.pages import add_refusal_to_form, attempt
from reviews.models import Finding, Measurement, Review

from .. import permissions, selectors, services
from ..forms import (
    ROOT_CAUSE_METHODS,
    BaselineFromMeasurementsForm,
    BaselineValueForm,
    EvaluationForm,
    ImprovementForm,
    NonconformityForm,
    ResultForm,
)
from ..models import Improvement

try:  # Check's KPI chart (reviews/charts.py); without it the page shows the table only.
    from reviews.charts import kpi_chart
except ImportError:  # pragma: no cover
    kpi_chart = None

Status = Improvement.Status


def visible_improvement(request, number):
    improvement = selectors.visible_improvement(request.user, number)
    if improvement is None:
        raise Http404
    return improvement


def _refused(request, improvement, message, status=403):
    return render(
        request, "improvements/refused.html", {"improvement": improvement, "message": message}, status=status
    )


def _not_offered(request, improvement, action):
    """The page of an action the user may not take now: its reason, or that the
    improvement's state does not offer it."""
    message = action.reason or _("This is not possible while the improvement is %(status)s.") % {
        "status": improvement.get_status_display().lower()
    }
    return _refused(request, improvement, message, 403 if action.reason else 400)


# -- the improvement page --------------------------------------------------------------------------


def _chart(improvement, lines):
    """A4: the KPI's series with the baseline and the achieved values marked."""
    if improvement.kpi_id is None or kpi_chart is None:
        return ""
    measurements = list(Measurement.objects.of_kpi(improvement.kpi).select_related("kpi"))
    if not measurements:
        return ""
    marks = []
    if improvement.baseline_on:
        marks.append((improvement.baseline_on, _("Baseline")))
    main = selectors.main_comparison(improvement, lines)
    if main is not None and main.achieved is not None:
        marks.append((main.achieved.period_end, _("Achieved")))
    return kpi_chart(improvement.kpi, measurements, marks=marks)


def detail_context(request, improvement, **extra):
    user = request.user
    lines = selectors.comparison(improvement)
    projects = list(improvement.projects.all())
    actions = permissions.improvement_actions(user, improvement)
    context = {
        "improvement": improvement,
        "actions": actions,
        # Editing the details is offered in the page head; the card lists the steps.
        "has_steps": any(action.allowed for action in actions if action.name != "edit"),
        "stages": selectors.improvement_timeline(improvement),
        "lines": lines,
        "chart": _chart(improvement, lines),
        "baseline": list(improvement.baseline.all()),
        "results": list(improvement.results.all()),
        "checks": list(improvement.checks.all()),
        "projects": projects,
        "processes": list(improvement.processes.all()),
        "needs_project": improvement.needs_project and not projects,
        "may_set_up_project": not permissions.project_refusal(user),
        "evaluation_form": EvaluationForm(),
        "typed": {},
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


def detail(request, number):
    improvement = visible_improvement(request, number)
    return render(request, "improvements/detail.html", detail_context(request, improvement))


def _render_refused_on_detail(request, number, refusal, **extra):
    improvement = visible_improvement(request, number)
    context = detail_context(request, improvement, refusal=refusal, **extra)
    return render(request, "improvements/detail.html", context, status=refusal.status_code)


# Module-level texts: translated when shown, in the user's language.
TRANSITIONS = {
    "approve": (
        services.approve_improvement,
        "comment",
        gettext_lazy("The improvement is approved. Its owner is told to record the baseline."),
    ),
    "reject": (
        services.reject_improvement,
        "reason",
        gettext_lazy("The improvement is rejected, with your reason."),
    ),
    "start": (
        services.start_implementation,
        "comment",
        gettext_lazy("The implementation has started. Mark the improvement implemented when it is done."),
    ),
    "implemented": (
        services.mark_implemented,
        "comment",
        gettext_lazy("The improvement is implemented. Record the values it achieved."),
    ),
    "close": (services.close_improvement, "comment", gettext_lazy("The improvement is closed.")),
}


@require_POST
def transition_view(request, number, transition):
    """approve, reject (with its reason), start, implemented, close. A refusal is
    shown on the improvement page with the comment typed."""
    if transition not in TRANSITIONS:
        raise Http404
    improvement = visible_improvement(request, number)
    perform, argument, done = TRANSITIONS[transition]
    text = request.POST.get(argument, "")
    with attempt() as outcome:
        perform(improvement=improvement, actor=request.user, **{argument: text})
        messages.success(request, done)
        if transition == "close" and improvement.finding_id:
            messages.success(
                request, _("Finding %(code)s is closed with it.") % {"code": improvement.finding.code}
            )
        return redirect(improvement)
    return _render_refused_on_detail(request, number, outcome.refusal, typed={transition: text})


@require_POST
def evaluate(request, number):
    """A4, A5: a CSI owner checks whether the implemented improvement is effective."""
    improvement = visible_improvement(request, number)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, improvement, evaluation_form=form)
        action = context["actions"].evaluate
        if not action:  # the form is not on the page: say why on top
            context["refusal"] = NotAllowed(
                action.reason
                or _("This is not possible while the improvement is %(status)s.")
                % {"status": improvement.get_status_display().lower()}
            )
        return render(request, "improvements/detail.html", context, status=403 if action.reason else 400)
    data = form.cleaned_data
    with attempt(form) as outcome:
        services.check_effectiveness(
            improvement=improvement,
            actor=request.user,
            effective=data["effective"],
            evidence=data["evidence"],
            result=data["result"],
        )
        if data["effective"]:
            messages.success(request, _("The improvement is effective. A CSI owner can close it now."))
        else:
            messages.success(
                request,
                _("The improvement is not effective: it is back in implementation. Its owner is told."),
            )
        return redirect(improvement)
    context = detail_context(request, visible_improvement(request, number), evaluation_form=form)
    if not context["actions"].evaluate:
        context["refusal"] = outcome.refusal  # the form is not on the page: say it on top
    return render(request, "improvements/detail.html", context, status=outcome.status)


# -- proposing and editing -----------------------------------------------------------------------------


def _details(data):
    return {
        name: data.get(name)
        for name in services.EDITABLE_FIELDS
        if name not in ("title", "description") and name in data
    }


def propose(request):
    """A2: anyone (but an auditor) proposes an improvement; it starts as proposed."""
    refusal = permissions.propose_refusal(request.user)
    if refusal:
        return _refused(request, None, refusal)
    initial = {}
    if request.GET.get("process", "").isdigit():
        initial["processes"] = [int(request.GET["process"])]
    form = ImprovementForm(request.POST or None, initial=initial)
    outcome = attempt(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with outcome:
            improvement = services.propose_improvement(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                processes=list(data["processes"]),
                scope=data["scope"],
                source=data["source"],
                **_details(data),
            )
            messages.success(
                request,
                _("%(code)s is in the service improvement plan. A CSI owner decides on it.")
                % {"code": improvement.code},
            )
            return redirect(improvement)
    return render(
        request,
        "improvements/improvement_form.html",
        {"form": form},
        status=outcome.status if outcome.refused else (400 if form.errors else 200),
    )


def _initial(improvement):
    return {
        "title": improvement.title,
        "description": improvement.description,
        "scope": improvement.scope,
        "processes": [p.pk for p in improvement.processes.all()],
        "owner": improvement.owner_id,
        "priority": improvement.priority,
        "size": improvement.size,
        "timescale": improvement.timescale,
        "required_by": improvement.required_by,
        "justification": improvement.justification,
        "expected_benefit": improvement.expected_benefit,
        "kpi": improvement.kpi_id,
        "target": improvement.target,
        "revision": improvement.revision,
    }


def edit(request, number):
    """The details of an open improvement. A save from a stale page is refused;
    what the user typed stays in the form beside what was saved meanwhile."""
    improvement = visible_improvement(request, number)
    actions = permissions.improvement_actions(request.user, improvement)
    if request.method != "POST":
        if not actions.edit:
            return _not_offered(request, improvement, actions.edit)
        form = ImprovementForm(initial=_initial(improvement), improvement=improvement)
        return render(
            request, "improvements/improvement_form.html", {"form": form, "improvement": improvement}
        )
    form = ImprovementForm(request.POST, initial=_initial(improvement), improvement=improvement)
    outcome = attempt(form)
    saved = None
    if outcome.allows(permissions.edit_refusal(request.user, improvement)) and form.is_valid():
        data = form.cleaned_data
        scope, processes = form.changed_scope(improvement)
        with outcome:
            services.update_improvement(
                improvement=improvement,
                actor=request.user,
                expected_revision=data.get("revision"),
                scope=scope,
                processes=processes,
                title=data["title"],
                description=data["description"],
                **_details(data),
            )
            messages.success(request, _("%(code)s is saved.") % {"code": improvement.code})
            return redirect(improvement)
        if isinstance(outcome.refusal, Conflict):
            saved = visible_improvement(request, number)
            fresh = request.POST.copy()
            fresh["revision"] = saved.revision
            form = ImprovementForm(fresh, initial=_initial(saved), improvement=saved)
            form.is_valid()
            add_refusal_to_form(form, outcome.refusal)
    return render(
        request,
        "improvements/improvement_form.html",
        {"form": form, "improvement": improvement, "saved": saved},
        status=outcome.status if outcome.refused else 400,
    )


def promote(request, finding_id):
    """A2: an observation of an approved review enters the plan by hand. The
    page asks for confirmation; the refusal (not an observation, not yet
    approved, not the user's to promote, promoted already) comes back on it."""
    visible = Review.objects.visible_to(request.user).values("pk")
    finding = get_object_or_404(
        Finding.objects.filter(review__in=visible).select_related("review", "process"), pk=finding_id
    )
    existing = Improvement.objects.filter(finding=finding).first()
    if request.method != "POST" and existing is not None:
        messages.info(
            request,
            _("Finding %(code)s is already in the improvement plan as %(improvement)s.")
            % {"code": finding.code, "improvement": existing.code},
        )
        return redirect(existing)
    refusal = permissions.promote_refusal(request.user, finding)
    outcome = attempt()
    if request.method == "POST":
        with outcome:
            improvement = services.promote_observation(finding=finding, actor=request.user)
            messages.success(
                request,
                _("Observation %(code)s is in the service improvement plan as %(improvement)s.")
                % {"code": finding.code, "improvement": improvement.code},
            )
            return redirect(improvement)
    return render(
        request,
        "improvements/promote.html",
        {
            "finding": finding,
            "refusal": outcome.refusal,
            "existing": existing,
            "may_promote": not refusal,
            "why_not": refusal,
        },
        status=outcome.status if outcome.refused else (403 if refusal else 200),
    )


# -- the baseline, the root cause and the results ----------------------------------------------------------


def baseline(request, number):
    """A4: the baseline before implementation: from the KPIs' measurements (the
    last value on or before a date) or entered with evidence; then accepted by
    the owner, after which it never changes."""
    improvement = visible_improvement(request, number)
    actions = permissions.improvement_actions(request.user, improvement)
    if request.method != "POST" and not actions.baseline:
        if improvement.baseline_accepted_at is not None:
            return redirect(f"{improvement.get_absolute_url()}#comparison")
        return _not_offered(request, improvement, actions.baseline)
    refusal = permissions.act_refusal(request.user, improvement) if request.method == "POST" else ""
    if refusal:  # who may not act is told why, whatever was sent
        return _refused(request, improvement, refusal)
    step = request.POST.get("step") if request.method == "POST" else None
    measured = BaselineFromMeasurementsForm(
        request.POST if step == "measurements" else None, improvement=improvement
    )
    manual = BaselineValueForm(request.POST if step == "manual" else None, improvement=improvement)
    outcome = attempt({"measurements": measured, "manual": manual}.get(step), request=None)
    status = 200
    if step == "measurements" and measured.is_valid():
        with outcome:
            rows = services.take_baseline(
                improvement=improvement,
                actor=request.user,
                baseline_on=measured.cleaned_data["baseline_on"] or timezone.localdate(),
                kpis=list(measured.cleaned_data["kpis"]),
            )
            messages.success(
                request,
                _("The baseline is taken from the measurements: %(values)s. Check it, then accept it.")
                % {"values": "; ".join(str(row) for row in rows)},
            )
            return redirect("improvements:baseline", number=improvement.number)
    elif step == "manual" and manual.is_valid():
        data = manual.cleaned_data
        with outcome:
            services.add_baseline_value(
                improvement=improvement,
                actor=request.user,
                label=data["label"],
                value=data["value"],
                unit=data["unit"],
                measured_on=data["measured_on"],
                evidence=data["evidence"],
                kpi=data["kpi"],
            )
            messages.success(
                request, _("The baseline value is recorded. Accept the baseline when it is complete.")
            )
            return redirect("improvements:baseline", number=improvement.number)
    elif step == "accept":
        with outcome:
            services.accept_baseline(improvement=improvement, actor=request.user)
            messages.success(
                request, _("The baseline is accepted and no longer changes. The implementation can start.")
            )
            return redirect(improvement)
    elif step in ("measurements", "manual"):
        status = 400
    elif request.method == "POST":
        raise Http404
    if outcome.refused:
        status = outcome.status
        improvement = visible_improvement(request, number)
    return render(
        request,
        "improvements/baseline.html",
        {
            "improvement": improvement,
            "actions": permissions.improvement_actions(request.user, improvement),
            "measured_form": measured,
            "manual_form": manual,
            "values": list(improvement.baseline.all()),
            "refusal": outcome.refusal if step == "accept" else None,
        },
        status=status,
    )


def nonconformity(request, number):
    """A5: the correction, the root cause with its method, similar
    nonconformities elsewhere and the corrective action. A save from a stale
    page is refused; what the user typed stays beside what was saved."""
    improvement = visible_improvement(request, number)
    actions = permissions.improvement_actions(request.user, improvement)
    if request.method != "POST" and not actions.root_cause:
        return _not_offered(request, improvement, actions.root_cause)
    initial = {name: getattr(improvement, name) for name in services.NONCONFORMITY_FIELDS}
    initial["revision"] = improvement.revision
    form = NonconformityForm(request.POST or None, initial=initial)
    outcome = attempt(form)
    saved = None
    may_act = request.method == "POST" and outcome.allows(permissions.act_refusal(request.user, improvement))
    if may_act and form.is_valid():
        data = dict(form.cleaned_data)
        with outcome:
            services.record_nonconformity_handling(
                improvement=improvement, actor=request.user, expected_revision=data.pop("revision"), **data
            )
            messages.success(request, _("The root cause and corrective action are saved."))
            return redirect(f"{improvement.get_absolute_url()}#nonconformity")
        if isinstance(outcome.refusal, Conflict):
            saved = visible_improvement(request, number)
            fresh = request.POST.copy()
            fresh["revision"] = saved.revision
            form = NonconformityForm(fresh)
            form.is_valid()
            add_refusal_to_form(form, outcome.refusal)
    return render(
        request,
        "improvements/nonconformity_form.html",
        {"improvement": improvement, "form": form, "methods": ROOT_CAUSE_METHODS, "saved": saved},
        status=outcome.status,
    )


def result(request, number):
    """A4: a value achieved after implementation, over a period, beside the
    KPI's measurements since the implementation started."""
    improvement = visible_improvement(request, number)
    actions = permissions.improvement_actions(request.user, improvement)
    if request.method != "POST" and not actions.result:
        return _not_offered(request, improvement, actions.result)
    since = improvement.implementation_started_at or improvement.approved_at
    recent = []
    if improvement.kpi_id:
        recent = list(
            Measurement.objects.of_kpi(improvement.kpi)
            .filter(period_end__gte=timezone.localtime(since).date() if since else timezone.localdate())
            .select_related("kpi")
            .order_by("period_end", "pk")
        )
    initial = {}
    if recent:
        initial = {
            "value": recent[-1].value.normalize(),
            "period_start": recent[0].period_start,
            "period_end": recent[-1].period_end,
            "evidence": _("The KPI's measurements."),
        }
    form = ResultForm(request.POST or None, initial=initial, improvement=improvement)
    outcome = attempt(form)
    may_act = request.method == "POST" and outcome.allows(permissions.act_refusal(request.user, improvement))
    if may_act and form.is_valid():
        data = form.cleaned_data
        with outcome:
            services.record_result(
                improvement=improvement,
                actor=request.user,
                label=data["label"],
                value=data["value"],
                unit=data["unit"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                evidence=data["evidence"],
                kpi=data["kpi"],
            )
            messages.success(request, _("The achieved value is recorded."))
            return redirect(f"{improvement.get_absolute_url()}#comparison")
    return render(
        request,
        "improvements/result_form.html",
        {"improvement": improvement, "form": form, "recent": recent},
        status=outcome.status if outcome.refused else (400 if form.errors else 200),
    )
