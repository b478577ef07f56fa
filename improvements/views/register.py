"""Being built."""

from django.http import Http404


def register(request, *args, **kwargs):
    raise Http404


def export_csv(request, *args, **kwargs):
    raise Http404


def export_xlsx(request, *args, **kwargs):
    raise Http404


def csi_principle(request, *args, **kwargs):
    raise Http404
