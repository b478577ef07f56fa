"""The task inbox page (/tasks/): everything that waits for the user, from every
app (`pdca.inbox`), filtered by kind, a page at a time."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from .inbox import inbox, kind_choices, remember_count

PAGE_SIZE = 25


def task_list(request):
    kind = request.GET.get("kind", "")
    if kind and kind not in dict(kind_choices()):
        messages.error(
            request, _("There is no kind of task “%(kind)s”: all your tasks are shown.") % {"kind": kind}
        )
        kind = ""
    found = inbox(request.user, kind)
    remember_count(request, found.total)
    page = Paginator(found.tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pdca/tasks.html",
        {
            "page": page,
            "inbox": found,
            "query": urlencode({"kind": kind}) if kind else "",
        },
    )
