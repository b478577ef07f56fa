"""Do: the implementation overview and the implementation page of each plan.

Views only shape requests: every change goes through `plans.do.services`,
whose refusal `pdca.pages.attempt` shows as a message or on the form; what the
user may do comes from `plans.permissions.implementation_actions`."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pdca.decisions import timeline
from pdca.pages import attempt
from plans import permissions
from plans.models import Handover, Kpi, Milestone, Plan, PlanVersion

from . import selectors
from . import services as implementation
from .forms import (
    HandoverDecisionForm,
    HandoverForm,
    KpiOperatorForm,
    MilestoneDoneForm,
    MilestoneForm,
)

User = get_user_model()


def _visible_plan(request, pk):
    plan = get_object_or_404(Plan.objects.select_related("process__owner"), pk=pk, kind=Plan.Kind.PROCESS)
    if not permissions.can_view_plan(request.user, plan):
        raise Http404
    return plan


def _back(plan, anchor=""):
    return redirect(reverse("do:plan", args=[plan.pk]) + anchor)


# -- overview --------------------------------------------------------------


def overview(request):
    plans = selectors.overview_queryset(request.user)
    status = request.GET.get("status", "")
    owner = request.GET.get("owner", "")
    if status in Plan.ImplementationStatus.values:
        plans = plans.filter(implementation_status=status)
    if owner.isdigit():
        plans = plans.filter(process__owner_id=int(owner))
    page = Paginator(plans, 25).get_page(request.GET.get("page"))
    rows = []
    for plan in page:
        total = plan.milestones_total
        rows.append(
            {
                "plan": plan,
                "version": plan.current_version,
                "holders": permissions.implementation_holders(plan),
                "pending_handover": any(h.status == Handover.Status.PROPOSED for h in plan.all_handovers),
                "percent": round(100 * plan.milestones_done / total) if total else 0,
            }
        )
    owners = User.objects.filter(owned_processes__isnull=False).distinct().order_by("last_name", "first_name")
    counts = dict(
        Plan.objects.visible_to(request.user)
        .active()  # as the list: a retired process is implemented no more
        .filter(kind=Plan.Kind.PROCESS)
        .values_list("implementation_status")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    return render(
        request,
        "plans/implementation/overview.html",
        {
            "page": page,
            "rows": rows,
            "owners": owners,
            "statuses": Plan.ImplementationStatus.choices,
            "selected_status": status,
            "selected_owner": owner,
            "counts": [
                (value, label, counts.get(value, 0)) for value, label in Plan.ImplementationStatus.choices
            ],
            "query": "&".join(f"{k}={v}" for k, v in (("status", status), ("owner", owner)) if v),
        },
    )


# -- one plan ----------------------------------------------------------------


def _page_context(request, plan, **forms):
    user = request.user
    holders = permissions.implementation_holders(plan)
    actions = permissions.implementation_actions(user, plan, holders=holders)
    version = plan.current_version
    handovers = list(
        plan.handovers.select_related("handed_over_by", "decided_by").prefetch_related("receivers")
    )
    pending = next((h for h in handovers if h.status == Handover.Status.PROPOSED), None)
    kpis = list(selectors.current_kpis(plan))
    is_receiver = pending is not None and any(r.pk == user.pk for r in pending.receivers.all())
    operator_form = KpiOperatorForm()
    context = {
        "plan": plan,
        "version": version,
        "communicated": version is not None and version.status == PlanVersion.Status.COMMUNICATED,
        "holders": holders,
        "actions": actions,
        "may_manage": bool(actions.manage),
        "milestones": plan.milestones.select_related("owner"),
        "progress": selectors.progress(plan),
        "kpis": kpis,
        "kpis_missing_operator": [k for k in kpis if not hasattr(k, "assignment")],
        "handovers": handovers,
        "pending_handover": pending,
        "is_receiver": is_receiver,
        "responsibility_timeline": selectors.responsibility_timeline(plan),
        "decisions": timeline(plan, *handovers),
        "today": timezone.localdate(),
        "operator_form": operator_form,
        # Listed as a select while the people who may operate are few, else typed.
        "operator_picker": operator_form.fields["operator"].widget,
        "milestone_form": forms.get("milestone_form") or MilestoneForm(initial={"owner": user}),
        "handover_form": forms.get("handover_form")
        or HandoverForm(exclude_user=user, initial={"handover_on": timezone.localdate()}),
        "decision_form": forms.get("decision_form") or HandoverDecisionForm(),
    }
    return context


def implementation_detail(request, pk):
    plan = _visible_plan(request, pk)
    return render(request, "plans/implementation/detail.html", _page_context(request, plan))


@require_POST
def start(request, pk):
    plan = _visible_plan(request, pk)
    with attempt(request=request):
        implementation.start_implementation(plan=plan, actor=request.user)
        messages.success(
            request,
            _("The implementation of %(plan)s has started. Plan its milestones next.") % {"plan": plan},
        )
    return _back(plan)


def _refused_to_non_holder(request, plan):
    """A refusal a non-holder gets where the form is only shown to holders:
    the message on the implementation page, with 403."""
    refusal = permissions.implementation_refusal(request.user, plan)
    if not refusal:
        return None
    messages.error(request, refusal)
    return render(request, "plans/implementation/detail.html", _page_context(request, plan), status=403)


def _detail_with_refused_form(request, plan, status, **forms):
    """The implementation page with a refused form on it. Where the page does not
    show that form (the implementation is not started, or a handover waits),
    what refused it is said on top instead: every refusal is seen."""
    context = _page_context(request, plan, **forms)
    shown = (
        context["may_manage"]
        and context["communicated"]
        and plan.implementation_status != Plan.ImplementationStatus.NOT_STARTED
        and not ("handover_form" in forms and context["pending_handover"])
    )
    if not shown:
        for form in forms.values():
            for error in form.non_field_errors() or [e for errors in form.errors.values() for e in errors]:
                messages.error(request, error)
    return render(request, "plans/implementation/detail.html", context, status=status)


def milestone_edit(request, pk, milestone_id=None):
    plan = _visible_plan(request, pk)
    milestone = get_object_or_404(Milestone, pk=milestone_id, plan=plan) if milestone_id else None
    refused = _refused_to_non_holder(request, plan)
    if refused:
        return refused
    form = MilestoneForm(request.POST or None, instance=milestone)
    outcome = attempt(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with outcome:
            implementation.save_milestone(
                plan=plan,
                actor=request.user,
                milestone=milestone,
                title=data["title"],
                owner=data["owner"],
                due_on=data["due_on"],
                done_on=data["done_on"],
                evidence=data["evidence"],
            )
            messages.success(request, _("Milestone “%(title)s” saved.") % {"title": data["title"]})
            return _back(plan, "#milestones")
    if milestone is None and request.method == "POST":
        # The new-milestone form sits on the implementation page: show it there with its errors.
        return _detail_with_refused_form(request, plan, outcome.status, milestone_form=form)
    return render(
        request,
        "plans/implementation/milestone_form.html",
        {"plan": plan, "form": form, "milestone": milestone},
        status=outcome.status,
    )


@require_POST
def milestone_done(request, pk, milestone_id):
    plan = _visible_plan(request, pk)
    milestone = get_object_or_404(Milestone, pk=milestone_id, plan=plan)
    form = MilestoneDoneForm(request.POST)
    form.is_valid()
    with attempt(request=request):
        implementation.complete_milestone(
            milestone=milestone, actor=request.user, evidence=form.cleaned_data.get("evidence", "")
        )
        messages.success(request, _("“%(title)s” marked done.") % {"title": milestone.title})
    return _back(plan, "#milestones")


def milestone_delete(request, pk, milestone_id):
    plan = _visible_plan(request, pk)
    milestone = get_object_or_404(Milestone, pk=milestone_id, plan=plan)
    if request.method == "POST":
        with attempt(request=request):
            implementation.delete_milestone(milestone=milestone, actor=request.user)
            messages.success(request, _("Milestone “%(title)s” removed.") % {"title": milestone.title})
        return _back(plan, "#milestones")
    return render(
        request, "plans/implementation/milestone_confirm_delete.html", {"plan": plan, "milestone": milestone}
    )


@require_POST
def kpi_operator(request, pk, kpi_id):
    plan = _visible_plan(request, pk)
    kpi = get_object_or_404(
        Kpi.objects.select_related("objective__version__plan"), pk=kpi_id, objective__version__plan=plan
    )
    form = KpiOperatorForm(request.POST)
    if not form.is_valid():
        # The field's own message: who may operate, or that nobody was chosen.
        messages.error(request, " ".join(form.errors.get("operator", [])))
        return _back(plan, "#kpis")
    with attempt(request=request):
        implementation.assign_kpi_operator(
            kpi=kpi, actor=request.user, operator=form.cleaned_data["operator"]
        )
        messages.success(
            request,
            _("%(person)s operates “%(metric)s”.")
            % {"person": form.cleaned_data["operator"], "metric": kpi.metric},
        )
    return _back(plan, "#kpis")


@require_POST
def handover_propose(request, pk):
    plan = _visible_plan(request, pk)
    refused = _refused_to_non_holder(request, plan)
    if refused:
        return refused
    form = HandoverForm(request.POST, exclude_user=request.user)
    outcome = attempt(form)
    if form.is_valid():
        data = form.cleaned_data
        with outcome:
            implementation.propose_handover(
                plan=plan,
                actor=request.user,
                receivers=list(data["receivers"]),
                handover_on=data["handover_on"],
                open_points=data["open_points"],
                documents=data["documents"],
            )
            names = ", ".join(str(u) for u in data["receivers"])
            messages.success(
                request,
                _("Handover proposed to %(names)s. It takes effect when one of them accepts it.")
                % {"names": names},
            )
            return _back(plan, "#handover")
    return _detail_with_refused_form(request, plan, outcome.status, handover_form=form)


@require_POST
def handover_decide(request, pk, handover_id, decision):
    plan = _visible_plan(request, pk)
    handover = get_object_or_404(Handover, pk=handover_id, plan=plan)
    form = HandoverDecisionForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    if decision not in ("accept", "decline"):
        raise Http404
    with attempt() as outcome:
        if decision == "accept":
            implementation.accept_handover(handover=handover, actor=request.user, comment=reason)
            messages.success(
                request,
                _("You accepted the handover: %(plan)s is in operation, and you are responsible.")
                % {"plan": plan},
            )
        else:
            implementation.decline_handover(handover=handover, actor=request.user, reason=reason)
            messages.success(request, _("You declined the handover. The implementers have been told why."))
        return _back(plan, "#handover")
    if outcome.refusal.field == "reason":
        form.add_error("reason", outcome.refusal.message)
        return render(
            request,
            "plans/implementation/detail.html",
            _page_context(request, plan, decision_form=form),
            status=400,
        )
    messages.error(request, outcome.refusal.message)
    return _back(plan, "#handover")
