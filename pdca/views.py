from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import dashboard as dashboard_selectors
from .health import broker_status, database_status
from .models import Notification
from .reminders import last_run_status as reminders_status
from .verification import latest_status as records_status


@login_not_required
@never_cache
def healthz(request):
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(check["status"] == "up" for check in checks.values())
    body = {"status": "up" if healthy else "down", **checks}
    if checks["database"]["status"] == "up":
        # Evidence that does not match its hash needs people, not a restart:
        # the portal stays in service (200) and says so.
        body["records"] = records_status()
        if healthy and body["records"]["status"] == "mismatch":
            body["status"] = "degraded"
        # C5: a daily reminder run that did not happen is a failure to fix now.
        body["reminders"] = reminders_status()
        if body["reminders"]["status"] == "late":
            healthy = False
            body["status"] = "down"
    return JsonResponse(body, status=200 if healthy else 503)


def dashboard(request):
    return render(request, "pdca/dashboard.html", dashboard_selectors.for_user(request.user))


def notification_list(request):
    notifications = request.user.notifications.all()
    page = Paginator(notifications, 25).get_page(request.GET.get("page"))
    return render(request, "pdca/notifications.html", {"page": page})


@require_POST
def notification_open(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect(notification.url or "notifications")


@require_POST
def notifications_mark_read(request):
    count = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"{count} notification(s) marked as read.")
    return redirect("notifications")
