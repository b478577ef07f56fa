"""Accessibility, in a real browser: axe-core (shipped by the
axe-playwright-python package, no network) finds no serious or critical
violation (contrast, labels, landmarks, duplicate ids, ...) on the main pages
of the demo, read by a manager and by a process owner, on a desktop screen and
on a 390-pixel-wide phone, where no page is wider than the screen."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from accounts.models import User
from pdca.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def main_pages():
    """The pages of the whole cycle, on the demo's records (the phases by
    name: pdca imports no phase app)."""
    Plan, Review, Improvement = (
        apps.get_model(*name.split("."))
        for name in ("plans.Plan", "reviews.Review", "improvements.Improvement")
    )
    plan = (
        Plan.objects.filter(process__isnull=False)
        .annotate(versions_count=Count("versions"))
        .filter(versions_count__gte=2)
        .order_by("pk")
        .first()
    )
    return {
        "dashboard": reverse("dashboard"),
        "plans": reverse("plans:list"),
        "plan": plan.get_absolute_url(),
        "version": reverse("plans:version", args=[plan.pk, 1]),
        "compare": reverse("plans:compare", args=[plan.pk]) + "?a=1&b=2",
        "reviews calendar": reverse("reviews:calendar"),
        "review": Review.objects.order_by("pk").first().get_absolute_url(),
        "improvement register": reverse("improvements:register"),
        "improvement": Improvement.objects.order_by("pk").first().get_absolute_url(),
        "notifications": reverse("notifications"),
    }


def serious_violations(axe, page):
    found = axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes'][:3]]}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def test_main_pages_have_no_serious_accessibility_violation(page, live_server, login_in_browser):
    call_command("seed_demo", quiet=True)
    pages = main_pages()
    axe = Axe()
    problems = {}
    for username in ("manager", "owner"):
        page.context.clear_cookies()
        page.set_viewport_size({"width": 1280, "height": 900})
        login_in_browser(User.objects.get(username=username), password=DEMO_PASSWORD)
        for name, url in pages.items():
            response = page.goto(live_server.url + url)
            assert response.status == 200, (username, name, url)
            if found := serious_violations(axe, page):
                problems[f"{username}: {name} ({url})"] = found
        # On a phone the same pages stay usable: nothing wider than the screen.
        page.set_viewport_size({"width": 390, "height": 844})
        for name, url in pages.items():
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                problems[f"{username}: {name} at 390 px"] = [f"the page is {width} px wide"]
            if found := serious_violations(axe, page):
                problems[f"{username}: {name} at 390 px"] = found
    assert problems == {}
