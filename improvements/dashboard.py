"""Act's dashboard panels: for CSI owners, the overdue improvements and those
found not effective. What waits for a person's decision or work is his or her
task (`improvements.inbox`). Every panel is a bounded query (a count and the
first few), so the dashboard's query count stays fixed."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions, selectors
from .models import Improvement

PANEL_SIZE = 5
Status = Improvement.Status


def _register(**filters):
    return (
        f"{reverse('improvements:register')}?{urlencode(filters)}"
        if filters
        else reverse("improvements:register")
    )


def _item(improvement, today, meta=""):
    overdue = improvement.is_overdue(today)
    return {
        "label": f"{improvement.code} {improvement.title}",
        "url": improvement.get_absolute_url(),
        "meta": meta
        or (
            _("required by %(date)s") % {"date": f"{improvement.required_by:%d %b %Y}"}
            if improvement.required_by
            else improvement.get_scope_display()
        ),
        "badge": "overdue" if overdue else improvement.status,
        "badge_label": _("Overdue") if overdue else improvement.get_status_display(),
    }


def _panel(title, queryset, today, *, more_url, order=("required_by", "number"), meta=None):
    count = queryset.count()
    if not count:
        return None, 0
    items = [
        _item(i, today, meta(i) if meta else "")
        for i in queryset.select_related("owner").order_by(*order)[:PANEL_SIZE]
    ]
    return {
        "title": title,
        "items": items,
        "count": count,
        "empty": "",
        "more_url": more_url if count > PANEL_SIZE else "",
    }, count


def contribute(user, context):
    panels, stats = context["panels"], context.setdefault("stats", [])
    today = timezone.localdate()

    if permissions.is_csi_owner(user):
        panel, count = _panel(
            _("Overdue improvements"),
            selectors.overdue(today=today),
            today,
            more_url=_register(overdue="true"),
        )
        if panel:
            panels.append(panel)
            stats.append(
                {
                    "value": count,
                    "label": _("improvements overdue"),
                    "url": _register(overdue="true"),
                    "tone": "danger",
                }
            )
        panel, _count = _panel(
            _("Improvements found not effective"),
            selectors.not_effective(),
            today,
            more_url=_register(status=Status.IN_IMPLEMENTATION),
            meta=lambda i: _("reopened, owner %(owner)s") % {"owner": i.owner or "—"},
        )
        if panel:
            panels.append(panel)
