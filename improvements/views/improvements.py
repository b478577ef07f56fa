"""Being built."""

from django.http import Http404


def propose(request, *args, **kwargs):
    raise Http404


def promote(request, *args, **kwargs):
    raise Http404


def detail(request, *args, **kwargs):
    raise Http404


def edit(request, *args, **kwargs):
    raise Http404


def baseline(request, *args, **kwargs):
    raise Http404


def nonconformity(request, *args, **kwargs):
    raise Http404


def result(request, *args, **kwargs):
    raise Http404


def evaluate(request, *args, **kwargs):
    raise Http404


def transition_view(request, *args, **kwargs):
    raise Http404
