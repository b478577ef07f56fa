"""Being built."""

from django.http import Http404


def project_list(request, *args, **kwargs):
    raise Http404


def project_edit(request, *args, **kwargs):
    raise Http404


def project_detail(request, *args, **kwargs):
    raise Http404


def project_approve(request, *args, **kwargs):
    raise Http404


def milestone_create(request, *args, **kwargs):
    raise Http404
