from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import dashboard as dashboard_selectors
from . import feeds
from .health import broker_status, database_status
from .inbox import remember_count
from .models import CalendarToken, Notification, NotificationPreference
from .notifications import notification_groups
from .reminders import last_run_status as reminders_status
from .verification import latest_status as records_status


@login_not_required
def favicon(request):
    return redirect(static("img/favicon.svg"), permanent=True)


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
    context = dashboard_selectors.for_user(request.user)
    remember_count(request, context["work"].task_total)  # the navigation shows the same count
    return render(request, "pdca/dashboard.html", context)


def notification_list(request):
    """The person's notifications, grouped by what they are about; those whose
    task is done stay, marked resolved."""
    page = notification_groups(request.user, request.GET.get("page"))
    return render(request, "pdca/notifications.html", {"page": page, "groups": page.groups})


@require_POST
def notification_open(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect(notification.url or "notifications")


@require_POST
def notifications_mark_read(request):
    count = request.user.notifications.unread().update(read_at=timezone.now())
    messages.success(
        request,
        ngettext("%(count)s notification marked as read.", "%(count)s notifications marked as read.", count)
        % {"count": count},
    )
    return redirect("notifications")


# -- the calendar feed (C5) ---------------------------------------------------------------


def calendar_feed_page(request):
    """Where a person subscribes to his or her calendar feed. The URL is shown
    once, when it is made: only its hash is kept."""
    url = ""
    if request.method == "POST":
        token = feeds.new_token(request.user)
        url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
        messages.success(request, _("Your calendar feed has a new address; the old one no longer works."))
    exists = CalendarToken.objects.filter(user=request.user).first()
    return render(
        request,
        "pdca/calendar_feed.html",
        {"feed_url": url, "token": exists, "events": feeds.events_for(request.user)[:20]},
    )


@login_not_required
@never_cache
def calendar_feed(request, token):
    """The feed itself (iCalendar): the token is its only credential."""
    user = feeds.user_for_token(token)
    if user is None:
        raise Http404("No such calendar feed.")
    body = feeds.calendar(feeds.events_for(user), name=f"{settings.SITE_NAME}: {user}")
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


def notification_settings(request):
    """How the person wants each kind of notification delivered (C5)."""
    kinds = Notification.Kind.choices
    current = {p.kind: p.delivery for p in NotificationPreference.objects.filter(user=request.user)}
    errors = {}
    if request.method == "POST":
        chosen = {kind: request.POST.get(kind) for kind, _label in kinds if request.POST.get(kind)}
        errors = {
            kind: _("Choose one of the ways offered.")
            for kind, delivery in chosen.items()
            if delivery not in NotificationPreference.Delivery.values
        }
        if not errors:
            for kind, delivery in chosen.items():
                NotificationPreference.objects.update_or_create(
                    user=request.user, kind=kind, defaults={"delivery": delivery}
                )
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notification_settings")
        messages.error(request, _("Nothing was saved: a choice was not one of the ways offered."))
    rows = [
        {
            "kind": kind,
            "label": label,
            "delivery": current.get(kind, NotificationPreference.Delivery.IMMEDIATE),
            "error": errors.get(kind, ""),
        }
        for kind, label in kinds
    ]
    return render(
        request,
        "pdca/notification_settings.html",
        {"rows": rows, "deliveries": NotificationPreference.Delivery.choices},
        status=400 if errors else 200,
    )
