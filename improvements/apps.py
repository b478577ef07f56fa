from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _raise_from_review(sender, review, actor, **kwargs):
    """A2: an approved review's nonconformities and opportunities enter the SIP."""
    from .services import raise_from_approved_review

    raise_from_approved_review(review=review, actor=actor)


def _sync_csi_owners(sender, version, actor, **kwargs):
    from .services import sync_csi_owner_role

    sync_csi_owner_role(version=version, actor=actor)


class ImprovementsConfig(AppConfig):
    name = "improvements"
    verbose_name = _("Act")

    def ready(self):
        from pdca import registry
        from plans.signals import version_approved
        from reviews.signals import review_approved

        from . import api, dashboard, demo

        review_approved.connect(_raise_from_review, dispatch_uid="improvements.raise_from_review")
        version_approved.connect(_sync_csi_owners, dispatch_uid="improvements.sync_csi_owners")
        registry.register_decision_labels(
            {
                "raise_improvement": _("raised"),
                "approve_improvement": _("approved"),
                "reject_improvement": _("rejected"),
                "accept_baseline": _("accepted the baseline of"),
                "start_improvement": _("started implementing"),
                "improvement_implemented": _("implemented"),
                "effective": _("found effective"),
                "not_effective": _("found not effective, and reopened,"),
                "close_improvement": _("closed"),
                "close_finding": _("closed a finding of"),
                "create_project": _("set up the project"),
                "approve_project": _("approved the project"),
            }
        )
        registry.register_navigation(
            phase="act", label=_("Act"), url_name="improvements:register", namespaces=["improvements"]
        )
        registry.register_urls("improvements/", "improvements.urls")
        registry.register_api_routes(api.register)
        registry.register_dashboard_panel(dashboard.contribute, order=40)
        from . import inbox

        inbox.register(registry)  # Act's kinds of task for the inbox
        registry.register_demo_seeder(demo.seed, order=40)
