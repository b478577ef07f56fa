"""The decision log: one function writes every decision record.

How each action reads ("<actor> approved version 2") is registered by the
app that owns the action (`pdca.registry.register_decision_labels`).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from .models import Decision


def record_decision(*, subject, action, actor, comment="", from_state="", to_state=""):
    return Decision.objects.create(
        subject=subject,
        action=action,
        actor=actor,
        comment=comment or "",
        from_state=from_state or "",
        to_state=to_state or "",
    )


def timeline(*subjects):
    """The decisions on several objects (a plan and its versions), oldest first."""
    query = Q(pk__in=[])
    for subject in subjects:
        query |= Q(content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk)
    return Decision.objects.filter(query).select_related("actor", "content_type").order_by("at", "pk")
