"""The plan list, the approval queue, creating a process plan, and the plan
page with what the user may do there (revise, confirm conformance, the
distribution list). Every change goes through `plans.services`; what the
user may do comes from `plans.permissions`."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import reads_everything
from pdca import registry
from pdca.decisions import timeline
from pdca.pages import attempt
from plans import next_steps, permissions, selectors, services
from plans.filters import PlanFilter
from plans.forms import DistributionForm, ProcessPlanCreateForm
from plans.models import Plan, PlanVersion, Process

from .common import PLANS_PER_PAGE, refused_page, visible_plan, visible_versions

Status = PlanVersion.Status


# -- the plan list and the approval queue ---------------------------------------


def plan_list(request):
    """Every plan the user may see: the SMP first, then the process plans (constant queries)."""
    plans = (
        Plan.objects.visible_to(request.user)
        .with_current(request.user)
        .order_by("-kind", "title", "pk")  # "smp" > "process": the SMP first
    )
    plan_filter = PlanFilter(request.GET or None, queryset=plans, request=request)
    page = Paginator(plan_filter.qs, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    # Badges of the phases that build on plans (Check: review due or overdue).
    badges = registry.list_badges("plans.plan_list", request.user, page.object_list)
    for plan in page.object_list:
        plan.extra_badges = badges.get(plan.pk, [])
    selectors.attach_owners(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "plans/plan_list.html",
        {
            "filter": plan_filter,
            "filter_fields": [plan_filter.form[name] for name in PlanFilter.PAGE_FILTERS],
            "page": page,
            "query": query.urlencode(),
            "filtered": any(request.GET.get(name) for name in plan_filter.filters),
            "shows_drafts": reads_everything(request.user),
            "can_create": permissions.processes_to_plan_for(
                request.user, Process.objects.filter(plan__isnull=True)
            ).exists(),
            "awaiting_approval": PlanVersion.objects.awaiting_approval_by(request.user).count()
            if permissions.is_manager(request.user)
            else 0,
        },
    )


def approval_queue(request):
    """P3: the versions waiting for the user's decision."""
    page = Paginator(selectors.awaiting_approval(request.user), PLANS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "plans/approval_queue.html", {"page": page})


# -- creating a process plan ------------------------------------------------------


def _create_refusal(request):
    """Who may create the plan of the process posted, asked before the form is
    validated: somebody who may not is told why, not that it is no choice of his."""
    posted = request.POST.get("process", "")
    process = Process.objects.filter(pk=posted).first() if posted.isdigit() else None
    return permissions.create_process_plan_refusal(request.user, process) if process else ""


def plan_create(request):
    """P1: a process owner starts the plan of a process that has none."""
    processes = permissions.processes_to_plan_for(
        request.user, Process.objects.filter(plan__isnull=True).select_related("owner")
    )
    form = ProcessPlanCreateForm(request.POST or None, processes=processes)
    outcome = attempt(form)
    if request.method == "POST" and outcome.allows(_create_refusal(request)) and form.is_valid():
        with outcome:
            plan = services.create_process_plan(
                process=form.cleaned_data["process"], actor=request.user, title=form.cleaned_data["title"]
            )
            messages.success(
                request,
                _(
                    "“%(plan)s” is created. Write its sections, objectives and responsibilities, "
                    "then submit it for approval."
                )
                % {"plan": plan},
            )
            return redirect(plan.latest_version)
    return render(
        request,
        "plans/plan_create.html",
        {"form": form, "has_choices": processes.exists(), "smp": services.current_smp()},
        status=outcome.status,
    )


# -- the plan page ----------------------------------------------------------------


def live_version_actions(user, version, *, acknowledgement=None, problems=None, waiting=None):
    """One version's workflow buttons on a page: what `permissions.version_actions`
    allows, with the draft's open problems and the user's acknowledgement, and
    where the version stands: the change request that sent it back, the
    submission note, and who acts next (`plans.next_steps`). `waiting`: the
    recipients who have not acknowledged, when the caller counted them."""
    from plans.rules import submission_problems

    if version.status == Status.DRAFT and problems is None and permissions.can_edit_plan(user, version.plan):
        problems = submission_problems(version)
    actions = permissions.version_actions(user, version, problems=problems, acknowledgement=acknowledgement)
    loop = next_steps.loop_state(version)
    step = next_steps.next_step(version, user=user, state=loop, waiting=waiting)
    return {
        "version": version,
        "actions": actions,
        "problems": [m for messages_ in (problems or {}).values() for m in messages_],
        "acknowledged_at": acknowledgement.acknowledged_at if acknowledgement is not None else None,
        "loop": loop,
        "next": step,
        # The reader is among those the version waits for: the action's own form says so.
        "next_is_yours": any(person.pk == user.pk for person in step.people)
        or (step.action == "acknowledge" and bool(actions.acknowledge)),
        "shows_something": bool(actions)
        or bool(actions.edit)
        or bool(actions.approve.reason)
        or (acknowledgement is not None and acknowledgement.acknowledged_at is not None),
    }


def plan_context(request, plan, versions=None):
    """What the plan page shows: the live versions and their actions, all
    versions, decisions and acknowledgements."""
    user = request.user
    versions = versions if versions is not None else visible_versions(request, plan)
    current = next((v for v in versions if v.status in PlanVersion.IN_FORCE), None)
    latest = versions[0] if versions else None
    draft = latest if latest and latest.status in PlanVersion.IN_PROGRESS else None
    actions = permissions.plan_actions(user, plan, versions=versions)

    communicated = next((v for v in versions if v.status == Status.COMMUNICATED), None)
    acknowledgements = (
        list(
            communicated.acknowledgements.select_related("user").order_by(
                "acknowledged_at", "user__last_name"
            )
        )
        if communicated
        else []
    )
    own_acknowledgement = next((a for a in acknowledgements if a.user_id == user.pk), None)

    live = [
        live_version_actions(
            user,
            v,
            acknowledgement=own_acknowledgement if v == communicated else None,
            waiting=sum(1 for a in acknowledgements if not a.acknowledged_at) if v == communicated else None,
        )
        for v in (draft, current)
        if v is not None
    ]
    communicable = any(a["actions"].communicate for a in live)
    return {
        "plan": plan,
        "versions": versions,
        "current": current,
        "draft": draft,
        "plan_actions": actions,
        "live": live,
        "can_edit": bool(actions.edit) or permissions.can_edit_plan(user, plan),
        "can_revise": bool(actions.revise),
        "can_confirm_conformance": bool(actions.confirm_conformance),
        # Each live version names who acts next; only a plan without one has nothing to say.
        "nothing_to_do": not (live or actions.revise or actions.confirm_conformance),
        "draft_loop": live[0]["loop"] if draft is not None else None,
        "can_set_distribution": bool(actions.distribution),
        "can_view_history": bool(actions.history),
        "can_archive": bool(actions.archive),
        "archive_refusal": actions.archive.reason,
        "can_restore": bool(actions.restore),
        "recipient_count": len(services.distribution_recipients(plan)) if communicable else 0,
        "decisions": _decisions(plan, versions),
        "communicated": communicated,
        "acknowledgements": acknowledgements,
        "acknowledged": [a for a in acknowledgements if a.acknowledged_at],
        "not_acknowledged": [a for a in acknowledgements if not a.acknowledged_at],
        "sees_acknowledgements": reads_everything(user),
        "smp_in_force": services.current_smp().current_version if not plan.is_smp else None,
        "overdue_milestones": 0 if plan.is_smp else plan.milestones.overdue().count(),
        **_implementation_facts(plan, current),
        # Cards of the phases that build on the plan (Check: its reviews).
        "panels": registry.page_panels("plans.plan_detail", request, plan),
    }


def _implementation_facts(plan, current):
    """D3: who holds the implementation responsibility now, and whether a
    handover made them hold it."""
    if plan.is_smp or current is None:
        return {}
    holders = permissions.implementation_holders(plan)
    handover = permissions.last_accepted_handover(plan)
    by_handover = handover if handover and handover.decided_at >= current.approved_at else None
    return {"implementation_holders": holders, "holders_by_handover": by_handover}


def _decisions(plan, versions):
    """The decision timeline of the plan and the versions the user may read."""
    numbers = {v.pk: v.number for v in versions}
    entries = []
    for decision in timeline(plan, *versions):
        number = numbers.get(decision.object_id) if decision.content_type.model == "planversion" else None
        entries.append(
            {
                "decision": decision,
                "label": decision.action_label,
                "version": number,
                "to_state": decision.to_state,
                "to_label": Status(decision.to_state).label if decision.to_state in Status.values else "",
            }
        )
    return entries


def plan_detail(request, pk):
    plan = visible_plan(request, pk)
    return render(request, "plans/plan_detail.html", plan_context(request, plan))


def keep_typed(context, typed, live, can_revise=False, shown_forms=()):
    """Put the typed comment back in its form; if that form is not on the page
    (the user may not take the action), show the comment with the refusal."""
    context["typed"] = typed
    shown = {
        "submit": any(a["actions"].edit for a in live),
        "review": any(a["actions"].review for a in live),
        "approve": any(a["actions"].approve for a in live),
        "request_changes": any(a["actions"].approve for a in live),
        "communicate": any(a["actions"].communicate for a in live),
        "withdraw": any(a["actions"].withdraw for a in live),
        "revise": can_revise,
        **dict.fromkeys(shown_forms, True),
    }
    context["unshown_comment"] = next(
        (text for name, text in typed.items() if text.strip() and not shown.get(name)), ""
    )


def render_refused_on_plan_page(request, plan, refusal, typed=None):
    context = plan_context(request, plan)
    context["refusal"] = refusal
    shown_forms = [name for name in ("archive", "restore") if context[f"can_{name}"]]
    keep_typed(context, typed or {}, context["live"], context["can_revise"], shown_forms)
    return render(request, "plans/plan_detail.html", context, status=refusal.status_code)


@require_POST
def plan_revise(request, pk):
    """P4: start a new draft revision from the version in force."""
    plan = visible_plan(request, pk)
    comment = request.POST.get("comment", "")
    with attempt() as outcome:
        draft = services.revise_plan(plan=plan, actor=request.user, comment=comment)
        messages.success(
            request,
            _(
                "Version %(number)s is a new draft, copied from the version in force. "
                "The approved version stays as it is until this one is approved."
            )
            % {"number": draft.number},
        )
        return redirect(draft)
    return render_refused_on_plan_page(request, plan, outcome.refusal, {"revise": comment})


@require_POST
def confirm_conformance(request, pk):
    """P5: the owner confirms the plan still conforms to the SMP in force."""
    plan = visible_plan(request, pk)
    comment = request.POST.get("comment", "")
    with attempt() as outcome:
        services.confirm_conformance(plan=plan, actor=request.user, comment=comment)
        messages.success(
            request, _("Conformance confirmed: the plan conforms to the service management plan in force.")
        )
        return redirect(plan)
    return render_refused_on_plan_page(request, plan, outcome.refusal, {"confirm_conformance": comment})


@require_POST
def plan_archive(request, pk):
    """A manager archives a plan whose process is retired (it is never deleted)."""
    plan = visible_plan(request, pk)
    reason = request.POST.get("reason", "")
    with attempt() as outcome:
        services.archive_plan(plan=plan, actor=request.user, reason=reason)
        messages.success(
            request,
            _(
                "“%(plan)s” is archived: it changes no more and nobody is reminded of it. A manager can restore it."
            )
            % {"plan": plan},
        )
        return redirect(plan)
    return render_refused_on_plan_page(request, plan, outcome.refusal, {"archive": reason})


@require_POST
def plan_restore(request, pk):
    """A manager puts an archived plan back in use."""
    plan = visible_plan(request, pk)
    comment = request.POST.get("comment", "")
    with attempt() as outcome:
        plan = services.restore_plan(plan=plan, actor=request.user, comment=comment)
        messages.success(request, _("“%(plan)s” is in use again.") % {"plan": plan})
        return redirect(plan)
    return render_refused_on_plan_page(request, plan, outcome.refusal, {"restore": comment})


def distribution_edit(request, pk):
    """P6: the people and roles who receive the plan when it is communicated."""
    plan = visible_plan(request, pk)
    refusal = permissions.distribution_refusal(request.user, plan)
    if request.method == "GET" and refusal:
        return refused_page(request, plan, refusal, 403)
    form = DistributionForm(
        request.POST or None,
        initial={"users": plan.distribution_users.all(), "groups": plan.distribution_groups.all()},
    )
    outcome = attempt(form)
    if request.method == "POST" and outcome.allows(refusal) and form.is_valid():
        with outcome:
            services.set_distribution(
                plan=plan,
                actor=request.user,
                users=list(form.cleaned_data["users"]),
                groups=list(form.cleaned_data["groups"]),
            )
            messages.success(request, _("The distribution list is saved."))
            return redirect(plan)
    return render(
        request, "plans/distribution_form.html", {"plan": plan, "form": form}, status=outcome.status
    )
