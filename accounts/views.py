from django.shortcuts import render

from . import permissions, selectors


def profile(request):
    return render(
        request,
        "accounts/profile.html",
        {
            "profile_user": request.user,
            "may_read_people_history": not permissions.people_history_refusal(request.user),
        },
    )


def people_history(request):
    """Who held which rights when, for auditors, administrators and managers."""
    refusal = permissions.people_history_refusal(request.user)
    if refusal:
        return render(request, "accounts/refused.html", {"message": refusal}, status=403)
    page = selectors.people_history(request.GET.get("page"))
    return render(request, "accounts/history.html", {"page": page})
