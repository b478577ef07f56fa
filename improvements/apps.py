from django.apps import AppConfig
from django.db.models.signals import m2m_changed
from django.utils.translation import gettext_lazy as _


def _raise_from_review(sender, review, actor, **kwargs):
    """A2: an approved review's nonconformities and opportunities enter the SIP."""
    from .services import raise_from_approved_review

    raise_from_approved_review(review=review, actor=actor)


def _sync_csi_owners(sender, version, actor, **kwargs):
    from .services import sync_csi_owner_role

    sync_csi_owner_role(version=version, actor=actor)


def _readable_when_communicated(sender, version, actor, **kwargs):
    """Everybody reads the improvements of a process once its plan is communicated."""
    from .models import Improvement

    if version.plan.process_id:
        Improvement.objects.filter(processes=version.plan.process_id, readable_by_all=False).update(
            readable_by_all=True
        )


def _readable_when_linked(sender, instance, action, reverse, pk_set, **kwargs):
    """`Improvement.readable_by_all` follows the improvement's process links,
    however they change (the services, the admin, from either side)."""
    from .models import Improvement

    if reverse and action == "pre_clear":  # process.improvements.clear(): keep who was linked
        instance._improvements_unlinked = list(instance.improvements.values_list("pk", flat=True))
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        changed = [instance.pk]
    elif action == "post_clear":
        changed = instance.__dict__.pop("_improvements_unlinked", [])
    else:
        changed = pk_set
    Improvement.objects.filter(pk__in=changed).refresh_readable_by_all()


class ImprovementsConfig(AppConfig):
    name = "improvements"
    verbose_name = _("Act")

    def ready(self):
        from pdca import registry
        from plans.signals import version_approved, version_communicated
        from reviews.signals import review_approved

        from . import api, dashboard, demo
        from .models import Improvement

        review_approved.connect(_raise_from_review, dispatch_uid="improvements.raise_from_review")
        version_approved.connect(_sync_csi_owners, dispatch_uid="improvements.sync_csi_owners")
        version_communicated.connect(_readable_when_communicated, dispatch_uid="improvements.readable")
        m2m_changed.connect(
            _readable_when_linked, sender=Improvement.processes.through, dispatch_uid="improvements.linked"
        )
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
