from django.http import Http404


def register(request):
    raise Http404("The findings register is being built.")
