"""What every plan page shares: finding what the user may see (404 otherwise)
and the page that says why an action is refused."""

from django.shortcuts import get_object_or_404, render

from plans import permissions
from plans.models import ImmutableVersion, Plan, PlanVersion

PLANS_PER_PAGE = 25


def visible_plan(request, pk):
    return get_object_or_404(Plan.objects.visible_to(request.user).with_current(request.user), pk=pk)


def visible_versions(request, plan):
    """The versions of `plan` the user may read, newest first (staff: the communicated ones)."""
    return list(
        PlanVersion.objects.visible_to(request.user)
        .filter(plan=plan)
        .select_related("author", "approved_by", "conforms_to__plan")
        .prefetch_related("responsibilities__user")
        .order_by("-number")
    )


def plan_and_version(request, pk, number):
    plan = visible_plan(request, pk)
    version = get_object_or_404(
        PlanVersion.objects.visible_to(request.user).select_related(
            "author", "last_editor", "approved_by", "conforms_to__plan"
        ),
        plan=plan,
        number=number,
    )
    version.plan = plan
    return plan, version


def refused_page(request, plan, message, status, version=None):
    return render(
        request, "plans/refused.html", {"plan": plan, "version": version, "message": message}, status=status
    )


def edit_refusal_page(request, plan, version):
    """Refuse to show an edit form that the services would refuse to save.

    The refusal of a frozen version is the model's own message (P4)."""
    refusal = permissions.edit_refusal(request.user, plan)
    if refusal:
        return refused_page(
            request, plan, f"You can read this plan but not change it. {refusal}", 403, version
        )
    if not version.is_editable:
        refusal = ImmutableVersion(version)
        return refused_page(request, plan, refusal.message, refusal.status_code, version)
    return None
