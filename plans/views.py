"""The browser interface of Plan (and, for now, the entry page of Do).

Views are thin: they find the objects the user may see (404 otherwise), ask
plans.permissions which buttons to show, and hand every change to
plans.services. A refused change (RuleViolation) is shown in the page with the
service's message, with the HTTP status of the refusal (400, 403 or 409), and
the page is re-rendered with what the user typed.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from pdca.decisions import timeline
from pdca.exceptions import Conflict, RuleViolation

from . import permissions, services
from .diff import compare_versions
from .forms import (
    CompareForm,
    DistributionForm,
    KpiForm,
    ObjectiveForm,
    PlanFilter,
    ProcessForm,
    ProcessPlanCreateForm,
    ResponsibilitiesForm,
    SectionForm,
)
from .models import (
    Acknowledgement,
    Handover,
    ImmutableVersion,
    Kpi,
    Milestone,
    Objective,
    Plan,
    PlanVersion,
    Process,
    Responsibility,
)

Status = PlanVersion.Status
User = get_user_model()

PLANS_PER_PAGE = 25


# -- finding what the user may see -------------------------------------------


def _visible_plan(request, pk):
    return get_object_or_404(Plan.objects.visible_to(request.user).with_current(request.user), pk=pk)


def _visible_versions(request, plan):
    """The versions of `plan` the user may read, newest first (staff: the communicated ones)."""
    return list(
        PlanVersion.objects.visible_to(request.user)
        .filter(plan=plan)
        .select_related("author", "approved_by", "conforms_to__plan")
        .prefetch_related("responsibilities__user")
        .order_by("-number")
    )


def _plan_and_version(request, pk, number):
    plan = _visible_plan(request, pk)
    version = get_object_or_404(
        PlanVersion.objects.visible_to(request.user).select_related(
            "author", "last_editor", "approved_by", "conforms_to__plan"
        ),
        plan=plan,
        number=number,
    )
    version.plan = plan
    return plan, version


def _refusal(request, plan, message, status, version=None):
    return render(
        request, "plans/refused.html", {"plan": plan, "version": version, "message": message}, status=status
    )


def _edit_refusal(request, plan, version):
    """Refuse to show an edit form that the services would refuse to save.

    The refusal of a frozen version is the model's own message (P4)."""
    refusal = permissions.edit_refusal(request.user, plan)
    if refusal:
        return _refusal(request, plan, f"You can read this plan but not change it. {refusal}", 403, version)
    if not version.is_editable:
        refusal = ImmutableVersion(version)
        return _refusal(request, plan, refusal.message, refusal.status_code, version)
    return None


def _add_rule_errors(form, refusal):
    """Show a service's refusal on the form: per field where the form has the
    field, and the overall message on top unless a field already says it."""
    placed = []
    for name, errors in (refusal.errors or {}).items():
        if name in form.fields and not form.fields[name].widget.is_hidden:
            for error in errors:
                form.add_error(name, error)
                placed.append(error)
    if refusal.message not in placed:
        form.add_error(None, refusal.message)


def _may_view_history(user):
    return user.has_perm("plans.view_history") or permissions.reads_everything(user)


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
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "plans/plan_list.html",
        {
            "filter": plan_filter,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(request.GET.get(name) for name in plan_filter.filters),
            "shows_drafts": permissions.reads_everything(request.user),
            "can_create": _processes_without_plan(request.user).exists(),
            "awaiting_approval": PlanVersion.objects.awaiting_approval_by(request.user).count()
            if request.user.has_perm("plans.approve_plan")
            else 0,
        },
    )


def _processes_without_plan(user):
    processes = Process.objects.filter(plan__isnull=True)
    if user.is_superuser:
        return processes
    if permissions.is_read_only(user):
        return processes.none()
    return processes.filter(Q(owner=user) | Q(deputies=user)).distinct()


def approval_queue(request):
    """P3: the versions waiting for the user's decision."""
    versions = (
        PlanVersion.objects.awaiting_approval_by(request.user)
        .select_related("plan__process__owner")
        .order_by("submitted_at", "pk")
    )
    page = Paginator(versions, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "plans/approval_queue.html", {"page": page})


# -- creating a process plan ------------------------------------------------------


def plan_create(request):
    """P1: a process owner starts the plan of a process that has none."""
    processes = _processes_without_plan(request.user).select_related("owner")
    form = ProcessPlanCreateForm(request.POST or None, processes=processes)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_process_plan(
                process=form.cleaned_data["process"], actor=request.user, title=form.cleaned_data["title"]
            )
        except RuleViolation as refusal:
            _add_rule_errors(form, refusal)
            status = refusal.status_code
        else:
            messages.success(
                request,
                f"“{plan}” is created. Write its sections, objectives and responsibilities, "
                "then submit it for approval.",
            )
            return redirect(plan.latest_version)
    return render(
        request,
        "plans/plan_create.html",
        {
            "form": form,
            "has_choices": processes.exists(),
            "smp": services.current_smp(),
        },
        status=status,
    )


# -- the plan page ----------------------------------------------------------------


@dataclass
class VersionActions:
    """The workflow buttons one user sees for one version. Only a guide: the
    services decide again when the button is pressed."""

    version: PlanVersion
    submit: bool = False
    approve: bool = False
    approval_refusal: str = ""
    communicate: bool = False
    acknowledge: bool = False
    acknowledged_at: datetime | None = None
    problems: list = field(default_factory=list)

    @property
    def any(self):
        return self.submit or self.approve or self.communicate or self.acknowledge


def _version_actions(user, plan, version, can_edit, acknowledgement=None):
    actions = VersionActions(version=version)
    if version.status == Status.DRAFT and can_edit:
        actions.submit = True
        actions.problems = [
            m for messages_ in services.submission_problems(version).values() for m in messages_
        ]
    elif version.status == Status.IN_REVIEW:
        actions.approval_refusal = permissions.approval_refusal(user, version)
        actions.approve = not actions.approval_refusal
        if not user.has_perm("plans.approve_plan"):
            actions.approval_refusal = ""  # only managers need to know why they cannot decide
    elif version.status == Status.APPROVED:
        actions.communicate = permissions.can_communicate(user, version)
    if version.status == Status.COMMUNICATED and acknowledgement is not None:
        actions.acknowledge = acknowledgement.acknowledged_at is None
        actions.acknowledged_at = acknowledgement.acknowledged_at
    return actions


def _plan_context(request, plan, versions=None):
    """What the plan page shows: the live versions and their actions, all
    versions, decisions and acknowledgements."""
    user = request.user
    versions = versions if versions is not None else _visible_versions(request, plan)
    current = next((v for v in versions if v.status in PlanVersion.IN_FORCE), None)
    latest = versions[0] if versions else None
    draft = latest if latest and latest.status in (Status.DRAFT, Status.IN_REVIEW) else None
    can_edit = permissions.can_edit_plan(user, plan)

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

    live = [v for v in (draft, current) if v is not None]
    actions = [
        _version_actions(user, plan, v, can_edit, own_acknowledgement if v == communicated else None)
        for v in live
    ]
    recipients = services.distribution_recipients(plan) if any(a.communicate for a in actions) else []
    can_revise = can_edit and latest is not None and draft is None
    can_confirm_conformance = can_edit and plan.conformance_review_due and current is not None
    return {
        "plan": plan,
        "versions": versions,
        "current": current,
        "draft": draft,
        "actions": actions,
        "can_edit": can_edit,
        "can_revise": can_revise,
        "can_confirm_conformance": can_confirm_conformance,
        "nothing_to_do": not (
            can_revise
            or can_confirm_conformance
            or any(a.any or a.approval_refusal or a.acknowledged_at for a in actions)
        ),
        "can_set_distribution": permissions.can_set_distribution(user, plan),
        "can_view_history": _may_view_history(user),
        "recipient_count": len(recipients),
        "decisions": _decisions(plan, versions),
        "communicated": communicated,
        "acknowledgements": acknowledgements,
        "acknowledged": [a for a in acknowledgements if a.acknowledged_at],
        "not_acknowledged": [a for a in acknowledgements if not a.acknowledged_at],
        "sees_acknowledgements": permissions.reads_everything(user),
        "smp_in_force": services.current_smp().current_version if not plan.is_smp else None,
        "overdue_milestones": 0 if plan.is_smp else plan.milestones.overdue().count(),
    }


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
    plan = _visible_plan(request, pk)
    return render(request, "plans/plan_detail.html", _plan_context(request, plan))


def _keep_typed(context, typed, actions):
    """Put the typed comment back in its form; if that form is not on the page
    (the user may not take the action), show the comment with the refusal."""
    context["typed"] = typed
    shown = {
        "submit": any(a.submit for a in actions),
        "approve": any(a.approve for a in actions),
        "request_changes": any(a.approve for a in actions),
        "communicate": any(a.communicate for a in actions),
        "revise": context.get("can_revise", False),
    }
    context["unshown_comment"] = next(
        (text for name, text in typed.items() if text.strip() and not shown.get(name)), ""
    )


def _render_refused_on_plan_page(request, plan, refusal, typed=None):
    context = _plan_context(request, plan)
    context["refusal"] = refusal
    _keep_typed(context, typed or {}, context["actions"])
    return render(request, "plans/plan_detail.html", context, status=refusal.status_code)


@require_POST
def plan_revise(request, pk):
    """P4: start a new draft revision from the version in force."""
    plan = _visible_plan(request, pk)
    comment = request.POST.get("comment", "")
    try:
        draft = services.revise_plan(plan=plan, actor=request.user, comment=comment)
    except RuleViolation as refusal:
        return _render_refused_on_plan_page(request, plan, refusal, {"revise": comment})
    messages.success(
        request,
        f"Version {draft.number} is a new draft, copied from the version in force. "
        "The approved version stays as it is until this one is approved.",
    )
    return redirect(draft)


@require_POST
def confirm_conformance(request, pk):
    """P5: the owner confirms the plan still conforms to the SMP in force."""
    plan = _visible_plan(request, pk)
    comment = request.POST.get("comment", "")
    try:
        services.confirm_conformance(plan=plan, actor=request.user, comment=comment)
    except RuleViolation as refusal:
        return _render_refused_on_plan_page(request, plan, refusal, {"confirm_conformance": comment})
    messages.success(
        request, "Conformance confirmed: the plan conforms to the service management plan in force."
    )
    return redirect(plan)


def distribution_edit(request, pk):
    """P6: the people and roles who receive the plan when it is communicated."""
    plan = _visible_plan(request, pk)
    if request.method == "GET" and not permissions.can_set_distribution(request.user, plan):
        return _refusal(
            request,
            plan,
            "Only the plan's editors and its communication responsibility set the distribution list.",
            403,
        )
    form = DistributionForm(
        request.POST or None,
        initial={"users": plan.distribution_users.all(), "groups": plan.distribution_groups.all()},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.set_distribution(
                plan=plan,
                actor=request.user,
                users=list(form.cleaned_data["users"]),
                groups=list(form.cleaned_data["groups"]),
            )
        except RuleViolation as refusal:
            _add_rule_errors(form, refusal)
            status = refusal.status_code
        else:
            messages.success(request, "The distribution list is saved.")
            return redirect(plan)
    return render(request, "plans/distribution_form.html", {"plan": plan, "form": form}, status=status)


# -- one version ----------------------------------------------------------------


def _version_context(request, plan, version):
    user = request.user
    can_edit = permissions.can_edit_plan(user, plan)
    objectives = list(
        version.objectives.select_related("traces_to").prefetch_related(
            Prefetch("kpis", queryset=Kpi.objects.select_related("owner"))
        )
    )
    responsibilities = list(version.responsibilities.select_related("user"))
    version._prefetched_objects_cache = {"responsibilities": responsibilities}
    by_kind = [
        (kind, label, [r.user for r in responsibilities if r.kind == kind])
        for kind, label in Responsibility.Kind.choices
    ]
    acknowledgement = (
        Acknowledgement.objects.filter(version=version, user=user).first()
        if version.status == Status.COMMUNICATED
        else None
    )
    actions = _version_actions(user, plan, version, can_edit, acknowledgement)
    problems = services.submission_problems(version) if actions.submit else {}
    sections = [
        {"key": key, "title": title, "guidance": guidance, "text": version.section_text(key)}
        for key, title, guidance in plan.section_definitions
    ]
    return {
        "plan": plan,
        "version": version,
        "sections": sections,
        "objectives": objectives,
        "responsibilities": by_kind,
        "editable": can_edit and version.is_editable,
        "actions": actions,
        "checklist": _checklist(plan, problems) if actions.submit else None,
        "problem_count": sum(len(m) for m in problems.values()),
        "recipient_count": len(services.distribution_recipients(plan)) if actions.communicate else 0,
        "other_versions": PlanVersion.objects.visible_to(user)
        .filter(plan=plan)
        .exclude(pk=version.pk)
        .count(),
    }


def _checklist(plan, problems):
    """The submission checklist: each part of the plan, done or what is missing."""
    parts = [
        ("sections", "Every section is written"),
        ("objectives", "Objectives, each with a KPI" + ("" if plan.is_smp else " and traced to the SMP")),
        ("responsibilities", "The five responsibilities are named"),
    ]
    return [
        {"label": label, "done": key not in problems, "problems": problems.get(key, [])}
        for key, label in parts
    ]


def version_detail(request, pk, number):
    plan, version = _plan_and_version(request, pk, number)
    return render(request, "plans/version_detail.html", _version_context(request, plan, version))


TRANSITIONS = {
    "submit": (
        lambda v, u, c: services.submit_plan(version=v, actor=u, comment=c),
        "Version {n} is submitted for approval.",
    ),
    "approve": (
        lambda v, u, c: services.approve_plan(version=v, actor=u, comment=c),
        "Version {n} is approved. It can now be communicated.",
    ),
    "request-changes": (
        lambda v, u, c: services.request_changes(version=v, actor=u, comment=c),
        "Version {n} is back to draft with your comment.",
    ),
    "communicate": (
        lambda v, u, c: services.communicate_plan(version=v, actor=u, comment=c),
        "Version {n} is communicated; every recipient is asked to acknowledge it.",
    ),
    "acknowledge": (
        lambda v, u, c: services.acknowledge_plan(version=v, actor=u),
        "Thank you: you acknowledged version {n}.",
    ),
}


@require_POST
def version_transition(request, pk, number, transition):
    """P3, P6: submit, approve, request changes, communicate, acknowledge."""
    if transition not in TRANSITIONS:
        raise Http404("No such action.")
    plan, version = _plan_and_version(request, pk, number)
    perform, done = TRANSITIONS[transition]
    comment = request.POST.get("comment", "")
    back_to_version = request.POST.get("return_to") == "version"
    try:
        perform(version, request.user, comment)
    except RuleViolation as refusal:
        typed = {transition.replace("-", "_"): comment}
        if back_to_version:
            version.refresh_from_db()
            context = _version_context(request, plan, version)
            context["refusal"] = refusal
            _keep_typed(context, typed, [context["actions"]])
            return render(request, "plans/version_detail.html", context, status=refusal.status_code)
        return _render_refused_on_plan_page(request, plan, refusal, typed)
    messages.success(request, done.format(n=version.number))
    return redirect(version if back_to_version else plan)


# -- editing a draft ----------------------------------------------------------------


def section_edit(request, pk, number, section):
    """Section by section, with a preview; a save based on an older revision is
    refused and the typed text is kept next to the saved one."""
    plan, version = _plan_and_version(request, pk, number)
    definition = next((d for d in plan.section_definitions if d[0] == section), None)
    if definition is None:
        raise Http404("This plan has no such section.")
    _, title, guidance = definition
    context = {"plan": plan, "version": version, "section": section, "title": title}
    form_kwargs = {"section_title": title, "guidance": guidance}

    if request.method != "POST":
        refusal = _edit_refusal(request, plan, version)
        if refusal:
            return refusal
        form = SectionForm(
            initial={"text": version.section_text(section), "revision": version.revision}, **form_kwargs
        )
        return render(request, "plans/section_form.html", {**context, "form": form})

    form = SectionForm(request.POST, **form_kwargs)
    status = 200
    if form.is_valid():
        text = form.cleaned_data["text"]
        if "preview" in request.POST:
            context["preview"] = text
        else:
            try:
                services.update_draft(
                    version=version,
                    actor=request.user,
                    expected_revision=form.cleaned_data["revision"],
                    sections={section: text},
                )
            except Conflict as refusal:
                version.refresh_from_db()
                # Show what is saved now, and base the next save on it: the
                # user has seen it, so saving again is a deliberate choice.
                data = request.POST.copy()
                data["revision"] = version.revision
                form = SectionForm(data, **form_kwargs)
                form.is_valid()
                _add_rule_errors(form, refusal)
                context.update(saved_text=version.section_text(section), conflict=True)
                status = refusal.status_code
            except RuleViolation as refusal:
                _add_rule_errors(form, refusal)
                status = refusal.status_code
            else:
                messages.success(request, f"“{title}” is saved.")
                return redirect(f"{version.get_absolute_url()}#section-{section}")
    return render(request, "plans/section_form.html", {**context, "form": form}, status=status)


def responsibilities_edit(request, pk, number):
    """P2: review, approval, communication, implementation and updating."""
    plan, version = _plan_and_version(request, pk, number)
    current = list(version.responsibilities.all())
    if request.method != "POST":
        refusal = _edit_refusal(request, plan, version)
        if refusal:
            return refusal
        initial = {
            kind: [r.user_id for r in current if r.kind == kind] for kind, _ in Responsibility.Kind.choices
        }
        form = ResponsibilitiesForm(initial={**initial, "revision": version.revision})
    else:
        form = ResponsibilitiesForm(request.POST)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.set_responsibilities(
                version=version,
                actor=request.user,
                assignments=form.assignments(),
                expected_revision=form.cleaned_data["revision"],
            )
        except RuleViolation as refusal:
            _add_rule_errors(form, refusal)
            status = refusal.status_code
        else:
            messages.success(request, "The responsibilities are saved.")
            return redirect(f"{version.get_absolute_url()}#responsibilities")
    missing = [
        label for kind, label in Responsibility.Kind.choices if not any(r.kind == kind for r in current)
    ]
    return render(
        request,
        "plans/responsibilities_form.html",
        {
            "plan": plan,
            "version": version,
            "form": form,
            "missing": missing,
        },
        status=status,
    )


def objective_edit(request, pk, number, objective_id=None):
    """An objective; a process plan's objective traces to an SMP objective (P1)."""
    plan, version = _plan_and_version(request, pk, number)
    objective = get_object_or_404(version.objectives, pk=objective_id) if objective_id else None
    if request.method != "POST":
        refusal = _edit_refusal(request, plan, version)
        if refusal:
            return refusal
        initial = {"revision": version.revision}
        if objective:
            initial.update(
                code=objective.code,
                title=objective.title,
                description=objective.description,
                traces_to=objective.traces_to_id,
            )
        form = ObjectiveForm(initial=initial, version=version)
    else:
        form = ObjectiveForm(request.POST, version=version)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_objective(
                version=version,
                actor=request.user,
                objective=objective,
                code=data["code"],
                title=data["title"],
                description=data["description"],
                traces_to=data.get("traces_to"),
                expected_revision=data["revision"],
            )
        except RuleViolation as refusal:
            _add_rule_errors(form, refusal)
            status = refusal.status_code
        else:
            messages.success(
                request,
                f"Objective {saved.code} is saved." + ("" if objective else " Give it at least one KPI."),
            )
            return redirect(f"{version.get_absolute_url()}#objective-{saved.code}")
    return render(
        request,
        "plans/objective_form.html",
        {
            "plan": plan,
            "version": version,
            "form": form,
            "objective": objective,
        },
        status=status,
    )


def objective_delete(request, pk, number, objective_id):
    plan, version = _plan_and_version(request, pk, number)
    objective = get_object_or_404(version.objectives, pk=objective_id)
    if request.method != "POST":
        refusal = _edit_refusal(request, plan, version)
        if refusal:
            return refusal
        return render(
            request,
            "plans/confirm_delete.html",
            {
                "plan": plan,
                "version": version,
                "thing": f"objective {objective}",
                "consequence": "Its KPIs are removed with it.",
            },
        )
    try:
        services.delete_objective(objective=objective, actor=request.user)
    except RuleViolation as refusal:
        return render(
            request,
            "plans/confirm_delete.html",
            {
                "plan": plan,
                "version": version,
                "thing": f"objective {objective}",
                "refusal": refusal,
            },
            status=refusal.status_code,
        )
    messages.success(request, f"Objective {objective.code} is removed from version {version.number}.")
    return redirect(f"{version.get_absolute_url()}#objectives")


def kpi_edit(request, pk, number, objective_id=None, kpi_id=None):
    """D1: a KPI with metric, unit, direction, target, owner and frequency."""
    plan, version = _plan_and_version(request, pk, number)
    kpi = None
    if kpi_id:
        kpi = get_object_or_404(
            Kpi.objects.select_related("objective"), pk=kpi_id, objective__version=version
        )
        objective = kpi.objective
    else:
        objective = get_object_or_404(version.objectives, pk=objective_id)
    if request.method != "POST":
        refusal = _edit_refusal(request, plan, version)
        if refusal:
            return refusal
        initial = {"owner": request.user.pk, "revision": version.revision}
        if kpi:
            initial = {
                "revision": version.revision,
                "metric": kpi.metric,
                "unit": kpi.unit,
                "direction": kpi.direction,
                "target": kpi.target,
                "owner": kpi.owner_id,
                "frequency": kpi.frequency,
            }
        form = KpiForm(initial=initial)
    else:
        form = KpiForm(request.POST)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            services.save_kpi(
                objective=objective,
                actor=request.user,
                kpi=kpi,
                expected_revision=data.pop("revision"),
                **data,
            )
        except RuleViolation as refusal:
            _add_rule_errors(form, refusal)
            status = refusal.status_code
        else:
            messages.success(request, f"The KPI of objective {objective.code} is saved.")
            return redirect(f"{version.get_absolute_url()}#objective-{objective.code}")
    return render(
        request,
        "plans/kpi_form.html",
        {
            "plan": plan,
            "version": version,
            "form": form,
            "objective": objective,
            "kpi": kpi,
        },
        status=status,
    )


def kpi_delete(request, pk, number, kpi_id):
    plan, version = _plan_and_version(request, pk, number)
    kpi = get_object_or_404(Kpi.objects.select_related("objective"), pk=kpi_id, objective__version=version)
    thing = f"KPI “{kpi.metric}” of objective {kpi.objective.code}"
    if request.method != "POST":
        refusal = _edit_refusal(request, plan, version)
        if refusal:
            return refusal
        return render(
            request, "plans/confirm_delete.html", {"plan": plan, "version": version, "thing": thing}
        )
    try:
        services.delete_kpi(kpi=kpi, actor=request.user)
    except RuleViolation as refusal:
        return render(
            request,
            "plans/confirm_delete.html",
            {
                "plan": plan,
                "version": version,
                "thing": thing,
                "refusal": refusal,
            },
            status=refusal.status_code,
        )
    messages.success(request, f"The KPI is removed from objective {kpi.objective.code}.")
    return redirect(f"{version.get_absolute_url()}#objective-{kpi.objective.code}")


# -- comparing versions and the change history ----------------------------------------


def version_compare(request, pk):
    """P4: any two versions, section by section."""
    plan = _visible_plan(request, pk)
    versions = _visible_versions(request, plan)
    context = {"plan": plan, "versions": versions}
    if len(versions) < 2:
        return render(request, "plans/compare.html", context)
    by_number = {v.number: v for v in versions}
    defaults = {"a": versions[1].number, "b": versions[0].number}
    form = CompareForm({**defaults, **request.GET.dict()}, versions=versions)
    if form.is_valid():
        old, new = sorted(
            (by_number[form.cleaned_data["a"]], by_number[form.cleaned_data["b"]]), key=lambda v: v.number
        )
        diffs = compare_versions(old, new)
        context.update(old=old, new=new, diffs=diffs, changed_count=sum(d.changed for d in diffs))
    context["form"] = form
    return render(request, "plans/compare.html", context, status=200 if form.is_valid() else 400)


@dataclass
class HistoryEntry:
    at: datetime
    user: object
    subject: str
    kind: str
    changes: list


# Bookkeeping fields that change with every save and say nothing to a reader.
HISTORY_NOISE = {"revision", "edited_at", "last_editor"}
USER_FIELDS = {
    "author",
    "last_editor",
    "approved_by",
    "user",
    "owner",
    "created_by",
    "handed_over_by",
    "decided_by",
}


def _history_entries(plan):
    """Every historical record of the plan, its versions, objectives, KPIs and
    responsibilities, newest first, each with what changed since the record
    before it. A fixed number of queries, however long the history."""
    version_records = list(PlanVersion.history.filter(plan_id=plan.pk).select_related("history_user"))
    version_numbers = {r.id: r.number for r in version_records}
    objective_records = list(
        Objective.history.filter(version_id__in=list(version_numbers)).select_related("history_user")
    )
    objective_codes = {r.id: r.code for r in objective_records}
    kpi_records = list(
        Kpi.history.filter(objective_id__in=list(objective_codes)).select_related("history_user")
    )
    responsibility_records = list(
        Responsibility.history.filter(version_id__in=list(version_numbers)).select_related("history_user")
    )
    plan_records = list(Plan.history.filter(id=plan.pk).select_related("history_user"))
    milestone_records = list(Milestone.history.filter(plan_id=plan.pk).select_related("history_user"))
    handover_records = list(Handover.history.filter(plan_id=plan.pk).select_related("history_user"))

    user_ids = {
        getattr(r, f"{name}_id")
        for records in (version_records, kpi_records, responsibility_records, plan_records)
        for r in records
        for name in USER_FIELDS
        if getattr(r, f"{name}_id", None)
    }
    users = User.objects.in_bulk(user_ids)
    smp_version_ids = {r.conforms_to_id for r in (*plan_records, *version_records) if r.conforms_to_id}
    smp_versions = dict(PlanVersion.objects.filter(pk__in=smp_version_ids).values_list("pk", "number"))
    trace_ids = {r.traces_to_id for r in objective_records if r.traces_to_id}
    traced = dict(Objective.objects.filter(pk__in=trace_ids).values_list("pk", "code"))
    kind_labels = dict(Responsibility.Kind.choices)
    labels = {
        "conforms_to": lambda pk: f"SMP version {smp_versions[pk]}" if pk in smp_versions else f"#{pk}",
        "traces_to": lambda pk: f"SMP objective {traced[pk]}" if pk in traced else f"#{pk}",
        "objective": lambda pk: objective_codes.get(pk, f"#{pk}"),
        "version": lambda pk: f"version {version_numbers[pk]}" if pk in version_numbers else f"#{pk}",
        "status": lambda value: (
            Status(value).label
            if value in Status.values
            else Handover.Status(value).label
            if value in Handover.Status.values
            else value
        ),
        "implementation_status": lambda value: (
            Plan.ImplementationStatus(value).label if value in Plan.ImplementationStatus.values else value
        ),
        "kind": lambda value: kind_labels.get(value, value),
        "content_hash": lambda value: value[:12],
    }

    def describe(name, value):
        if value in (None, ""):
            return "—"
        if name in USER_FIELDS:
            return str(users.get(value, f"user #{value}"))
        if name in labels:
            return labels[name](value)
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "j M Y H:i")
        text = str(value)
        return text if len(text) <= 120 else text[:117] + "…"

    def changes(record, previous):
        if record.history_type == "+":
            return ["created"]
        if record.history_type == "-":
            return ["deleted"]
        if previous is None:
            return []
        lines = []
        for change in record.diff_against(previous, excluded_fields=HISTORY_NOISE).changes:
            name = change.field.removesuffix("_id") if change.field.endswith("_id") else change.field
            if name == "sections":
                old, new = change.old or {}, change.new or {}
                titles = {k: t for k, t, _ in plan.section_definitions}
                keys = [k for k in titles if old.get(k, "") != new.get(k, "")]
                lines.append("sections changed: " + ", ".join(titles[k] for k in keys))
            else:
                lines.append(
                    f"{name.replace('_', ' ')}: {describe(name, change.old)} → {describe(name, change.new)}"
                )
        return lines

    subjects = [
        (plan_records, lambda r: "Plan"),
        (version_records, lambda r: f"Version {r.number}"),
        (
            objective_records,
            lambda r: f"Objective {r.code} (version {version_numbers.get(r.version_id, '?')})",
        ),
        (kpi_records, lambda r: f"KPI “{r.metric}” of {objective_codes.get(r.objective_id, '?')}"),
        (milestone_records, lambda r: f"Milestone “{r.title}”"),
        (handover_records, lambda r: f"Handover of {date_format(r.handover_on, 'j M Y')}"),
        (
            responsibility_records,
            lambda r: (
                f"{kind_labels.get(r.kind, r.kind)} responsibility: "
                f"{describe('user', r.user_id)} "
                f"(version {version_numbers.get(r.version_id, '?')})"
            ),
        ),
    ]
    entries = []
    for records, subject in subjects:
        previous_of = {}
        for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
            previous = previous_of.get(record.id)
            lines = changes(record, previous)
            previous_of[record.id] = record
            if lines:
                entries.append(
                    HistoryEntry(
                        record.history_date,
                        _history_user(record, previous, users),
                        subject(record),
                        record.get_history_type_display(),
                        lines,
                    )
                )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _history_user(record, previous, users):
    """Who made the change. Changes made outside a browser request (API token,
    tasks, scripts) carry no history user; for an edit of a version's content
    the version's last editor is that person, since every edit sets it."""
    if record.history_user_id or not hasattr(record, "revision"):
        return record.history_user
    if record.history_type == "+" or (previous is not None and record.revision != previous.revision):
        return users.get(record.last_editor_id)
    return None


def plan_history(request, pk):
    """Who changed what, when: for managers, auditors and the other roles that read every plan."""
    plan = _visible_plan(request, pk)
    if not _may_view_history(request.user):
        return _refusal(
            request, plan, "The change history is open to managers, auditors and process owners.", 403
        )
    page = Paginator(_history_entries(plan), 50).get_page(request.GET.get("page"))
    return render(request, "plans/history.html", {"plan": plan, "page": page})


# -- processes ---------------------------------------------------------------


def process_list(request):
    """The processes of the SMS with their owners, deputies and plans."""
    processes = Process.objects.select_related("owner", "plan").prefetch_related("deputies").order_by("name")
    return render(
        request,
        "plans/process_list.html",
        {
            "processes": processes,
            "can_manage": request.user.has_perm("plans.change_process")
            and not permissions.is_read_only(request.user),
        },
    )


def process_edit(request, process_id=None):
    """Managers create a process or name its owner and deputies."""
    process = get_object_or_404(Process, pk=process_id) if process_id else None
    needed = "plans.add_process" if process is None else "plans.change_process"
    if not request.user.has_perm(needed) or permissions.is_read_only(request.user):
        messages.error(request, "Only managers create processes and name their owners.")
        return redirect("plans:processes")
    form = ProcessForm(request.POST or None, instance=process)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_process(
                actor=request.user,
                process=process,
                name=data["name"],
                description=data["description"],
                owner=data["owner"],
                deputies=list(data["deputies"]),
            )
        except RuleViolation as refusal:
            _add_rule_errors(form, refusal)
        else:
            messages.success(request, f"{saved} is owned by {saved.owner}.")
            return redirect("plans:processes")
    status = 400 if request.method == "POST" else 200
    return render(request, "plans/process_form.html", {"form": form, "process": process}, status=status)
