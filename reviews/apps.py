from django.apps import AppConfig
from django.db.models.signals import m2m_changed
from django.utils.translation import gettext_lazy as _


def _create_schedule(sender, version, actor, **kwargs):
    from .services import create_schedule_on_first_communication

    create_schedule_on_first_communication(version=version, actor=actor)


def _store_report(sender, review, **kwargs):
    """C7: the approved review's PDF is rendered and stored once, after commit."""
    from pdca.reports import store_after_commit

    store_after_commit("reviews.review", review.pk)


def _refuse_m2m_change_of_frozen_review(sender, instance, action, reverse, **kwargs):
    """Who took part in a review, and which processes it covers, are part of
    its content: they do not change once it is submitted."""
    from pdca.controlled import ImmutableRecord

    from .models import Review

    if action not in {"pre_add", "pre_remove", "pre_clear"} or reverse:
        return
    if isinstance(instance, Review) and instance.pk and not Review.objects.get(pk=instance.pk).is_editable:
        raise ImmutableRecord(instance)


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Check")

    def ready(self):
        from pdca import registry
        from pdca.controlled import protect_from_deletion
        from plans.signals import version_communicated

        from . import api, dashboard, demo, panels, reminders, reports
        from .models import Attainment, Finding, Review, ReviewAction, ReviewInput
        from .signals import review_approved

        for model in (Review, ReviewInput, Attainment, Finding, ReviewAction):
            protect_from_deletion(model)
        registry.register_controlled_document(Review)
        for through in (Review.participants.through, Review.processes.through):
            m2m_changed.connect(
                _refuse_m2m_change_of_frozen_review,
                sender=through,
                dispatch_uid=f"reviews.frozen.{through.__name__}",
            )
        version_communicated.connect(_create_schedule, dispatch_uid="reviews.schedule_on_communication")

        registry.register_decision_labels(
            {
                "plan_review": _("planned the review"),
                "start_review": _("started the review"),
                "submit_review": _("submitted the review"),
                "return_review": _("returned the review"),
                "complete_action": _("completed an action"),
                "add_addendum": _("added an addendum"),
                "record_measurements": _("recorded measurements"),
            }
        )
        registry.register_navigation(
            phase="check", label=_("Check"), url_name="reviews:calendar", namespaces=["reviews"]
        )
        registry.register_urls("reviews/", "reviews.urls")
        registry.register_api_routes(api.register)
        registry.register_dashboard_panel(dashboard.contribute, order=30)
        from . import inbox

        inbox.register(registry)  # Check's kinds of task for the inbox
        registry.register_dashboard_panel(dashboard.contribute_reminders, order=90)
        registry.register_page_panel("plans.plan_detail", panels.plan_review_panel, order=10)
        registry.register_list_badges("plans.plan_list", panels.plan_list_badges)
        registry.register_reminder_source("reviews.schedules", reminders.ScheduleReminders())
        registry.register_reminder_source("reviews.actions", reminders.ActionReminders())
        registry.register_calendar_source(reminders.calendar_events)
        registry.register_demo_seeder(demo.seed, order=30)
        # C7: the review report, the audit trails, and the reports on the dashboard.
        reports.register()
        review_approved.connect(_store_report, dispatch_uid="reviews.store_report")
        registry.register_dashboard_panel(reports.reports_panel, order=95)
