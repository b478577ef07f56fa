"""Comparing two versions (P4) and the change history of a plan, for the
readers the history is open to."""

from django.core.paginator import Paginator
from django.shortcuts import render

from plans import permissions, selectors
from plans.diff import compare_versions
from plans.forms import CompareForm

from .common import refused_page, visible_plan, visible_versions


def version_compare(request, pk):
    """P4: any two versions, part by part, as rendered text with the changed
    words marked (`plans.diff`)."""
    plan = visible_plan(request, pk)
    versions = visible_versions(request, plan)
    # Side by side (the default) or inline: a link, so that it works without JavaScript.
    view = "inline" if request.GET.get("view") == "inline" else "side"
    context = {"plan": plan, "versions": versions, "view": view}
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


def plan_history(request, pk):
    """Who changed what, when: for managers, auditors and the other roles that read every plan."""
    plan = visible_plan(request, pk)
    refusal = permissions.history_refusal(request.user)
    if refusal:
        return refused_page(request, plan, refusal, 403)
    page = Paginator(selectors.plan_history(plan), 50).get_page(request.GET.get("page"))
    # Each version links to its comparison with the version before it, as do
    # the entries that belong to a version.
    versions = visible_versions(request, plan)
    return render(request, "plans/history.html", {"plan": plan, "page": page, "versions": versions})
