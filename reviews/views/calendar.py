from django.http import Http404


def calendar(request, *args, **kwargs):
    raise Http404
