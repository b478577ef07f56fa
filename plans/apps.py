from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Plan and Do")

    def ready(self):
        from pdca import memo, registry
        from pdca.controlled import protect_from_deletion

        from . import api, dashboard, demo, reports
        from .do import api as do_api
        from .do import dashboard as do_dashboard
        from .models import Kpi, Objective, Plan, PlanVersion, Process, Responsibility

        # Who is involved in which plan (`models.involvement`) is read once per
        # request; a change of what it derives from forgets it.
        for model in (Plan, Process, Responsibility):
            post_save.connect(memo.forget, sender=model, dispatch_uid=f"plans.involvement.{model.__name__}")
            post_delete.connect(memo.forget, sender=model, dispatch_uid=f"plans.involvement.{model.__name__}")
        m2m_changed.connect(
            memo.forget, sender=Process.deputies.through, dispatch_uid="plans.involvement.deputies"
        )

        for model in (PlanVersion, Objective, Kpi, Responsibility):
            protect_from_deletion(model)
        registry.register_controlled_document(PlanVersion)

        registry.register_decision_labels(
            {
                "create": _("created the plan"),
                "submit": _("submitted"),
                "review": _("reviewed"),
                "approve": _("approved"),
                "request_changes": _("requested changes to"),
                "withdraw": _("withdrew the submission of"),
                "communicate": _("communicated"),
                "acknowledge": _("acknowledged"),
                "revise": _("started"),
                "supersede": _("superseded"),
                "confirm_conformance": _("confirmed conformance"),
                "flag_conformance_review": _("flagged a conformance review"),
                "set_distribution": _("set the distribution list"),
                "name_process_owner": _("named the process owner"),
                "archive": _("archived the plan"),
                "restore": _("restored the plan from the archive"),
                # Do
                "start_implementation": _("started the implementation"),
                "milestone_done": _("completed a milestone"),
                "propose_handover": _("proposed a handover"),
                "accept_handover": _("accepted the handover"),
                "decline_handover": _("declined the handover"),
                "in_operation": _("put the process into operation"),
            }
        )
        registry.register_navigation(
            phase="plan", label=_("Plan"), url_name="plans:list", namespaces=["plans"]
        )
        registry.register_navigation(phase="do", label=_("Do"), url_name="do:overview", namespaces=["do"])
        registry.register_urls("plans/", "plans.urls")
        registry.register_urls("plans/", "plans.do.urls")
        registry.register_api_routes(api.register)
        registry.register_api_routes(do_api.register)
        registry.register_dashboard_panel(dashboard.contribute, order=10)
        registry.register_dashboard_panel(do_dashboard.contribute, order=20)
        registry.register_demo_seeder(demo.seed, order=10)
        registry.register_calendar_source(do_dashboard.calendar_events)
        # The task inbox: Plan's and Do's kinds of task (pdca/inbox.py).
        from . import inbox
        from .do import inbox as do_inbox

        inbox.register(registry)
        do_inbox.register(registry)
        # C7: a version as a controlled PDF (stored at approval), the plan's audit trail.
        from .signals import version_approved

        reports.register()
        version_approved.connect(reports.store_after_approval, dispatch_uid="plans.store_report")
        registry.register_page_panel("plans.plan_detail", reports.plan_reports_panel, order=90)
