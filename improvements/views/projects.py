"""Projects (A3) in the browser: an improvement that spans processes, or a
company-wide one, is carried out as one or more projects, with a project
manager, milestones and a manager's approval."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pdca.decisions import timeline
from pdca.pages import attempt

from .. import permissions, selectors, services
from ..forms import MilestoneForm, ProjectForm
from ..models import Improvement, ProjectMilestone

PER_PAGE = 25


def visible_project(request, pk):
    project = selectors.project_with_parts(request.user, pk)
    if project is None:
        raise Http404
    return project


def _refused(request, project, message, status=403):
    return render(
        request, "improvements/project_refused.html", {"project": project, "message": message}, status=status
    )


def project_list(request):
    """A3: the projects the user may see, with their improvements and milestones."""
    page = Paginator(selectors.project_list(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "improvements/project_list.html",
        {"page": page, "may_create": not permissions.project_refusal(request.user)},
    )


def project_context(request, project, **extra):
    today = timezone.localdate()
    milestones = list(project.milestones.all())
    for milestone in milestones:
        milestone.overdue = milestone.done_on is None and milestone.due_on < today
    context = {
        "project": project,
        "actions": permissions.project_actions(request.user, project),
        "improvements": list(project.improvements.all()),
        "milestones": milestones,
        "milestone_form": MilestoneForm(),
        "decisions": list(timeline(project)),
        "today": today,
        "typed": {},
    }
    context.update(extra)
    return context


def project_detail(request, pk):
    project = visible_project(request, pk)
    return render(request, "improvements/project_detail.html", project_context(request, project))


def _candidates(request, project=None):
    """The improvements a project may carry: the open ones the user may see (and those it carries)."""
    wanted = Q(status__in=Improvement.OPEN_STATES)
    if project is not None:
        wanted |= Q(projects=project)
    visible = Improvement.objects.visible_to(request.user).filter(wanted).values("pk")
    return Improvement.objects.filter(pk__in=visible).order_by("-number")


def project_edit(request, pk=None):
    """A3: set up a project, or change one: CSI owners and managers, and its project manager."""
    project = visible_project(request, pk) if pk is not None else None
    refusal = permissions.project_refusal(request.user, project)
    if request.method != "POST" and refusal:
        return _refused(request, project, refusal)
    initial = {"starts_on": timezone.localdate()}
    if project is not None:
        initial = {
            "name": project.name,
            "manager": project.manager_id,
            "starts_on": project.starts_on,
            "ends_on": project.ends_on,
            "description": project.description,
            "improvements": [i.pk for i in Improvement.objects.filter(projects=project)],
        }
    elif request.GET.get("improvement", "").isdigit():
        carried = Improvement.objects.filter(number=int(request.GET["improvement"])).first()
        if carried is not None:
            initial.update(improvements=[carried.pk], name=carried.title[:200])
    form = ProjectForm(request.POST or None, initial=initial, improvements=_candidates(request, project))
    outcome = attempt(form)
    if request.method == "POST" and outcome.allows(refusal) and form.is_valid():
        data = form.cleaned_data
        with outcome:
            saved = services.save_project(
                actor=request.user,
                project=project,
                name=data["name"],
                manager=data["manager"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                description=data["description"],
                improvements=list(data["improvements"]),
            )
            messages.success(
                request,
                _("The project “%(project)s” is saved.") % {"project": saved}
                + ("" if project else " " + _("A manager approves it.")),
            )
            return redirect(saved)
    return render(
        request,
        "improvements/project_form.html",
        {"form": form, "project": project},
        status=outcome.status if outcome.refused else (400 if form.errors else 200),
    )


@require_POST
def project_approve(request, pk):
    """A3: a manager (who neither manages nor set up the project) approves it."""
    project = visible_project(request, pk)
    comment = request.POST.get("comment", "")
    with attempt() as outcome:
        services.approve_project(project=project, actor=request.user, comment=comment)
        messages.success(request, _("The project is approved and running. Its manager is told."))
        return redirect(project)
    project = visible_project(request, pk)
    context = project_context(request, project, refusal=outcome.refusal, typed={"approve": comment})
    return render(request, "improvements/project_detail.html", context, status=outcome.status)


@require_POST
def milestone_create(request, pk):
    """A3: a milestone of the project, or (with `milestone`) the date one was done."""
    project = visible_project(request, pk)
    milestone = None
    if request.POST.get("milestone", "").isdigit():
        milestone = get_object_or_404(ProjectMilestone, project=project, pk=int(request.POST["milestone"]))
    data = request.POST.copy()
    if milestone is not None:
        data.setdefault("title", milestone.title)
        data.setdefault("due_on", milestone.due_on.isoformat())
        data.setdefault("done_on", timezone.localdate().isoformat())
    form = MilestoneForm(data)
    outcome = attempt(form)
    if outcome.allows(permissions.project_refusal(request.user, project)) and form.is_valid():
        with outcome:
            services.save_project_milestone(
                project=project, actor=request.user, milestone=milestone, **form.cleaned_data
            )
            if milestone is not None:
                messages.success(
                    request, _("The milestone “%(title)s” is done.") % {"title": milestone.title}
                )
            else:
                messages.success(request, _("The milestone is added."))
            return redirect(f"{project.get_absolute_url()}#milestones")
    project = visible_project(request, pk)
    context = project_context(request, project, refusal=outcome.refusal)
    if milestone is None:
        context["milestone_form"] = form
    return render(
        request,
        "improvements/project_detail.html",
        context,
        status=outcome.status if outcome.refused else 400,
    )
