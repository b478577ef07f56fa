"""The processes of the SMS: managers create them and name their owners and
deputies; the object permissions on their plans follow."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pdca.pages import attempt
from plans import permissions, services
from plans.forms import ProcessForm
from plans.models import Plan, Process

from .common import PLANS_PER_PAGE


def process_list(request):
    """The processes of the SMS with their owners, deputies and plans, a page
    at a time, searchable by the process's or the owner's name."""
    processes = Process.objects.select_related("owner", "plan").prefetch_related("deputies").order_by("name")
    search = request.GET.get("q", "").strip()
    for word in search.split()[:10]:
        processes = processes.filter(
            Q(name__icontains=word)
            | Q(owner__first_name__icontains=word)
            | Q(owner__last_name__icontains=word)
            | Q(owner__username__icontains=word)
        )
    page = Paginator(processes, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    # A plan the reader may not read is neither named nor linked (staff read only communicated plans).
    plans = [process.plan.pk for process in page.object_list if getattr(process, "plan", None)]
    readable = set(Plan.objects.visible_to(request.user).filter(pk__in=plans).values_list("pk", flat=True))
    for process in page.object_list:
        plan = getattr(process, "plan", None)
        process.readable_plan = plan if plan is not None and plan.pk in readable else None
        process.has_plan = plan is not None
    return render(
        request,
        "plans/process_list.html",
        {
            "page": page,
            "search": search,
            "query": urlencode({"q": search}) if search else "",
            "can_manage": not permissions.manage_processes_refusal(request.user),
        },
    )


def process_edit(request, process_id=None):
    """Managers create a process or name its owner and deputies."""
    process = get_object_or_404(Process, pk=process_id) if process_id else None
    refusal = permissions.manage_processes_refusal(request.user, creating=process is None)
    if refusal:
        messages.error(request, refusal)
        return redirect("plans:processes")
    form = ProcessForm(request.POST or None, instance=process)
    outcome = attempt(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with outcome:
            saved = services.save_process(
                actor=request.user,
                process=process,
                name=data["name"],
                description=data["description"],
                owner=data["owner"],
                deputies=list(data["deputies"]),
            )
            messages.success(
                request, _("%(process)s is owned by %(owner)s.") % {"process": saved, "owner": saved.owner}
            )
            return redirect("plans:processes")
    status = 400 if request.method == "POST" else 200
    return render(request, "plans/process_form.html", {"form": form, "process": process}, status=status)
