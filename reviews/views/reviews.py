from django.http import Http404


def review_create(request, *args, **kwargs):
    raise Http404


def approval_queue(request, *args, **kwargs):
    raise Http404


def review_detail(request, *args, **kwargs):
    raise Http404


def review_edit(request, *args, **kwargs):
    raise Http404


def inputs_edit(request, *args, **kwargs):
    raise Http404


def attainment_edit(request, *args, **kwargs):
    raise Http404


def finding_edit(request, *args, **kwargs):
    raise Http404


def finding_delete(request, *args, **kwargs):
    raise Http404


def action_edit(request, *args, **kwargs):
    raise Http404


def action_delete(request, *args, **kwargs):
    raise Http404


def action_done(request, *args, **kwargs):
    raise Http404


def addendum_create(request, *args, **kwargs):
    raise Http404


def review_transition(request, *args, **kwargs):
    raise Http404
