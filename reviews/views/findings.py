"""The findings register (C6): every finding the user may read, with the
counts by grade and by process, filtered, sorted and paginated. A fixed
number of queries, however many findings (`reviews.selectors`)."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from plans.models import Process

from .. import selectors
from ..api.filters import FindingFilter

FINDINGS_PER_PAGE = 25

# The columns the register sorts by (`selectors.REGISTER_SORTS`).
SORTABLE = ("grade", "clause", "process", "review", "raised", "status")


def _query(params, **changes):
    """The query string of `params` with `changes` (None removes a name)."""
    query = params.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    for name in [name for name, values in query.lists() if not any(values)]:
        del query[name]  # the empty fields of a submitted filter form
    return query.urlencode()


def register(request):
    """C6: the findings of every review the user may read (staff: of the
    approved reviews of the plans they read), with the counts by grade and by
    process under the same filters; each count links to its list."""
    params = request.GET.copy()
    params.pop("page", None)
    findings = selectors.findings_register(request.user, params, sort=params.get("sort"))
    counts = selectors.finding_counts(request.user, params)
    paginator = Paginator(findings.findings, FINDINGS_PER_PAGE)
    paginator.count = counts.total  # counted with the grades: not counted again
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(finding, selectors.age_in_days(finding, today)) for finding in page]
    form = findings.filter.form
    # The process filter offers the processes the register holds under the
    # other filters (those counted: one query by their ids), and the one chosen;
    # not every process the user may read, a thousand at scale.
    offered = [count.value for count in counts.processes if count.value != "null"]
    chosen = params.get("process", "")
    form.fields["process"].queryset = Process.objects.filter(
        pk__in=offered + ([chosen] if chosen.isdigit() else [])
    ).order_by("name")
    filtered = any(params.get(name) for name in FindingFilter.PAGE_FILTERS)

    def sort_link(key):
        # The first click sorts ascending (the oldest first for "raised"), the next reverses it.
        next_sort = f"-{key}" if findings.sort == key else key
        return {
            "key": key,
            "url": "?" + _query(params, sort=next_sort),
            "direction": "ascending"
            if findings.sort == key
            else "descending"
            if findings.sort == f"-{key}"
            else "",
        }

    return render(
        request,
        "reviews/findings.html",
        {
            "rows": rows,
            "page": page,
            "query": _query(params),
            "filter_fields": [form[name] for name in FindingFilter.PAGE_FILTERS],
            "filtered": filtered,
            "sort": {key: sort_link(key) for key in SORTABLE},
            "grade_counts": [
                (count, "?" + _query(params, grade=count.value, page=None)) for count in counts.grades
            ],
            "process_counts": [
                (count, "?" + _query(params, process=count.value, page=None)) for count in counts.processes
            ],
            "current_sort": findings.sort,
            "default_sort": selectors.DEFAULT_REGISTER_SORT,
            "current_grade": params.get("grade", ""),
            "current_process": params.get("process", ""),
            "total": page.paginator.count,
        },
    )
