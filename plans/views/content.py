"""Editing a draft, part by part: its sections (with a preview), the five
responsibilities (P2), objectives (P1) and KPIs (D1). Only a draft changes
(P4); a save based on an older revision is refused and what the user typed
is kept beside the saved text."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pdca.exceptions import Conflict
from pdca.pages import add_refusal_to_form, attempt
from plans import permissions, services
from plans.forms import KpiForm, ObjectiveForm, ResponsibilitiesForm, SectionForm
from plans.models import Kpi

from .common import edit_refusal_page, plan_and_version


def section_edit(request, pk, number, section):
    """Section by section, with a preview; a save based on an older revision is
    refused and the typed text is kept next to the saved one."""
    plan, version = plan_and_version(request, pk, number)
    definition = next((d for d in plan.section_definitions if d[0] == section), None)
    if definition is None:
        raise Http404("This plan has no such section.")
    title, guidance = definition[1:]
    context = {"plan": plan, "version": version, "section": section, "title": title}
    form_kwargs = {"section_title": title, "guidance": guidance}

    if request.method != "POST":
        refusal = edit_refusal_page(request, plan, version)
        if refusal:
            return refusal
        form = SectionForm(
            initial={"text": version.section_text(section), "revision": version.revision}, **form_kwargs
        )
        return render(request, "plans/section_form.html", {**context, "form": form})

    form = SectionForm(request.POST, **form_kwargs)
    outcome = attempt(form)
    if outcome.allows(permissions.edit_refusal(request.user, plan)) and form.is_valid():
        text = form.cleaned_data["text"]
        if "preview" in request.POST:
            context["preview"] = text
        else:
            with outcome:
                services.update_draft(
                    version=version,
                    actor=request.user,
                    expected_revision=form.cleaned_data["revision"],
                    sections={section: text},
                )
                messages.success(request, _("“%(title)s” is saved.") % {"title": title})
                return redirect(f"{version.get_absolute_url()}#section-{section}")
            if isinstance(outcome.refusal, Conflict):
                version.refresh_from_db()
                # Show what is saved now, and base the next save on it: the
                # user has seen it, so saving again is a deliberate choice.
                data = request.POST.copy()
                data["revision"] = version.revision
                form = SectionForm(data, **form_kwargs)
                form.is_valid()
                add_refusal_to_form(form, outcome.refusal)
                context.update(saved_text=version.section_text(section), conflict=True)
    return render(request, "plans/section_form.html", {**context, "form": form}, status=outcome.status)


def responsibilities_edit(request, pk, number):
    """P2: review, approval, communication, implementation and updating."""
    plan, version = plan_and_version(request, pk, number)
    current = list(version.responsibilities.all())
    if request.method != "POST":
        refusal = edit_refusal_page(request, plan, version)
        if refusal:
            return refusal
        initial = {
            kind: [r.user_id for r in current if r.kind == kind] for kind, _ in plan.responsibility_kinds
        }
        form = ResponsibilitiesForm(
            plan=plan,
            initial={
                **initial,
                "revision": version.revision,
                "reviewer_may_approve": version.reviewer_may_approve,
            },
        )
    else:
        form = ResponsibilitiesForm(request.POST, plan=plan)
    outcome = attempt(form)
    may_edit = request.method == "POST" and outcome.allows(permissions.edit_refusal(request.user, plan))
    if may_edit and form.is_valid():
        with outcome:
            services.set_responsibilities(
                version=version,
                actor=request.user,
                assignments=form.assignments(),
                expected_revision=form.cleaned_data["revision"],
                reviewer_may_approve=form.cleaned_data["reviewer_may_approve"],
            )
            messages.success(request, _("The responsibilities are saved."))
            return redirect(f"{version.get_absolute_url()}#responsibilities")
    missing = [label for kind, label in plan.responsibility_kinds if not any(r.kind == kind for r in current)]
    return render(
        request,
        "plans/responsibilities_form.html",
        {
            "plan": plan,
            "version": version,
            "form": form,
            "missing": missing,
        },
        status=outcome.status,
    )


def objective_edit(request, pk, number, objective_id=None):
    """An objective; a process plan's objective traces to an SMP objective (P1)."""
    plan, version = plan_and_version(request, pk, number)
    objective = get_object_or_404(version.objectives, pk=objective_id) if objective_id else None
    if request.method != "POST":
        refusal = edit_refusal_page(request, plan, version)
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
    outcome = attempt(form)
    may_edit = request.method == "POST" and outcome.allows(permissions.edit_refusal(request.user, plan))
    if may_edit and form.is_valid():
        data = form.cleaned_data
        with outcome:
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
            messages.success(
                request,
                (
                    _("Objective %(code)s is saved.")
                    if objective
                    else _("Objective %(code)s is saved. Give it at least one KPI.")
                )
                % {"code": saved.code},
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
        status=outcome.status,
    )


def objective_delete(request, pk, number, objective_id):
    plan, version = plan_and_version(request, pk, number)
    objective = get_object_or_404(version.objectives, pk=objective_id)
    if request.method != "POST":
        refusal = edit_refusal_page(request, plan, version)
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
    with attempt() as outcome:
        services.delete_objective(objective=objective, actor=request.user)
        messages.success(
            request,
            _("Objective %(code)s is removed from version %(number)s.")
            % {"code": objective.code, "number": version.number},
        )
        return redirect(f"{version.get_absolute_url()}#objectives")
    return render(
        request,
        "plans/confirm_delete.html",
        {"plan": plan, "version": version, "thing": f"objective {objective}", "refusal": outcome.refusal},
        status=outcome.status,
    )


def kpi_edit(request, pk, number, objective_id=None, kpi_id=None):
    """D1: a KPI with metric, unit, direction, target, owner and frequency."""
    plan, version = plan_and_version(request, pk, number)
    kpi = None
    if kpi_id:
        kpi = get_object_or_404(
            Kpi.objects.select_related("objective"), pk=kpi_id, objective__version=version
        )
        objective = kpi.objective
    else:
        objective = get_object_or_404(version.objectives, pk=objective_id)
    if request.method != "POST":
        refusal = edit_refusal_page(request, plan, version)
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
    outcome = attempt(form)
    may_edit = request.method == "POST" and outcome.allows(permissions.edit_refusal(request.user, plan))
    if may_edit and form.is_valid():
        with outcome:
            data = dict(form.cleaned_data)
            services.save_kpi(
                objective=objective,
                actor=request.user,
                kpi=kpi,
                expected_revision=data.pop("revision"),
                **data,
            )
            messages.success(request, _("The KPI of objective %(code)s is saved.") % {"code": objective.code})
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
        status=outcome.status,
    )


def kpi_delete(request, pk, number, kpi_id):
    plan, version = plan_and_version(request, pk, number)
    kpi = get_object_or_404(Kpi.objects.select_related("objective"), pk=kpi_id, objective__version=version)
    thing = f"KPI “{kpi.metric}” of objective {kpi.objective.code}"
    if request.method != "POST":
        refusal = edit_refusal_page(request, plan, version)
        if refusal:
            return refusal
        return render(
            request, "plans/confirm_delete.html", {"plan": plan, "version": version, "thing": thing}
        )
    with attempt() as outcome:
        services.delete_kpi(kpi=kpi, actor=request.user)
        messages.success(
            request, _("The KPI is removed from objective %(code)s.") % {"code": kpi.objective.code}
        )
        return redirect(f"{version.get_absolute_url()}#objective-{kpi.objective.code}")
    return render(
        request,
        "plans/confirm_delete.html",
        {"plan": plan, "version": version, "thing": thing, "refusal": outcome.refusal},
        status=outcome.status,
    )
