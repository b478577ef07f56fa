"""The report buttons a page shows (C7), for the user looking at it:
`{% report_links obj report="reviews.review" record="reviews.review" %}`
gives the document's PDF (a link to the stored copy, or a button that renders
it) and its audit trail (CSV, PDF), each only where the user may export it."""

from django import template
from django.urls import reverse

from pdca import reports

register = template.Library()


@register.inclusion_tag("reports/_links.html", takes_context=True)
def report_links(context, obj, report="", record="", small=False):
    user = context["request"].user
    links = {"csrf_token": context.get("csrf_token"), "small": small}
    if report:
        kind = reports.get_report(report)
        if not kind.refusal(user, obj):
            links["document"] = {
                "url": reverse("reports:document", args=[kind.name, obj.pk]),
                "render_url": reverse("reports:render", args=[kind.name, obj.pk]),
                "stored": reports.stored_copy(kind, obj) is not None,
                "issued": bool(kind.issued_state(obj)),
            }
    if record:
        kind = reports.get_record(record)
        if not kind.refusal(user, obj):
            links["trail"] = {
                "csv_url": reverse("reports:trail_csv", args=[kind.name, obj.pk]),
                "pdf_url": reverse("reports:render", args=[f"{kind.name}.trail", obj.pk]),
            }
    return links


@register.simple_tag(takes_context=True)
def may_export_trail(context, record, obj):
    """Whether the user may export `obj`'s audit trail (to show links in a list)."""
    return not reports.get_record(record).refusal(context["request"].user, obj)
