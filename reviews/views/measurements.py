from django.http import Http404


def kpi_detail(request, kpi_id):
    raise Http404("KPI pages are being built.")


def bulk_entry(request, plan_id):
    raise Http404("Bulk entry is being built.")


def csv_import(request, plan_id):
    raise Http404("CSV import is being built.")
