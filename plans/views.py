"""Placeholder views, replaced by the browser interface."""
from django.http import HttpResponse

def plan_list(request, *args, **kwargs):
    return HttpResponse('plan_list')


def approval_queue(request, *args, **kwargs):
    return HttpResponse('approval_queue')


def plan_create(request, *args, **kwargs):
    return HttpResponse('plan_create')


def plan_detail(request, *args, **kwargs):
    return HttpResponse('plan_detail')


def plan_history(request, *args, **kwargs):
    return HttpResponse('plan_history')


def distribution_edit(request, *args, **kwargs):
    return HttpResponse('distribution_edit')


def plan_revise(request, *args, **kwargs):
    return HttpResponse('plan_revise')


def confirm_conformance(request, *args, **kwargs):
    return HttpResponse('confirm_conformance')


def version_compare(request, *args, **kwargs):
    return HttpResponse('version_compare')


def version_detail(request, *args, **kwargs):
    return HttpResponse('version_detail')


def section_edit(request, *args, **kwargs):
    return HttpResponse('section_edit')


def responsibilities_edit(request, *args, **kwargs):
    return HttpResponse('responsibilities_edit')


def objective_edit(request, *args, **kwargs):
    return HttpResponse('objective_edit')


def objective_delete(request, *args, **kwargs):
    return HttpResponse('objective_delete')


def kpi_edit(request, *args, **kwargs):
    return HttpResponse('kpi_edit')


def kpi_delete(request, *args, **kwargs):
    return HttpResponse('kpi_delete')


def version_transition(request, *args, **kwargs):
    return HttpResponse('version_transition')


def implementation_overview(request, *args, **kwargs):
    return HttpResponse('implementation_overview')


