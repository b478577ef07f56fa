from django.http import Http404


def schedule_edit(request, *args, **kwargs):
    raise Http404
