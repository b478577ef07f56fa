from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import people, permissions, selectors
from .roles import reads_everything


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


def people_search(request):
    """The people who may hold a responsibility (`?for=`, by default anyone
    with a role) and whose name matches `?q=`, at most `people.SEARCH_LIMIT`,
    for the pickers' suggestions.
    E-mail addresses only for those who read everything (as in the API)."""
    responsibility = request.GET.get("for") or people.RECIPIENT
    if responsibility not in people.RESPONSIBILITIES:
        return JsonResponse(
            {
                "for": [
                    _("Say which responsibility: one of %(known)s.")
                    % {"known": ", ".join(people.RESPONSIBILITIES)}
                ]
            },
            status=400,
        )
    with_email = reads_everything(request.user)
    results = []
    for person in people.search(responsibility, request.GET.get("q", "")):
        result = {
            "id": person.pk,
            "label": people.label(person),
            "name": str(person),
            "username": person.username,
            "job_title": person.job_title,
        }
        if with_email:
            result["email"] = person.email
        results.append(result)
    return JsonResponse({"results": results})
