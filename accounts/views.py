from django.shortcuts import render


def profile(request):
    return render(request, "accounts/profile.html", {"profile_user": request.user})
