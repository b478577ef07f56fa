"""The rules of Do that pages, API and services ask alike (D2, D3)."""

from django.utils.translation import gettext as _

from plans.models import PlanVersion


def not_communicated_refusal(plan):
    """D2: only a communicated plan is put into practice."""
    version = plan.current_version
    if version is None or version.status != PlanVersion.Status.COMMUNICATED:
        return _("Only a communicated plan is put into practice: approve and communicate it first.")
    return ""
